"""URL rules: which links are articles, and the form they are requested and known by."""

from __future__ import annotations

import pytest

from newsbot.urls import (
    canonical_article_url,
    in_section,
    is_article_url,
    is_discoverable_article,
    request_url,
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
