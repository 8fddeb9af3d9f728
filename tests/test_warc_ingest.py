"""`newsbot ingest` of WARC files written here with warcio, the reference library: every record
kind a WARC from elsewhere holds, through the crawl's own pipelines."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from scrapy import signals
from scrapy.utils.test import get_crawler
from warc_helpers import SITE, Warc, chunked

from newsbot.devserver import local_crawl_command
from newsbot.parsers import parse_article
from newsbot.search.history import find
from newsbot.search.searcher import open_searcher
from newsbot.warc.ingest import ItemsThrough
from newsbot.warc.reader import UndecodableBody, decode_content

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "a": "/2021/06/07/world/americas/cuba-havana-blackouts-power-plants.html",
    "b": "/2021/06/08/world/americas/canada-saskatchewan-wildfire-evacuation.html",
    "c": "/2019/05/14/world/americas/mexico-monarch-butterfly-reserve.html",
    "d": "/2018/03/14/world/americas/guatemala-dry-corridor-drought.html",
    "us": "/2020/08/17/us/rio-grande-water-treaty-farmers.html",
}


def page(name: str) -> bytes:
    return (ROOT / "sample_site" / PAGES[name].lstrip("/")).read_bytes()


def newsbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEWSBOT_FEED_DIR": str(tmp_path / "feeds")}
    return subprocess.run(
        [sys.executable, "-m", "newsbot", *args],
        cwd=tmp_path,  # anywhere: the command must not depend on the project's directory
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def stored(index_dir: Path) -> dict[str, tuple[Any, dict[str, Any]]]:
    with open_searcher(index_dir) as searcher:
        urls = [doc["url"] for doc in searcher.reader().all_stored_fields()]
        return {url: find(searcher, url) for url in urls}


def every_kind(tmp_path: Path) -> list[Path]:
    """Two files: one gzip per record with every record kind and a cut-off last record, one
    plain .warc."""
    first = Warc(tmp_path / "one.warc.gz")
    first.other("warcinfo", "/", "application/warc-fields")
    first.response(PAGES["a"], page("a"), "2021-06-07T10:00:00Z")
    first.other("request", PAGES["a"], "application/http; msgtype=request")
    body_b = page("b")
    first.response(
        PAGES["b"],
        chunked(body_b),
        "2021-06-08T10:00:00Z",
        [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")],
    )
    packed = gzip.compress(page("c"))
    first.response(
        PAGES["c"],
        packed,
        "2021-06-08T11:00:00Z",
        [
            ("Content-Type", "text/html"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(packed))),
        ],
    )
    first.response(
        "/images/2021/06/07/photo.jpg",
        b"\xff\xd8\xff\xe0 not a page",
        "2021-06-08T12:00:00Z",
        [("Content-Type", "image/jpeg")],
    )
    first.response(
        "/svc/weather.json",
        b'{"sky": "clear"}',
        "2021-06-08T12:00:00Z",
        [("Content-Type", "application/json")],
    )
    first.other("metadata", PAGES["a"], "application/warc-fields")
    first.response(PAGES["us"], page("us"), "2021-06-08T13:00:00Z")
    first.response(PAGES["d"], b"<html>gone</html>", "2021-06-08T14:00:00Z", status="404 Not Found")
    first.revisit(PAGES["a"], "2021-06-09T10:00:00Z", "2021-06-07T10:00:00Z")
    lead = parse_article(page("a"))["body"].split("\n\n")[0][:40].encode()
    revised = page("a").replace(lead, lead + b" The minister later resigned.", 1)
    assert revised != page("a")
    first.response(PAGES["a"], revised, "2021-06-10T10:00:00Z")
    first.response(PAGES["d"], page("d"), "2021-06-11T10:00:00Z")
    first.close(cut_last=300)  # the last record (d) is cut off mid-write

    second = Warc(tmp_path / "two.warc", compress=False)
    second.response(
        PAGES["d"].replace("guatemala", "guatemala"),
        page("d")[:0] + page("b"),
        "2021-06-12T10:00:00Z",
    )
    second.close()
    return [first.path, second.path]


def test_ingest_reads_every_record_kind(tmp_path: Path) -> None:
    every_kind(tmp_path)
    index_dir = tmp_path / "index"
    done = newsbot(
        tmp_path, "ingest", "one.warc.gz", "*.warc", "--index", str(index_dir), "--procs", "1"
    )
    # The cut-off record is reported, and the exit status says the input needs a look.
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "truncated record at" in done.stderr and "one.warc.gz@" in done.stderr
    assert "1 not_html" not in done.stderr and "2 not_html" in done.stderr
    assert "1 not_wanted_url" in done.stderr  # the /us/ article is not in americas
    assert "1 http_404" in done.stderr
    assert "1 revisit_resolved" in done.stderr
    assert "1 metadata" in done.stderr and "1 request" in done.stderr

    articles = stored(index_dir)
    a, b, c = (SITE + PAGES[name] for name in "abc")
    assert set(articles) == {a, b, c}  # d: cut off in one.warc.gz; two.warc holds b's page
    history, item = articles[a]
    # Two captures that differ are two versions; the revisit in between saw the first again.
    assert history.revisions == 2
    assert history.first_seen == "2021-06-07T10:00:00Z"
    assert history.current_since == "2021-06-10T10:00:00Z"
    assert "The minister later resigned." in item["body"]
    assert "The minister later resigned." not in history.versions[0]["item"]["body"]
    # The chunked and the gzip-encoded pages decode to their articles, captions and dates too.
    for url, name in ((b, "b"), (c, "c")):
        _, item = articles[url]
        assert item["headline"] and len(item["body"]) > 200, name
        assert item["published"] and item["parser_version"]
    assert articles[c][1]["crawled_at"] == "2021-06-08T11:00:00Z"
    assert articles[c][1]["captions"]
    # two.warc's capture carries b's text under d's URL: the same content is stored once.
    assert "1 dropped: DuplicateArticle" in done.stderr
    feed = list((tmp_path / "feeds").glob("ingest-*.jsonl"))
    # One line per capture that passed the pipelines, as a crawl's feed: a twice, its revisit,
    # b and c.
    assert len(feed) == 1 and len(feed[0].read_text().splitlines()) == 5


def test_ingest_in_worker_processes_stores_the_same(tmp_path: Path) -> None:
    every_kind(tmp_path)
    one = newsbot(tmp_path, "ingest", "*.warc*", "--index", "i1", "--procs", "1")
    two = newsbot(tmp_path, "ingest", "*.warc*", "--index", "i2", "--procs", "2")
    assert one.returncode == two.returncode == 1
    first, second = stored(tmp_path / "i1"), stored(tmp_path / "i2")
    assert set(first) == set(second)
    for url in first:
        assert first[url][1] == second[url][1]
        assert first[url][0].to_json() == second[url][0].to_json()


def test_ingesting_a_crawls_capture_stores_what_the_crawl_stored(site_server, tmp_path) -> None:
    crawl = local_crawl_command(site_server.url, tmp_path / "crawl-index", tmp_path / "feed.jsonl")
    done = subprocess.run(crawl, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    warcs = sorted(str(p) for p in (tmp_path / "warc").glob("*.warc.gz"))
    ingested = newsbot(tmp_path, "ingest", *warcs, "--section", "all", "--index", "ingest-index")
    assert ingested.returncode == 0, ingested.stderr
    crawled = {
        json.loads(line)["url"]: json.loads(line) for line in (tmp_path / "feed.jsonl").open()
    }
    from_warc = stored(tmp_path / "ingest-index")
    assert set(from_warc) == set(crawled)

    # Which of two near-duplicates is marked depends on which was stored first: the crawl's
    # order is the order responses arrived in, ingest's the order of the captures. The pairs
    # are the same either way.
    def near_pairs(items: dict[str, dict]) -> set[frozenset[str]]:
        return {
            frozenset((url, item["near_duplicate_of"]))
            for url, item in items.items()
            if item.get("near_duplicate_of")
        }

    # The mark can land after an article's feed line was written (it amends the stored
    # document), so the crawl's side is read from its index.
    crawl_index = {url: kept[1] for url, kept in stored(tmp_path / "crawl-index").items()}
    assert near_pairs(crawl_index) == near_pairs({url: kept[1] for url, kept in from_warc.items()})
    unordered = {"crawled_at", "near_duplicate_of"}
    for url, item in crawled.items():
        again = from_warc[url][1]
        differing = [k for k in item if k not in unordered and item[k] != again.get(k)]
        assert not differing, (url, differing)


def test_bad_input_gets_one_line_and_a_status(tmp_path: Path) -> None:
    missing = newsbot(tmp_path, "ingest", "nothing-*.warc.gz", "--index", "i")
    assert missing.returncode == 2 and "no such WARC file" in missing.stderr
    assert "Traceback" not in missing.stderr
    (tmp_path / "notes.warc").write_text("these are my notes, not a WARC file\n" * 20)
    junk = newsbot(tmp_path, "ingest", "notes.warc", "--index", "i")
    assert junk.returncode == 1 and "cannot read" in junk.stderr
    assert "Traceback" not in junk.stderr
    unknown = newsbot(tmp_path, "ingest", "notes.warc", "--section", "mars")
    assert unknown.returncode == 2 and "unknown section 'mars'" in unknown.stderr


def test_start_ends_only_when_every_item_it_sent_is_through_the_pipelines() -> None:
    # WarcSpider.start() returns after its items are stored, dropped or failed, so that Scrapy
    # closes the ingest then instead of on its next heartbeat.
    crawler = get_crawler()
    through = ItemsThrough(crawler)
    through.sent = 3

    async def scenario() -> list[bool]:
        waiting = asyncio.ensure_future(through.all_done())
        seen = []
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            await asyncio.sleep(0)
            seen.append(waiting.done())
            crawler.signals.send_catch_log(signal, item={}, response=None, spider=None)
        await asyncio.wait_for(waiting, timeout=5)
        seen.append(waiting.done())
        return seen

    assert asyncio.run(scenario()) == [False, False, False, True]


def test_a_body_stored_decoded_under_its_content_encoding_is_read_as_it_is(tmp_path) -> None:
    # Browser-based capture tools record the body the browser decoded; some keep the server's
    # Content-Encoding header beside it.
    warc = Warc(tmp_path / "browser.warc.gz")
    for name, coding in (("a", "br"), ("b", "gzip"), ("c", "gzip, deflate")):
        warc.response(
            PAGES[name],
            b"\xef\xbb\xbf\n  " + page(name) if name == "c" else page(name),
            "2021-06-08T10:00:00Z",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", coding)],
        )
    # Not markup and not gzip either: a body that really is broken stays refused, and counted.
    warc.response(
        PAGES["d"],
        b"\x1f\x8b\x08\x00broken",
        "2021-06-08T10:00:00Z",
        [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
    )
    warc.close()
    done = newsbot(tmp_path, "ingest", "browser.warc.gz", "--index", "index")
    assert "1 undecodable" in done.stderr, done.stderr
    articles = stored(tmp_path / "index")
    assert set(articles) == {SITE + PAGES[name] for name in "abc"}
    for name in "abc":
        assert articles[SITE + PAGES[name]][1]["body"] == parse_article(page(name))["body"]


def test_decode_content_undoes_each_coding_and_keeps_markup_it_cannot_decode() -> None:
    html = b"<!doctype html><p>Tres palabras.</p>"
    assert decode_content(gzip.compress(zlib.compress(html)), "deflate, gzip") == html
    assert decode_content(html, "gzip") == html
    assert decode_content(html, "x-unknown") == html
    for broken, coding in ((b"\x1f\x8b\x08junk", "gzip"), (b"PK\x03\x04", "x-unknown")):
        with pytest.raises(UndecodableBody):
            decode_content(broken, coding)
