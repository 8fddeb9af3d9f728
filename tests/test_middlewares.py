"""SiteMirrorMiddleware: requests go to the mirror, everything else keeps the site's URLs."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from newsbot.middlewares import SITE_URL_META, SiteMirrorMiddleware

MIRROR = "http://127.0.0.1:8765"
ARTICLE = "https://www.nytimes.com/2026/01/05/world/americas/x.html?page=2"


def middleware(site: str = MIRROR) -> SiteMirrorMiddleware:
    crawler = get_crawler(settings_dict={"NEWSBOT_SITE": site})
    return SiteMirrorMiddleware.from_crawler(crawler)


@pytest.mark.parametrize("site", ["https://www.nytimes.com", "https://nytimes.com/", ""])
def test_off_for_the_site_itself(site: str) -> None:
    with pytest.raises(NotConfigured):
        middleware(site)


def test_bad_site_setting() -> None:
    with pytest.raises(ValueError, match="origin"):
        middleware("127.0.0.1:8765")


def test_request_goes_to_the_mirror_and_response_comes_back_in_site_terms() -> None:
    mw = middleware()
    request = Request(ARTICLE)
    assert mw.process_request(request) is None
    assert request.url == f"{MIRROR}/2026/01/05/world/americas/x.html?page=2"
    assert request.meta[SITE_URL_META] == ARTICLE

    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    result = mw.process_response(request, response)
    assert result.url == ARTICLE
    assert request.url == ARTICLE
    assert SITE_URL_META not in request.meta


@pytest.mark.parametrize(
    ("url", "mirrored"),
    [
        (
            "https://rss.nytimes.com/services/xml/rss/nyt/Americas.xml",
            "/services/xml/rss/nyt/Americas.xml",
        ),
        ("https://nytimes.com/robots.txt", "/robots.txt"),
        ("http://www.nytimes.com/sitemaps/new/news.xml.gz", "/sitemaps/new/news.xml.gz"),
    ],
)
def test_every_site_host_is_mirrored(url: str, mirrored: str) -> None:
    request = Request(url)
    middleware().process_request(request)
    assert request.url == MIRROR + mirrored


def test_other_hosts_are_left_alone() -> None:
    mw = middleware()
    request = Request("https://static01.nyt.com/images/x.jpg")
    mw.process_request(request)
    assert request.url == "https://static01.nyt.com/images/x.jpg"
    response = Response(request.url, request=request)
    assert mw.process_response(request, response) is response


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (
            f"{MIRROR}/2026/01/05/world/americas/y.html",
            "https://www.nytimes.com/2026/01/05/world/americas/y.html",
        ),
        (
            "/2026/01/05/world/americas/y.html",
            "https://www.nytimes.com/2026/01/05/world/americas/y.html",
        ),
        ("https://www.nytimes.com/z.html", "https://www.nytimes.com/z.html"),
        ("https://www.example.com/elsewhere", "https://www.example.com/elsewhere"),
    ],
)
def test_redirect_location_is_rewritten_into_site_terms(location: str, expected: str) -> None:
    mw = middleware()
    request = Request(ARTICLE)
    mw.process_request(request)
    response = Response(request.url, status=301, headers={"Location": location}, request=request)
    result = mw.process_response(request, response)
    assert result.headers[b"Location"].decode() == expected
    assert result.url == ARTICLE


def test_exception_restores_the_site_url_for_retry() -> None:
    mw = middleware()
    request = Request(ARTICLE)
    mw.process_request(request)
    assert mw.process_exception(request, TimeoutError()) is None
    assert request.url == ARTICLE
    assert request.copy().url == ARTICLE


def test_runs_after_the_builtin_middlewares() -> None:
    # process_request runs in ascending order and process_response in descending order, so this
    # must come after RobotsTxt (100), Retry (550), HttpCompression (590) and Redirect (600).
    crawler = get_crawler(settings_dict={"NEWSBOT_SITE": MIRROR})
    from newsbot import settings

    order = settings.DOWNLOADER_MIDDLEWARES["newsbot.middlewares.SiteMirrorMiddleware"]
    builtin = crawler.settings.getdict("DOWNLOADER_MIDDLEWARES_BASE")
    assert all(order > priority for priority in builtin.values() if priority is not None)
