"""URL rules shared by discovery, parsing and cleaning: canonical form, tracking parameters,
and which paths are articles."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

# Click-tracking and campaign parameters: they never change the page, NYT's robots.txt disallows
# several of them, and left in place they make one article look like many.
TRACKING_PARAMS = frozenset(
    {
        "smid",
        "smtyp",
        "partner",
        "emc",
        "action",
        "module",
        "pgtype",
        "region",
        "contentcollection",
        "contentplacement",
        "version",
        "src",
        "ref",
        "referer",
        "referringsource",
        "login",
        "auth",
        "campaignid",
        "mcubz",
        "mc",
        "mcid",
        "cid",
        "fbclid",
        "gclid",
        "ncid",
        "hp",
        "rref",
        "_r",
        "algo",
        "block",
        "fellback",
        "imp_id",
        "req_id",
        "surface",
        "variant",
        "context",
        "wt.nav",
        "wt_nav",
        "rss",
        "share",
        "sgrp",
        "unlocked_article_code",
        "ugrp",
        "te",
        "nl",
        "emc2",
    }
)
_TRACKING_PREFIXES = ("utm_", "ga_", "mc_", "pk_", "at_")

SITE_DOMAIN = "nytimes.com"

_DATED_ARTICLE = re.compile(r"^/(?:\d{4})/(?:\d{2})/(?:\d{2})/(?:[\w.-]+/)*[\w.%-]+\.html$")
_INTERACTIVE = re.compile(r"^/interactive/\d{4}/")
_LIVE = re.compile(r"^/live/\d{4}/")
_NOT_ARTICLES = re.compile(r"^/(?:video|by|section|search|svc|ads|slideshow|topic|column)(?:/|$)")
# Blog posts (2005–2016): `https://<blog>.blogs.nytimes.com/YYYY/MM/DD/slug/` and DealBook's
# own host; the blog's fronts, tag and author pages have no dated path.
_BLOG_POST = re.compile(r"^/\d{4}/\d{2}/\d{2}/[\w.%-]+/?$")
_BLOG_HOSTS = re.compile(r"^(?:[\w-]+\.blogs|dealbook)\.nytimes\.com$")
# Numbered mirrors (www10.nytimes.com) serve the same pages as www; the article lives on www.
_MIRROR_HOST = re.compile(r"^www\d+\.nytimes\.com$")


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def strip_tracking(url: str) -> str:
    """The URL without tracking parameters or a fragment; other parameters keep their order."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if not is_tracking_param(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


def is_site_host(host: str | None, domain: str = SITE_DOMAIN) -> bool:
    host = (host or "").lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


def _https_url(parts: SplitResult, query: str = "") -> str:
    """https, lower-case host (`www.` for the bare site domain), `query`, no fragment."""
    host = parts.netloc.lower()
    if host == SITE_DOMAIN or _MIRROR_HOST.match(host):
        host = "www." + SITE_DOMAIN
    return urlunsplit(("https", host, parts.path or "/", query, ""))


def canonical_article_url(url: str) -> str:
    """https, lower-case host, no query, no fragment: the one form an article is known by."""
    return _https_url(urlsplit(url.strip()))


def _site_path(url: str, domain: str) -> str | None:
    """The path of an http(s) URL on the site, or None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not is_site_host(parts.hostname, domain):
        return None
    return parts.path


def is_article_url(url: str, domain: str = SITE_DOMAIN) -> bool:
    """Dated `.html` stories, interactives, live blogs and blog posts on the site; not video,
    author pages, section fronts or search."""
    path = _site_path(url, domain)
    if path is None or _NOT_ARTICLES.match(path) or "/video/" in path:
        return False
    if _BLOG_POST.match(path):
        return bool(_BLOG_HOSTS.match((urlsplit(url).hostname or "").lower().rstrip(".")))
    return bool(_DATED_ARTICLE.match(path) or _INTERACTIVE.match(path) or _LIVE.match(path))


# --- Discovery helpers --------------------------------------------------------------------------

# NYT en Español and friends put a language folder in front of the dated path (/es/2022/01/...).
_LANG_DATED_ARTICLE = re.compile(r"^/[a-z]{2}(?:/\d{4}/\d{2}/\d{2}/(?:[\w.-]+/)*[\w.%-]+\.html)$")
_SECTION_PATH = re.compile(r"^(?:/interactive|/live)?/\d{4}/\d{2}/\d{2}/(?P<rest>.+)$")


def is_discoverable_article(url: str, domain: str = SITE_DOMAIN) -> bool:
    """`is_article_url`, plus dated stories under a language folder such as `/es/`."""
    if is_article_url(url, domain):
        return True
    path = _site_path(url, domain)
    return path is not None and bool(_LANG_DATED_ARTICLE.match(path)) and "/video/" not in path


def request_url(url: str) -> str:
    """The form discovery requests an article by: https, `www.` host, no tracking parameters and
    no fragment. Other parameters stay, because they may select a different page."""
    parts = urlsplit(strip_tracking(url.strip()))
    return _https_url(parts, parts.query)


def in_section(url: str, section_path: str) -> bool:
    """True for dated article paths under the section, e.g. `/2024/05/01/world/americas/x.html`
    (or `/live/2024/05/01/world/americas/...`) for `world/americas`: a site-wide sitemap lists
    every section."""
    match = _SECTION_PATH.match(urlsplit(url).path)
    if not match:
        return False
    prefix = section_path.strip("/") + "/"
    return match.group("rest").startswith(prefix)
