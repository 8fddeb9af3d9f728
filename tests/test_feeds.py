"""RSS and news sitemap parsers, and the gzip guard, on fixtures written for these tests."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsbot.devserver import SampleSiteServer, local_crawl_command
from newsbot.parsers.feeds import FeedError, gunzip, parse_rss, parse_sitemap

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = Path(__file__).parent / "fixtures" / "discovery" / "site"
RSS_URL = "https://rss.nytimes.com/services/xml/rss/nyt/Americas.xml"
SITEMAP_URL = "https://www.nytimes.com/sitemaps/new/news.xml.gz"
SITE = "https://www.nytimes.com"


def test_rss_items() -> None:
    body = (SITE_DIR / "services" / "xml" / "rss" / "nyt" / "Americas.xml").read_bytes()
    entries = parse_rss(body, RSS_URL)
    # Every article item (the video item is not an article); ?partner=rss&emc=rss stripped.
    assert [e.url for e in entries] == [
        f"{SITE}/2026/01/05/world/americas/andes-glacier-survey.html",
        f"{SITE}/2026/01/03/world/canada/ice-road-opens.html",
    ]
    first = entries[0]
    assert first.title == "Surveyors Return to a Shrinking Andes Glacier"
    assert first.summary == "A team of volunteers measured the ice edge again."
    assert first.published == "2026-01-05T14:00:00+00:00"


def test_rss_guid_when_link_missing_and_duplicates() -> None:
    body = f"""<?xml version="1.0"?><rss version="2.0"><channel>
      <item><guid>{SITE}/2026/02/01/world/americas/a.html</guid><title>A</title></item>
      <item><link>{SITE}/2026/02/01/world/americas/a.html?smid=tw</link></item>
      <item><link>https://www.example.com/2026/02/01/world/b.html</link></item>
    </channel></rss>"""
    entries = parse_rss(body, RSS_URL)
    assert [(e.url, e.title, e.published) for e in entries] == [
        (f"{SITE}/2026/02/01/world/americas/a.html", "A", None)
    ]


def test_sitemap_entries() -> None:
    body = (SITE_DIR / "sitemaps" / "new" / "news.xml").read_bytes()
    entries = parse_sitemap(body, SITEMAP_URL)
    assert [e.url.removeprefix(SITE) for e in entries] == [
        "/2026/01/02/world/americas/old-train-line.html",
        "/2026/01/03/world/americas/border-market-night.html",
        "/2026/01/04/us/politics/budget-talks-stall.html",
        "/2026/01/05/business/markets-open-higher.html",
    ]
    train = entries[0]
    assert train.lastmod == "2026-01-02T16:00:00+00:00"
    assert train.published == "2026-01-02T15:00:00+00:00"
    assert train.title == "An Old Train Line Carries Tourists Again"
    assert entries[2].title is None and entries[2].published is None


def test_gunzip_round_trip_and_passthrough() -> None:
    data = b"<urlset/>" * 100
    assert gunzip(gzip.compress(data)) == data
    assert gunzip(data) == data  # already unpacked (Content-Encoding handled upstream)


def test_gunzip_refuses_a_bomb() -> None:
    bomb = gzip.compress(b"\0" * (2 * 1024 * 1024))
    with pytest.raises(FeedError, match="more than"):
        gunzip(bomb, max_size=1024 * 1024)


def test_gunzip_rejects_corrupt_data() -> None:
    with pytest.raises(FeedError):
        gunzip(b"\x1f\x8b" + b"garbage" * 10)


def test_not_xml() -> None:
    with pytest.raises(FeedError):
        parse_sitemap(b"", SITEMAP_URL)


def test_entities_are_not_expanded() -> None:
    body = b"""<?xml version="1.0"?>
    <!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <rss><channel><item><title>&x;</title>
    <link>https://www.nytimes.com/2026/02/01/world/a.html</link></item></channel></rss>"""
    entries = parse_rss(body, RSS_URL)
    assert len(entries) == 1
    assert "root" not in (entries[0].title or "")


def _urlset(*urls: str, news_ns: bool = True) -> bytes:
    declared = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news_ns else ""
    body = "".join(
        f"<url><loc>{url}</loc><news:news><news:title>T{n}</news:title>"
        f"<news:publication_date>2026-02-01T10:00:00Z</news:publication_date></news:news></url>"
        for n, url in enumerate(urls)
    )
    head = '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    return f"{head}{declared}>{body}</urlset>".encode()


A = f"{SITE}/2026/02/01/world/americas/a.html"
B = f"{SITE}/2026/02/01/world/americas/b.html"


def test_an_undeclared_prefix_costs_nothing() -> None:
    # lxml keeps `news:news` as the tag name, which etree.QName refused: the whole sitemap was
    # lost. The entries are read, `news:` elements by their local name.
    entries = parse_sitemap(_urlset(A, B, news_ns=False), SITEMAP_URL)
    assert [(e.url, e.title, e.published) for e in entries] == [
        (A, "T0", "2026-02-01T10:00:00+00:00"),
        (B, "T1", "2026-02-01T10:00:00+00:00"),
    ]
    rss = f"""<rss version="2.0"><channel><atom:link href="{RSS_URL}" rel="self"/>
      <item><link>{A}</link><atom:updated>x</atom:updated></item></channel></rss>"""
    assert [e.url for e in parse_rss(rss, RSS_URL)] == [A]


@pytest.mark.parametrize(
    "bad",
    [
        "http://[::1/2026/02/01/world/americas/x.html",
        "https://[www.nytimes.com]/2026/02/01/world/americas/x.html",
        "https://www.nytimes.com:99999/2026/02/01/world/americas/x.html",
    ],
)
def test_a_bad_host_costs_only_its_entry(bad: str) -> None:
    assert [e.url for e in parse_sitemap(_urlset(A, bad, B), SITEMAP_URL)] == [A, B]
    items = f"<item><link>{bad}</link></item><item><link>{B}</link></item>"
    rss = f"<rss><channel>{items}</channel></rss>"
    assert [e.url for e in parse_rss(rss, RSS_URL)] == [B]


@pytest.mark.parametrize(
    "date",
    [
        "Mon, 01 Jan 12345678901234567890 00:00:00 GMT",
        "Sun, 31 Dec 9999 23:59:59 -2359",
        "0001-01-01T00:00:00+23:59",
    ],
)
def test_an_absurd_date_is_no_date(date: str) -> None:
    rss = f"<rss><channel><item><link>{A}</link><pubDate>{date}</pubDate></item></channel></rss>"
    [entry] = parse_rss(rss, RSS_URL)
    assert entry.published is None


def test_a_surrogate_reference_costs_only_its_element() -> None:
    # The recovering parser writes `&#xD800;` out as bytes that are not UTF-8, and lxml raised
    # UnicodeDecodeError reading them back: the whole sitemap was lost.
    body = _urlset(A, B).replace(b"<news:title>T0", b"<news:title>T0&#xD800;")
    assert [(e.url, e.title) for e in parse_sitemap(body, SITEMAP_URL)] == [(A, None), (B, "T1")]


# --- a gzip bomb sent with Content-Encoding: gzip -----------------------------------------------

BOMB_UNPACKED = 512 * 1024 * 1024
GLACIER = "/2026/01/05/world/americas/andes-glacier-survey.html"
FERRY = "/2026/01/05/world/americas/river-ferry-returns.html"
SITEMAP_PATH = "/sitemaps/new/news.xml.gz"
# Runs `scrapy` in this process and reports the process's peak memory on the way out.
PEAK_MEMORY = """
import resource, runpy, sys
sys.argv[0] = "scrapy"
try:
    runpy.run_module("scrapy", run_name="__main__")
finally:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak-rss-kib {peak}", file=sys.stderr)
"""


class BombServer(SampleSiteServer):
    """The discovery site, with some paths answered by a gzip bomb as a Content-Encoding."""

    def __init__(self, bombs: dict[str, str], bomb: bytes) -> None:
        super().__init__(root=SITE_DIR)
        self.bombs, self.bomb = bombs, bomb

    def _answer(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        content_type = self.bombs.get(urlsplit(raw_path).path)
        if content_type is None:
            return super()._answer(raw_path)
        return 200, {"Content-Type": content_type, "Content-Encoding": "gzip"}, self.bomb


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """512 MiB of zero bytes, gzipped: half a megabyte on the wire."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # a gzip container
    zeros = bytes(1024 * 1024)
    return b"".join([packer.compress(zeros) for _ in range(BOMB_UNPACKED // len(zeros))]) + (
        packer.flush()
    )


def test_a_content_encoding_bomb_is_refused_and_counted(tmp_path: Path, bomb: bytes) -> None:
    # Scrapy's 1 GiB default DOWNLOAD_MAXSIZE let 2 GiB sent this way grow a crawl to 1.1 GB.
    # Now an article stops at DOWNLOAD_MAXSIZE and the sitemap at NEWSBOT_SITEMAP_MAX_BYTES,
    # both counted after decompression.
    bombs = {GLACIER: "text/html; charset=utf-8", SITEMAP_PATH: "application/xml"}
    sitemap_limit = 2 * 1024 * 1024
    with BombServer(bombs, bomb) as server:
        feed = tmp_path / "feed.jsonl"
        command = local_crawl_command(
            server.url, tmp_path / "index", feed,
            "-s", f"NEWSBOT_SITEMAP_MAX_BYTES={sitemap_limit}",
            "-s", "NEWSBOT_INDEX_COMMIT_SECONDS=0.2",
            "-s", "NEWSBOT_FRONTS_ENABLED=False",
        )  # fmt: skip
        assert command[1:3] == ["-m", "scrapy"]
        done = subprocess.run(
            [sys.executable, "-c", PEAK_MEMORY, *command[3:]],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    log = done.stderr
    peak_mib = int(re.search(r"peak-rss-kib (\d+)", log).group(1)) / 1024
    assert peak_mib < 300, f"the crawl grew to {peak_mib:.0f} MiB"
    limit = 16 * 1024 * 1024
    assert f"{GLACIER}> because its body" in log and f"DOWNLOAD_MAXSIZE ({limit} B)" in log
    assert f"DOWNLOAD_MAXSIZE ({sitemap_limit} B) during decompression" in log
    stats = {name: int(n) for name, n in re.findall(r"'([\w/]+)': (\d+),?\n", log)}
    # Counted: the refused article as lost for its size, the refused sitemap as a failed
    # discovery page.
    assert stats["newsbot/lost/too_large"] == 1
    assert stats["newsbot/discovery/source_failed"] == 1
    stored = [json.loads(line)["url"] for line in feed.read_text("utf-8").splitlines()]
    assert SITE + FERRY in stored and SITE + GLACIER not in stored
