"""URL rules: which links are articles, and the form they are requested and known by."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newsbot.devserver import SampleSiteServer
from newsbot.urls import (
    canonical_article_url,
    in_section,
    is_article_url,
    is_discoverable_article,
    join_url,
    request_url,
    split_url,
    strip_tracking,
)

SITE = "https://www.nytimes.com"


@pytest.mark.parametrize(
    "url",
    [
        f"{SITE}/2026/01/05/world/americas/andes-glacier-survey.html",
        f"{SITE}/2019/05/14/world/americas/a.b-c_d.html",
        f"{SITE}/interactive/2021/03/01/us/map.html",
        f"{SITE}/live/2021/03/22/us/boulder-shooting",
        "https://nytimes.com/2026/01/05/world/americas/x.html",
        "http://www.nytimes.com/2026/01/05/world/americas/x.html?smid=tw-share",
    ],
)
def test_articles(url: str) -> None:
    assert is_article_url(url)
    assert is_discoverable_article(url)


@pytest.mark.parametrize(
    "url",
    [
        f"{SITE}/video/world/americas/100000001234567/river-ferry.html",
        f"{SITE}/2026/01/05/video/world/x.html",
        f"{SITE}/by/lucia-ferrer",
        f"{SITE}/section/world/americas",
        f"{SITE}/search?query=glacier",
        f"{SITE}/2026/01/05/world/americas/",
        "https://www.example.com/2026/01/05/world/americas/x.html",
        "https://nytimes.com.example.org/2026/01/05/world/americas/x.html",
        "ftp://www.nytimes.com/2026/01/05/world/americas/x.html",
        "mailto:someone@nytimes.com",
    ],
)
def test_not_articles(url: str) -> None:
    assert not is_article_url(url)
    assert not is_discoverable_article(url)


def test_language_folder_articles_are_discoverable() -> None:
    assert is_discoverable_article(f"{SITE}/es/2022/01/25/espanol/juegos.html")
    assert not is_discoverable_article(f"{SITE}/es/")


def test_request_url_strips_tracking_but_keeps_other_params() -> None:
    url = (
        "http://nytimes.com/2026/01/05/world/americas/x.html"
        "?action=click&module=Top%20Stories&pgtype=Section&smid=url-share&page=2"
        "&utm_source=share&partner=rss&emc=rss&region=Footer#comments"
    )
    assert request_url(url) == f"{SITE}/2026/01/05/world/americas/x.html?page=2"
    assert canonical_article_url(url) == f"{SITE}/2026/01/05/world/americas/x.html"


def test_strip_tracking_is_case_insensitive() -> None:
    assert strip_tracking(f"{SITE}/a.html?SMID=x&Utm_Medium=y&q=1") == f"{SITE}/a.html?q=1"


@pytest.mark.parametrize(
    ("url", "section", "expected"),
    [
        (f"{SITE}/2026/01/05/world/americas/x.html", "world/americas", True),
        (f"{SITE}/2026/01/05/world/americas/x.html", "/world/americas/", True),
        (f"{SITE}/2026/01/05/world/americas/x.html", "world", True),
        (f"{SITE}/2026/01/05/world/americasx/x.html", "world/americas", False),
        (f"{SITE}/2026/01/05/us/politics/x.html", "world/americas", False),
        (f"{SITE}/interactive/2026/01/05/world/americas/x.html", "world/americas", True),
        (f"{SITE}/live/2026/01/05/world/americas/storm", "world/americas", True),
        (f"{SITE}/live/2026/01/05/us/storm", "world/americas", False),
        (f"{SITE}/interactive/2026/world/americas/x.html", "world/americas", False),
    ],
)
def test_in_section(url: str, section: str, expected: bool) -> None:
    assert in_section(url, section) is expected


ARTICLE = "/2026/01/05/world/americas/andes-glacier-survey.html"


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.nytimes.com:443{ARTICLE}",
        f"http://www.nytimes.com:80{ARTICLE}",
        f"http://www.nytimes.com:443{ARTICLE}",
        f"https://www.nytimes.com:{ARTICLE}",
        f"https://WWW.NYTimes.COM{ARTICLE}",
        f"https://www.nytimes.com.{ARTICLE}",
        f"https://nytimes.com.:443{ARTICLE}",
        f"https://reader:secret@www.nytimes.com{ARTICLE}",
    ],
)
def test_one_spelling_of_the_host(url: str) -> None:
    # Default ports, host case, a trailing dot and user info all name the same article; each
    # was requested (and fed) as an article of its own.
    assert canonical_article_url(url) == SITE + ARTICLE
    assert request_url(url + "?smid=tw") == SITE + ARTICLE
    assert is_discoverable_article(url)


def test_other_ports_are_kept() -> None:
    assert canonical_article_url(f"https://www.nytimes.com:8443{ARTICLE}") == (
        f"https://www.nytimes.com:8443{ARTICLE}"
    )
    assert request_url(f"http://[::1]:80{ARTICLE}") == f"https://[::1]{ARTICLE}"


@pytest.mark.parametrize(
    "url",
    [
        f"http://[::1{ARTICLE}",  # unbalanced IPv6 bracket
        f"https://[www.nytimes.com]{ARTICLE}",  # brackets around a name
        f"https://www.nytimes.com:99999{ARTICLE}",  # port out of range
        f"https://www.nytimes.com:abc{ARTICLE}",  # port not a number
        f"https://www.nytimes.com\u2100{ARTICLE}",  # NFKC folds it into a "/"
        f"https://www.nytimes.com{ARTICLE}?q=\ud800",  # a lone surrogate (from JSON-LD)
    ],
)
def test_urls_python_cannot_read(url: str) -> None:
    # Each raised ValueError out of the parsers and lost the page, front or feed around it.
    assert split_url(url) is None
    assert join_url(f"{SITE}/section/world", url) is None
    assert not is_article_url(url)
    assert not is_discoverable_article(url)
    assert not in_section(url, "world/americas")


def test_canonical_forms_of_urls_python_cannot_read() -> None:
    # Where urlsplit raises, so do they, as before; a port that is no port stays as written, so
    # it is never taken for the default one.
    with pytest.raises(ValueError):
        canonical_article_url(f"http://[::1{ARTICLE}")
    with pytest.raises(ValueError):
        request_url(f"https://[www.nytimes.com]{ARTICLE}")
    bad_port = f"https://www.nytimes.com:99999{ARTICLE}"
    assert canonical_article_url(bad_port.replace("www", "WWW")) == bad_port
    assert request_url(bad_port + "?smid=x") == bad_port


def test_join_url_resolves_readable_links() -> None:
    assert join_url(f"{SITE}/section/world/americas", "../../2026/x.html") == f"{SITE}/2026/x.html"
    assert join_url("http://[::1/", "/x.html") is None


def test_strip_tracking_keeps_the_spelling_of_other_parameters() -> None:
    url = f"{SITE}/a.html?page=%ff&utm_source=x&q=a+b&flag"
    assert strip_tracking(url) == f"{SITE}/a.html?page=%ff&q=a+b&flag"


DISCOVERY_SITE = Path(__file__).parent / "fixtures" / "discovery" / "site"
FRONT_PATH = "/section/world/americas"
COFFEE = "/2026/01/04/world/americas/coffee-harvest-rains.html"
FERRY = "/2026/01/05/world/americas/river-ferry-returns.html"


def test_a_crawl_fetches_each_spelling_of_an_article_once(
    tmp_path: Path, run_crawl: Callable[..., Any]
) -> None:
    # The front links articles it (and the feed and sitemap) also lists, spelled with a default
    # port, upper case and a trailing dot: each was fetched and fed a second time.
    front = (DISCOVERY_SITE / "section" / "world" / "americas" / "index.html").read_text("utf-8")
    spellings = [
        f"https://www.nytimes.com:443{ARTICLE}",
        f"http://www.nytimes.com:80{ARTICLE}?smid=tw",
        f"https://WWW.NYTimes.com.{COFFEE}",
        f"https://nytimes.com:443{FERRY}",
    ]
    cards = "".join(f'<article><h2><a href="{url}">Again</a></h2></article>' for url in spellings)
    with SampleSiteServer(root=DISCOVERY_SITE) as server:
        server.override(FRONT_PATH, front.replace("</main>", cards + "</main>"))
        done, items = run_crawl(server, tmp_path, "-s", "NEWSBOT_INDEX_COMMIT_SECONDS=0.2")
        hits = {path: server.hits(path) for path in (ARTICLE, COFFEE, FERRY)}
    assert done.returncode == 0, done.stderr[-2000:]
    urls = [item["url"] for item in items]
    assert len(urls) == len(set(urls)), Counter(urls).most_common(3)
    assert {SITE + ARTICLE, SITE + COFFEE, SITE + FERRY} <= set(urls)
    assert hits == {ARTICLE: 1, COFFEE: 1, FERRY: 1}
