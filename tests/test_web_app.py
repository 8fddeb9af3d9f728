"""`newsbot serve`'s application without a browser: routes, JSON, headers, errors and escaping.

The archive here is written with the crawl's own ArchiveWriter, so articles have revision
histories, and some of them carry hostile markup in every field a page shows. The browser tests
(test_web_browser.py) reuse `build_archive` for their escaping checks.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from urllib.request import urlopen

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from newsbot.cli import main
from newsbot.search.facets import FacetCounter
from newsbot.search.fronts import FrontArchive, read_archive
from newsbot.search.pool import SearcherPool
from newsbot.search.query import Filters
from newsbot.search.searcher import open_searcher, search
from newsbot.search.writer import ArchiveWriter
from newsbot.web import worddiff
from newsbot.web.app import CSP, ArchiveApp, SearchForm, build_timeline, safe_href

SITE = "https://www.nytimes.com"
FRONT = f"{SITE}/section/world/americas"
# Each payload would change the page title, or run at all, only if it reached the page as markup.
OWNED = "document.title='owned'"
SCRIPT = f"<script>{OWNED}</script>"
IMG = f'<img src=x onerror="{OWNED}">'
SVG = f'<svg onload="{OWNED}"></svg>'
JS_URL = f"javascript:{OWNED}"
HOSTILE_URL = f'{SITE}/2021/05/01/world/americas/quote"><script>{OWNED}</script>.html'


def article(number: int, **fields: Any) -> dict[str, Any]:
    """A plain article; `fields` override its values."""
    day = 1 + number % 27
    item: dict[str, Any] = {
        "url": f"{SITE}/2021/0{1 + number % 6}/{day:02d}/world/americas/story-{number}.html",
        "source_url": None,
        "headline": f"Harbor pilots strike in port {number}",
        "summary": f"A summary of the strike at port {number}.",
        "section": "World",
        "subsection": "Americas",
        "authors": ["Ana Ortiz"] if number % 2 else ["Ben Cole", "Ana Ortiz"],
        "byline": "By Ana Ortiz" if number % 2 else "By Ben Cole and Ana Ortiz",
        "published": f"2021-0{1 + number % 6}-{day:02d}T12:00:00-05:00",
        "modified": None,
        "body": f"The pilots of port {number} went on strike on Monday.\n\n"
        "Ships waited outside the breakwater.\n\nTalks resume next week.",
        "captions": [{"text": "Ships at anchor.", "credit": "Ana Ortiz", "image_url": None}],
        "tags": ["Strikes"],
        "language": "en",
        "word_count": 17,
        "kind": "article",
        "short_url": None,
        "translations": {},
        "crawled_at": "2026-11-01T08:00:00Z",
        "content_hash": f"hash-{number}",
        "alternates": [],
        "near_duplicate_of": None,
    }
    item.update(fields)
    return item


def hostile() -> dict[str, Any]:
    """An article whose every shown field is an attack."""
    return article(
        99,
        url=HOSTILE_URL,
        headline=f"Hostile {SCRIPT} headline {IMG}",
        summary=f"Summary {SVG} with {{{{ 7*7 }}}} in it",
        byline=f"By {IMG}",
        authors=[f"Eve {SCRIPT}"],
        section=f'"><script>{OWNED}</script>',
        body=f"Hostile strike body {SCRIPT}.\n\n"
        f'<iframe src="{JS_URL}"></iframe> and a <a href="{JS_URL}">link</a>.\n\n'
        "A marker \x01 that is not ours \x02 and a bell \x07.",
        captions=[{"text": f"Caption {IMG}", "credit": SCRIPT, "image_url": JS_URL}],
        tags=[SCRIPT],
        short_url=JS_URL,
        translations={"es": f"data:text/html,{SCRIPT}"},
        alternates=[JS_URL],
        near_duplicate_of=JS_URL,
        content_hash="hostile-1",
    )


def revised() -> tuple[dict[str, Any], dict[str, Any]]:
    """Two crawls of one article: the headline, a number and a paragraph changed."""
    first = article(1, url=f"{SITE}/2021/06/09/world/americas/governor-vote.html")
    first.update(
        headline="A Provincial Vote Becomes a Test of the Lithium Boom",
        body="Ms. Maturana had 47 percent of the vote.\n\nTurnout was about 71 percent.\n\n"
        "The new governor takes office in December.",
        content_hash="governor-1",
    )
    second = dict(first)
    second.update(
        headline=f"Río Verde Elects a Governor {SCRIPT}",
        body="Ms. Maturana had 48 percent of the vote.\n\nTurnout was about 71 percent.\n\n"
        f"The new governor takes office in December.\n\nOfficials said {IMG} nothing more.",
        content_hash="governor-2",
        crawled_at="2026-11-02T08:00:00Z",
    )
    return first, second


def fronts_lines() -> list[dict[str, Any]]:
    lines = []
    for crawl, when in enumerate(("2026-11-01T08:00:00Z", "2026-11-01T20:00:00Z")):
        urls = (
            [article(n)["url"] for n in (3, 2, 1)] if crawl else [article(n)["url"] for n in (1, 2)]
        )
        for rank, url in enumerate(urls, start=1):
            lines.append(
                {
                    "crawled_at": when,
                    "spider": "americas",
                    "front_url": FRONT,
                    "rank": rank,
                    "url": url,
                    "headline": f"Front headline {rank}",
                    "summary": "As shown on the front.",
                    "block": "stream",
                }
            )
    lines.append(
        {
            "crawled_at": "2026-11-01T20:00:00Z",
            "spider": "americas",
            "front_url": FRONT,
            "rank": 4,
            "url": JS_URL,
            "headline": f"Front {SCRIPT} {IMG}",
            "summary": SVG,
            "block": SCRIPT,
        }
    )
    return lines


def build_archive(folder: Path) -> tuple[Path, Path]:
    """An index of eleven plain articles, a revised one and a hostile one, and its front snapshots;
    returns (index dir, fronts file)."""
    index_dir = folder / "index"
    first, second = revised()
    with ArchiveWriter(index_dir) as writer:
        for number in range(10):
            writer.put(article(number))
        # No author: facets must not trip over the missing value.
        writer.put(article(10, authors=[], byline=None))
        writer.put(first)
        writer.put(hostile())
        writer.commit()
    with ArchiveWriter(index_dir) as writer:
        writer.put(second)
        writer.commit()
    fronts = folder / "americas-fronts.jsonl"
    text = "".join(json.dumps(line) + "\n" for line in fronts_lines())
    fronts.write_text(text + "{not json\n", encoding="utf-8")
    return index_dir, fronts


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_archive(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(archive: tuple[Path, Path]) -> Client:
    index_dir, fronts = archive
    return Client(ArchiveApp(index_dir, [fronts.parent]))


def page(client: Client, path: str, status: int = 200, **kwargs: Any) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


# Search


def test_search_page_lists_hits_with_highlights_facets_and_timeline(client: Client) -> None:
    html = page(client, "/?q=strike")
    assert "<mark>strike</mark>" in html
    assert 'href="/article?url=https%3A%2F%2Fwww.nytimes.com%2F2021%2F' in html
    assert "matched in" in html
    assert "Ana Ortiz" in html
    # Facets link to the same search narrowed, and the timeline links each month.
    # Facet values are the names the articles show, which the filters accept as they are.
    assert "section=Americas" in html.replace("&amp;", "&")
    assert re.search(r'<a href="/\?q=strike&amp;since=2021-0\d-01&amp;until=2021-0\d-\d\d"', html)


def test_timeline_month_link_narrows_to_that_month(client: Client) -> None:
    html = page(client, "/?q=strike&since=2021-02-01&until=2021-02-28")
    total = int(re.search(r"<strong>(\d+)</strong> articles? match", html).group(1))
    bar = re.search(r'aria-label="2021-02: (\d+) match', html)
    assert bar and int(bar.group(1)) == total
    # The other months stay on the timeline, and only February is marked as chosen.
    assert 'aria-label="2021-01:' in html
    assert html.count('class="bar selected"') == 1


def test_build_timeline_fills_empty_months_and_marks_the_range() -> None:
    form = SearchForm(q="x", since="2020-12-01", until="2021-01-31")
    timeline = build_timeline({"2020-11": 2, "2021-02": 4}, form)
    # Whole years: January 2020 to December 2021.
    assert len(timeline.bars) == 24
    bars = timeline.bars[10:14]
    assert [bar.month for bar in bars] == ["2020-11", "2020-12", "2021-01", "2021-02"]
    assert [bar.count for bar in bars] == [2, 0, 0, 4]
    assert [bar.selected for bar in bars] == [False, True, True, False]
    assert sum(bar.count for bar in timeline.bars) == 6
    assert bars[3].height == 100
    assert "since=2021-02-01&until=2021-02-28" in bars[3].href
    assert [year for year, _ in timeline.years] == ["2020", "2021"]


def test_the_url_holds_the_whole_state(client: Client) -> None:
    url = "/?q=strike&section=americas&author=ana+ortiz&since=2021-01-01&sort=newest&limit=2&page=2"
    html = page(client, url)
    assert 'value="americas"' in html and 'value="ana ortiz"' in html
    assert 'value="2021-01-01"' in html and '<option value="newest" selected>' in html
    assert ", 3–4 shown" in html
    links = html.replace("&amp;", "&")
    assert "/?q=strike&section=americas&author=ana+ortiz&since=2021-01-01&sort=newest&limit=2" in (
        links
    )


def test_bad_queries_and_parameters_answer_400_with_one_line(client: Client) -> None:
    for path, words in (
        ("/?q=%22open", "unbalanced quote"),
        ("/?q=foo:bar", "unknown field"),
        ("/?q=strike&since=2021-13-01", "is not a date"),
        ("/?q=strike&since=2021-03-01&until=2021-01-01", "is after"),
        ("/?q=strike&page=0", "page must be"),
        ("/?q=strike&sort=sideways", "unknown sort"),
        ("/?q=strike&since=0000-01-01", "is not a date"),
    ):
        html = page(client, path, status=400)
        assert words in html, path
        assert "Traceback" not in html


def test_page_past_the_last_says_so(client: Client) -> None:
    html = page(client, "/?q=strike&page=50")
    assert "is past the last page" in html


def test_empty_query_shows_the_archive_size_and_syntax(client: Client) -> None:
    html = page(client, "/")
    assert "<strong>13</strong> articles" in html
    assert "autofocus" in html


def test_random_queries_never_fail_the_server(client: Client) -> None:
    rng = random.Random(15)
    alphabet = string.ascii_letters + string.digits + ' "()*?:-+~^<>&%\\/\x00é'
    for _ in range(400):
        q = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        response = client.get("/", query_string={"q": q, "page": str(rng.randint(1, 3))})
        if response.status_code == 303:  # to the address without the default page=1
            response = client.get(response.headers["Location"])
        assert response.status_code in {200, 400}, q
        assert "Traceback" not in response.get_data(as_text=True)


# JSON


def test_api_search_is_the_cli_json(client: Client, archive: tuple[Path, Path], capsys) -> None:
    index_dir, _ = archive
    args = ["search", "strike", "--index", str(index_dir), "--section", "americas", "--json"]
    assert main([*args, "--page", "2", "--limit", "3", "--facets"]) == 0
    expected = capsys.readouterr().out
    response = client.get("/api/search?q=strike&section=americas&page=2&limit=3&facets=1")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == expected
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    assert int(response.headers["X-Newsbot-Total"]) >= 11


def test_api_article_is_the_stored_item(client: Client, archive: tuple[Path, Path], capsys) -> None:
    index_dir, _ = archive
    assert main(["export", "--index", str(index_dir)]) == 0
    exported = {i["url"]: i for i in map(json.loads, capsys.readouterr().out.splitlines())}
    url = revised()[0]["url"]
    response = client.get("/api/article", query_string={"url": url})
    assert response.status_code == 200
    assert response.json == exported[url]
    assert response.json["headline"].startswith("Río Verde")


def test_api_errors_are_json(client: Client) -> None:
    response = client.get("/api/search?q=%22open")
    assert response.status_code == 400 and "unbalanced quote" in response.json["error"]
    response = client.get("/api/article?url=https://example.com/nothing.html")
    assert response.status_code == 404 and "no article" in response.json["error"]


# Article and revisions


def test_article_page_shows_everything_and_the_diff(client: Client) -> None:
    url = revised()[0]["url"]
    html = page(client, "/article", query_string={"url": url})
    assert "Río Verde Elects a Governor" in html
    assert "Ms. Maturana had 48 percent" in html
    assert "2 versions" in html
    assert "Ships at anchor." in html and "Ana Ortiz" in html
    assert f'href="{url}"' in html
    # The default diff is the last change: v1 to v2, word by word.
    assert "<del>47</del><ins>48</ins>" in html
    assert "<ins>Officials said &lt;img" in html
    assert "<del>A Provincial Vote Becomes a Test of the Lithium Boom</del>" in html


def test_article_found_by_tracking_url_and_missing_one_is_404(client: Client) -> None:
    url = revised()[0]["url"] + "?smid=tw-share"
    assert "Río Verde" in page(client, "/article", query_string={"url": url})
    html = page(client, "/article?url=https://www.nytimes.com/nothing.html", status=404)
    assert "has no article" in html
    page(client, "/article?url=x&from=9", status=404)
    page(client, "/article", status=400)


def test_same_version_twice_shows_no_diff(client: Client) -> None:
    url = revised()[0]["url"]
    html = page(client, "/article", query_string={"url": url, "from": "2", "to": "2"})
    assert "Pick two different versions" in html
    page(client, "/article", status=400, query_string={"url": url, "from": "3"})


def test_word_diff_groups_changes_and_folds_unchanged_paragraphs() -> None:
    segments = worddiff.words("had 47 percent of the vote.", "had 48 percent of the votes.")
    assert [(s.op, s.text) for s in segments] == [
        ("same", "had "),
        ("del", "47"),
        ("ins", "48"),
        ("same", " percent of the "),
        ("del", "vote"),
        ("ins", "votes"),
        ("same", "."),
    ]
    old = "\n\n".join(f"Paragraph {n} stays." for n in range(6))
    new = old + "\n\nA new closing paragraph."
    blocks = worddiff.paragraphs(old, new)
    assert [b.kind for b in blocks] == ["fold", "same", "ins"]
    assert blocks[0].folded == 5
    changes = worddiff.compare({"headline": "Old words here"}, {"headline": "Entirely other"})
    assert [(s.op, s.text) for s in changes[0].segments] == [
        ("del", "Old words here"),
        ("ins", "Entirely other"),
    ]


# Fronts


def test_fronts_page_defaults_to_the_latest_crawl_and_steps(client: Client) -> None:
    html = page(client, "/fronts")
    assert "crawl 2 of 2" in html
    assert "1 damaged line" in html
    assert "new" in html and "↓2" in html  # story 1 moved from rank 1 to 3
    assert "Gone since the crawl before" not in html
    earlier = re.search(r'<a rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    html = page(client, earlier)
    assert "crawl 1 of 2" in html and 'rel="next"' in html


def test_fronts_nearest_crawl_to_an_asked_time(client: Client) -> None:
    assert "crawl 1 of 2" in page(client, "/fronts?at=2026-11-01T13:59")
    assert "crawl 2 of 2" in page(client, "/fronts?at=2026-11-01T14:01")
    assert "crawl 1 of 2" in page(client, "/fronts?at=2001-01-01")
    assert "is not a date" in page(client, "/fronts?at=yesterday", status=400)
    page(client, "/fronts?front=https://example.com/", status=404)


def test_front_links_go_to_archived_articles_only(client: Client) -> None:
    html = page(client, "/fronts")
    # The javascript: card is an alternate of the hostile article, so it links to our own page.
    assert html.count('href="/article?url=') == 4
    assert "not in the archive" not in html
    assert 'href="/article?url=javascript%3A' in html


def test_fronts_read_skips_damaged_lines(tmp_path: Path) -> None:
    path = tmp_path / "x-fronts.jsonl"
    good = json.dumps({"crawled_at": "2026-01-01T00:00:00Z", "front_url": FRONT, "rank": 1})
    path.write_text(f'{good}\n[]\n{{"crawled_at": "soon", "front_url": "x"}}\n\n{good}\n')
    archive = read_archive([path])
    assert archive.damaged_lines == 2
    assert len(archive.crawls[FRONT]) == 1 and len(archive.crawls[FRONT][0].entries) == 2
    assert FrontArchive().nearest(FRONT, archive.crawls[FRONT][0].crawled_at) is None


def test_no_snapshots_says_where_it_looked(archive: tuple[Path, Path], tmp_path: Path) -> None:
    index_dir, _ = archive
    client = Client(ArchiveApp(index_dir, [tmp_path]))
    html = page(client, "/fronts")
    assert "No front snapshots found in" in html and str(tmp_path) in html


# Safety


def test_every_response_carries_the_security_headers(client: Client) -> None:
    for path in ("/", "/?q=strike", "/fronts", "/static/style.css", "/nowhere", "/api/search"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src" not in CSP and "default-src 'none'" in CSP


def test_only_files_inside_the_static_folder_are_served(client: Client) -> None:
    assert client.get("/static/style.css").status_code == 200
    for path in (
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2f%2e%2e%2fsearch%2fquery.py",
        "/static//etc/passwd",
        "/static/%2Fetc%2Fpasswd",
        "/static/templates/../../app.py",
        "/static/",
    ):
        response = client.get(path)
        if response.status_code == 308:  # "//" merged into "/", still inside /static/
            assert urlsplit(response.headers["Location"]).path.startswith("/static/"), path
            response = client.get(urlsplit(response.headers["Location"]).path)
        body = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert "import" not in body and "root:" not in body, path


def test_the_server_is_read_only_and_answers_loopback_names_only(client: Client) -> None:
    assert client.post("/?q=strike").status_code == 405
    assert client.delete("/api/article").status_code == 405
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:8080"}).status_code == 200
    for host in ("[::1]:8080", "[::1]", "127.0.0.1", "localhost"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example:8080", "127.0.0.1.evil.example", "[::2]:80"):
        assert client.get("/", headers={"Host": host}).status_code == 400, host


def test_hostile_fields_are_escaped_in_every_page(client: Client) -> None:
    pages = [
        page(client, "/?q=hostile"),
        page(client, "/?q=strike&sort=newest"),
        page(client, "/article", query_string={"url": HOSTILE_URL}),
        page(client, "/article", query_string={"url": revised()[0]["url"]}),
        page(client, "/fronts"),
    ]
    for html in pages:
        assert "<script" not in html
        assert not re.search(r"<(img|svg|iframe)\b(?![^>]*class=\"chart\")[^>]*(on\w+|src)=", html)
        assert 'href="javascript:' not in html and 'href="data:' not in html
        assert "\x01" not in html and "\x07" not in html
    assert "&lt;script&gt;" in pages[0] and "{{ 7*7 }}" in pages[2]


def test_safe_href_keeps_only_web_links() -> None:
    assert safe_href("https://www.nytimes.com/a.html") == "https://www.nytimes.com/a.html"
    for url in (JS_URL, " JavaScript:alert(1)", "data:text/html,x", "//evil.example/", "/x", 3):
        assert safe_href(url) is None


# The command


def _newsbot(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsbot", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_serve_without_an_index_is_one_line(tmp_path: Path) -> None:
    proc = _newsbot("serve", "--index", str(tmp_path / "none"), "--port", "0")
    assert proc.returncode == 1
    assert proc.stderr.startswith("newsbot serve: error: no index at")
    assert "Traceback" not in proc.stderr


def test_serve_on_a_busy_port_is_one_line(archive: tuple[Path, Path]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _newsbot("serve", "--index", str(archive[0]), "--port", str(port))
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_submitted_form_lands_on_the_short_address(client: Client) -> None:
    response = client.get("/?q=strike&section=&author=&since=&until=&sort=relevance")
    assert response.status_code == 303 and response.headers["Location"] == "/?q=strike"
    response = client.get("/?q=strike&section=americas,+world&page=1")
    assert response.headers["Location"] == "/?q=strike&section=americas&section=world"
    assert client.get("/?q=&sort=relevance").headers["Location"] == "/"
    assert client.get("/?q=strike&section=americas&section=world").status_code == 200


def test_facet_counter_counts_what_search_counts(archive: tuple[Path, Path]) -> None:
    counter = FacetCounter()
    cases = [
        ("strike", Filters()),
        ("strike OR vote", Filters(sections=("americas",))),
        ('"harbor pilots"', Filters(since=dt.date(2021, 2, 1), until=dt.date(2021, 3, 31))),
        ("pilot*", Filters(authors=("ana ortiz",))),
        ("strike NOT ships", Filters(authors=("Ben",))),
        ("strike", Filters(since=dt.date(2021, 3, 2), until=dt.date.max)),
        ("strike", Filters(until=dt.date(2021, 3, 2))),
    ]
    with open_searcher(archive[0]) as searcher:
        for text, filters in cases:
            expected = search(searcher, text, filters, facets=True)
            matches = counter.matches(searcher, text, filters)
            assert counter.count(searcher, matches.shown) == expected.facets, text
            assert len(matches.shown) == expected.total
            assert matches.shown <= matches.any_date


def test_facet_counter_follows_new_commits(archive: tuple[Path, Path], tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(archive[0], index_dir)
    pool = SearcherPool(index_dir)
    counter = FacetCounter()
    with pool.searcher() as searcher:
        before = counter.count(searcher, counter.matches(searcher, "strike", Filters()).shown)
    with ArchiveWriter(index_dir) as writer:
        writer.put(article(50, authors=["Zoe Park"], byline="By Zoe Park"))
        writer.commit()
    with pool.searcher() as searcher:
        after = counter.count(searcher, counter.matches(searcher, "strike", Filters()).shown)
    assert "Zoe Park" not in before["author"] and after["author"]["Zoe Park"] == 1
    assert sum(after["month"].values()) == sum(before["month"].values()) + 1


def test_fronts_list_the_stories_gone_since_the_crawl_before(
    archive: tuple[Path, Path], tmp_path: Path
) -> None:
    lines = [
        {"crawled_at": when, "front_url": FRONT, "rank": rank, "url": article(n)["url"],
         "headline": f"Story {n}"}
        for when, numbers in (("2026-11-01T08:00:00Z", (1, 2)), ("2026-11-02T08:00:00Z", (2,)))
        for rank, n in enumerate(numbers, start=1)
    ]  # fmt: skip
    fronts = tmp_path / "americas-fronts.jsonl"
    fronts.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    html = page(Client(ArchiveApp(archive[0], [fronts])), "/fronts")
    gone = html.split("Gone since the crawl before")[1]
    assert "Story 1" in gone and "Story 2" not in gone
    assert f'href="/article?url={quote(article(1)["url"], safe="")}"' in gone
    assert "↑1" in html  # story 2 moved from rank 2 to 1


def test_items_and_snapshots_with_missing_keys_still_show(tmp_path: Path) -> None:
    bare = {
        "url": f"{SITE}/2020/01/01/world/bare.html",
        "headline": "A bare strike item",
        "published": "2020-01-01T00:00:00Z",
        "body": "Only a body.",
    }
    with ArchiveWriter(tmp_path / "index") as writer:
        writer.put(bare)
        writer.commit()
    fronts = tmp_path / "x-fronts.jsonl"
    fronts.write_text(json.dumps({"crawled_at": "2026-01-01T00:00:00Z", "front_url": FRONT}))
    client = Client(ArchiveApp(tmp_path / "index", [fronts]))
    assert "A bare strike item" in page(client, "/?q=strike")
    assert "Only a body." in page(client, "/article", query_string={"url": bare["url"]})
    assert "crawl 1 of 1" in page(client, "/fronts")


def test_concurrent_requests_each_get_their_own_searcher(archive: tuple[Path, Path]) -> None:
    app = ArchiveApp(archive[0], [archive[1]])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"
    paths = ["/?q=strike", "/?q=pilots&sort=newest", "/fronts", "/api/search?q=strike&facets=1"]
    paths.append("/article?url=" + quote(revised()[0]["url"], safe=""))
    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda p: urlopen(base + p).status, paths * 12))
    finally:
        server.shutdown()
    assert statuses == [200] * len(paths) * 12


def test_any_host_when_listening_beyond_loopback(archive: tuple[Path, Path]) -> None:
    client = Client(ArchiveApp(archive[0], [], any_host=True))
    assert client.get("/", headers={"Host": "archive.example:8080"}).status_code == 200


def test_article_marks_every_place_the_query_matches(client: Client) -> None:
    url = revised()[0]["url"]
    html = page(client, "/article", query_string={"url": url, "q": "percents NOT turnout"})
    # "percents" finds "percent" by its stem; the excluded word is not marked.
    assert html.count("<mark") == 2 and '<mark id="match-1">percent</mark>' in html
    assert "Turnout" in html and "<mark>Turnout" not in html
    assert '<a href="#match-1">2 places</a>' in html
    html = page(client, "/article", query_string={"url": url, "q": "zebra"})
    assert "do not occur in the text" in html and "<mark" not in html
    html = page(client, "/article", query_string={"url": url, "q": '"open'})
    assert "<mark" not in html
    hostile_page = page(client, "/article", query_string={"url": HOSTILE_URL, "q": "script"})
    assert '<mark id="match-1">script</mark>' in hostile_page and "<script" not in hostile_page


def test_search_results_link_to_the_article_with_the_query(client: Client) -> None:
    html = page(client, "/?q=pilots+strike")
    assert re.search(r'href="/article\?url=[^"]+&amp;q=pilots\+strike"', html)


def test_article_links_to_more_by_its_authors_and_section(client: Client) -> None:
    url = article(2)["url"]
    html = page(client, "/article", query_string={"url": url}).replace("&amp;", "&")
    more = re.search(r'href="(/\?q=author%3A%22Ben\+Cole%22&sort=newest)"', html)
    assert more and re.search(r'href="/\?q=section%3A%22Americas%22&sort=newest"', html)
    results = page(client, more.group(1))
    assert results.count('<li class="hit">') == 5  # Ben Cole writes the even-numbered stories
    hostile_page = page(client, "/article", query_string={"url": HOSTILE_URL})
    link = re.search(r'href="(/\?q=author[^"]+)"', hostile_page).group(1).replace("&amp;", "&")
    assert client.get(link).status_code == 200


def test_fronts_are_found_in_subfolders_and_reread_when_they_grow(
    archive: tuple[Path, Path], tmp_path: Path
) -> None:
    nested = tmp_path / "data" / "demo"
    nested.mkdir(parents=True)
    lines = fronts_lines()
    first_crawl = [line for line in lines if line["crawled_at"] == lines[0]["crawled_at"]]
    target = nested / "americas-fronts.jsonl"
    target.write_text("".join(json.dumps(line) + "\n" for line in first_crawl))
    client = Client(ArchiveApp(archive[0], [tmp_path / "data"]))
    assert "crawl 1 of 1" in page(client, "/fronts")
    target.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert "crawl 2 of 2" in page(client, "/fronts")


def test_serve_prints_its_url_answers_and_stops_on_ctrl_c(
    archive: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with out.open("w") as handle:
        command = [sys.executable, "-m", "newsbot", "serve", "--index", str(archive[0])]
        # A shell runs background jobs with SIGINT ignored, and Python then never turns it
        # into KeyboardInterrupt: the suite run with `&` must not make Ctrl-C look broken.
        server = subprocess.Popen(
            [*command, "--port", "0"],
            stdout=handle,
            stderr=handle,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        deadline = time.monotonic() + 30
        while "http://" not in out.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        url = re.search(r"http://127\.0\.0\.1:\d+/", out.read_text()).group(0)
        assert urlopen(url + "?q=strike").status == 200
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0
    assert "newsbot serve: stopped" in out.read_text()
    assert "Traceback" not in out.read_text()


def _mutated(line: str, rng: random.Random) -> str:
    """A snapshot line cut, spliced with junk, or with a value of another JSON type."""
    choice = rng.randrange(4)
    if choice == 0:
        return line[: rng.randrange(len(line))]
    if choice == 1:
        spot = rng.randrange(len(line))
        return line[:spot] + rng.choice(['"', "}", "\\", "\x00", "é", "[1,"]) + line[spot:]
    card = json.loads(line)
    key = rng.choice(sorted(card))
    if choice == 2:
        card[key] = rng.choice([None, 7, -1.5, [], {}, True, "", "2026-13-45T99:99", "<b>"])
    else:
        del card[key]
    return json.dumps(card)


def test_thousands_of_mutated_snapshot_lines_never_fail_the_fronts_page(
    archive: tuple[Path, Path], tmp_path: Path
) -> None:
    rng = random.Random(1515)
    good = [json.dumps(line) for line in fronts_lines()]
    fronts = tmp_path / "americas-fronts.jsonl"
    lines = [_mutated(rng.choice(good), rng) for _ in range(3000)]
    fronts.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass") + b"\xff\xfe\n")
    loaded = read_archive([fronts])
    assert loaded.damaged_lines > 0 and loaded.crawls
    client = Client(ArchiveApp(archive[0], [fronts]))
    for front in loaded.fronts:
        for crawl in loaded.crawls[front]:
            response = client.get(
                "/fronts", query_string={"front": front, "at": crawl.crawled_at.isoformat()}
            )
            assert response.status_code == 200, front


def test_article_page_survives_fields_of_the_wrong_type(tmp_path: Path) -> None:
    odd_values = [None, 7, -1.5, True, "", "<b>x</b>", [], [1, None], {}, {"a": [1]}, ["x"]]
    # Fields only stored, never indexed: the index writer checks the others' types.
    fields = ["modified", "tags", "language", "kind", "short_url", "translations"]
    fields += ["near_duplicate_of", "is_free", "source_url"]
    rng = random.Random(99)
    items = []
    for number in range(150):
        item = article(200 + number)
        for name in rng.sample(fields, 4):
            item[name] = rng.choice(odd_values)
        item["captions"] = [{"text": rng.choice(["A caption", ""]), "credit": None}]
        items.append(item)
    index_dir = tmp_path / "index"
    with ArchiveWriter(index_dir) as writer:
        for item in items:
            writer.put(item)
        writer.commit()
    stored = [item["url"] for item in items]
    client = Client(ArchiveApp(index_dir, []))
    for url in stored:
        response = client.get("/article", query_string={"url": url, "q": "strike"})
        assert response.status_code == 200, url
    assert client.get("/?q=strike&limit=100").status_code == 200
