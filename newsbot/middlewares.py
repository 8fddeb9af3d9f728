"""Downloader middlewares: serve the site from a mirror origin (`NEWSBOT_SITE`), and fail
redirects that cannot lead to the page with a reason (`RedirectGuardMiddleware`, at the end).

Spiders, items, robots.txt rules, redirects and retries all work with the site's own URLs
(`https://www.nytimes.com/...`, `https://rss.nytimes.com/...`). Only the wire goes elsewhere:
just before a request is downloaded its URL is pointed at the mirror, and as soon as the response
comes back both the request and the response get their site URL back.

Ordering (see `DOWNLOADER_MIDDLEWARES` in settings): the middleware sits at 950, after every
built-in one. `process_request` runs in ascending order, so RobotsTxt (100), Offsite, HttpAuth and
the cache all see the site URL; `process_response`/`process_exception` run in descending order, so
this one restores the site URL before Retry (550), HttpCompression (590) and Redirect (600) look at
the request or response. Redirects therefore resolve in site terms and retried requests are
copies of the site request.

The request is re-pointed in place instead of returning `request.replace(...)`, because a Request
returned from `process_request` goes back through the scheduler (dupefilter, JOBDIR queue, robots)
with the mirror URL in it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from w3lib.url import safe_url_string

from newsbot.urls import SITE_DOMAIN, is_site_host

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# Request meta key holding the site URL while the request is on its way to the mirror.
SITE_URL_META = "newsbot_site_url"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url.rstrip("/"))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"NEWSBOT_SITE must be an origin like http://127.0.0.1:8765, got {url!r}")
    return parts.scheme, parts.netloc.lower()


class SiteMirrorMiddleware:
    """Send requests for any host under the site's domain to `NEWSBOT_SITE` instead."""

    def __init__(self, site: str, domain: str = SITE_DOMAIN) -> None:
        self.scheme, self.netloc = _origin(site)
        self.domain = domain

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteMirrorMiddleware:
        site = crawler.settings.get("NEWSBOT_SITE") or ""
        scheme_host = urlsplit(site).hostname
        # The live site needs no mapping: keep the middleware out of the chain entirely.
        if not site or is_site_host(scheme_host, SITE_DOMAIN):
            raise NotConfigured("NEWSBOT_SITE is the site itself")
        mw = cls(site)
        logger.info("Serving *.%s from the mirror %s://%s", mw.domain, mw.scheme, mw.netloc)
        return mw

    # -- mapping --------------------------------------------------------------------------------

    def to_mirror(self, url: str) -> str | None:
        """The mirror URL for a site URL (same path and query), or None for other hosts."""
        parts = urlsplit(url)
        if not is_site_host(parts.hostname, self.domain):
            return None
        return urlunsplit((self.scheme, self.netloc, parts.path, parts.query, parts.fragment))

    def is_mirror(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme == self.scheme and parts.netloc.lower() == self.netloc

    def to_site(self, url: str, site_url: str) -> str:
        """Map a mirror URL back onto the site host of `site_url` (the request being answered)."""
        if not self.is_mirror(url):
            return url
        site = urlsplit(site_url)
        parts = urlsplit(url)
        return urlunsplit((site.scheme, site.netloc, parts.path, parts.query, parts.fragment))

    # -- middleware hooks ---------------------------------------------------------------------

    def process_request(self, request: Request) -> None:
        mirror = self.to_mirror(request.url)
        if mirror is None:
            return None
        request.meta[SITE_URL_META] = request.url
        # Private setter on purpose: see the module docstring for why not `replace()`.
        request._set_url(mirror)
        return None

    def _restore(self, request: Request) -> str | None:
        site_url = request.meta.pop(SITE_URL_META, None)
        if site_url is not None and self.is_mirror(request.url):
            request._set_url(site_url)
        return site_url

    def process_response(self, request: Request, response: Response) -> Response:
        site_url = self._restore(request)
        if site_url is None:
            return response
        headers = response.headers.copy()
        location = headers.get(b"Location")
        if location:
            # An absolute Location naming the mirror must become a site URL, or the redirect
            # would leave the site (and dodge robots.txt and the dupefilter).
            target = urljoin(response.url, location.decode("latin-1"))
            headers[b"Location"] = self.to_site(target, site_url).encode("latin-1")
        return response.replace(url=self.to_site(response.url, site_url), headers=headers)

    def process_exception(self, request: Request, exception: Exception) -> None:
        # Retry's copy of the request must carry the site URL, not the mirror one.
        self._restore(request)
        return None


class LostRedirect(IgnoreRequest):
    """A redirect that cannot lead to the article: `reason` is redirect_loop, redirect_offsite
    or too_many_redirects."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectGuardMiddleware:
    """Fail a request, with a reason, when its redirect cannot lead to the page.

    Scrapy drops such requests without a word: a redirect to itself or back along its chain is
    filtered as a duplicate request, and one to another host as an off-site request, so neither
    errback nor log would say that an article was lost. Raising `LostRedirect` (an
    IgnoreRequest) instead calls the request's errback. It sits between the mirror (950), which
    has put the site's URLs back on the response, and RedirectMiddleware (600).
    """

    def __init__(self, max_redirects: int = 20, domain: str = SITE_DOMAIN) -> None:
        self.max_redirects = max_redirects
        self.domain = domain

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        settings = crawler.settings
        if not settings.getbool("REDIRECT_ENABLED", True):
            raise NotConfigured("REDIRECT_ENABLED is off")
        return cls(settings.getint("REDIRECT_MAX_TIMES", 20))

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if (
            response.status not in _REDIRECT_STATUSES
            or not location
            or request.meta.get("dont_redirect")
        ):
            return response
        target = urljoin(request.url, safe_url_string(location.decode("latin-1"))).split("#")[0]
        if target == request.url:
            raise LostRedirect("redirect_loop", f"redirects to itself ({response.status})")
        if target in request.meta.get("redirect_urls", []):
            raise LostRedirect("redirect_loop", f"redirects back to {target}, which led here")
        if not is_site_host(urlsplit(target).hostname, self.domain):
            raise LostRedirect("redirect_offsite", f"redirects off the site, to {target}")
        if request.meta.get("redirect_times", 0) >= self.max_redirects:
            raise LostRedirect(
                "too_many_redirects", f"redirects more than {self.max_redirects} times"
            )
        return response


# Request meta key the spider sets on its discovery pages (front, feed, sitemaps).
DISCOVERY_META = "newsbot_discovery"


class DiscoveryTimeoutMiddleware:
    """Give discovery pages and robots.txt a short timeout and one retry.

    They are few, and whether they answer decides whether the crawl can run at all. With the
    crawl's own DOWNLOAD_TIMEOUT (30 s) and three retries, a host that accepts connections and
    never answers kept a crawl waiting four minutes before it could say anything; now it says
    within NEWSBOT_DISCOVERY_TIMEOUT × (1 + NEWSBOT_DISCOVERY_RETRIES) seconds. It runs before
    Scrapy's DownloadTimeoutMiddleware (350), whose default then leaves these values alone.
    """

    def __init__(self, timeout: float = 10.0, retries: int = 1) -> None:
        self.timeout = timeout
        self.retries = retries

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiscoveryTimeoutMiddleware:
        settings = crawler.settings
        return cls(
            settings.getfloat("NEWSBOT_DISCOVERY_TIMEOUT", 10.0),
            settings.getint("NEWSBOT_DISCOVERY_RETRIES", 1),
        )

    def process_request(self, request: Request) -> None:
        is_robots = request.meta.get("dont_obey_robotstxt") and (
            urlsplit(request.url).path == "/robots.txt"
        )
        if is_robots or request.meta.get(DISCOVERY_META):
            request.meta.setdefault("download_timeout", self.timeout)
            request.meta.setdefault("max_retry_times", self.retries)
        return None
