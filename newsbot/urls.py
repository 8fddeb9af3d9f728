"""URL rules shared by discovery, parsing and cleaning: canonical form, tracking parameters,
and which paths are articles."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

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


def split_url(url: str) -> SplitResult | None:
    """`url` split into its parts, or None when Python cannot read it as a URL: unbalanced IPv6
    brackets, a port that is not a number from 0 to 65535, a host that NFKC folds into `/`, `?`,
    `#` or `@`, a lone surrogate. Pages carry all of these; none is an address anyone can fetch."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - read only to validate: `.port` raises for a bad port
        if not url.isascii():
            url.encode("utf-8")  # a lone surrogate (JSON-LD's "\ud800") names no address
    except ValueError:  # UnicodeEncodeError included
        return None
    return parts


def join_url(base: str, href: str) -> str | None:
    """`href` resolved against `base`, or None when either is not a readable URL (see
    `split_url`). Links in pages go through here, so one bad link costs only that link."""
    try:
        absolute = urljoin(base, href)
    except ValueError:
        return None
    return absolute if split_url(absolute) is not None else None


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def strip_tracking(url: str) -> str:
    """The URL without tracking parameters or a fragment; other parameters keep their order and
    their spelling (decoding and re-encoding them would turn `%ff` into `%EF%BF%BD`).

    Raises ValueError where `urlsplit` does (see `canonical_article_url`)."""
    parts = urlsplit(url)
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and not is_tracking_param(unquote_plus(pair.partition("=")[0]))
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), ""))


def is_site_host(host: str | None, domain: str = SITE_DOMAIN) -> bool:
    host = (host or "").lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


# Ports that say nothing: the scheme's own. `http://…:80` also goes to https without a port.
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _https_url(parts: SplitResult, query: str = "") -> str:
    """https, `query`, no fragment, and one spelling of the host: lower case, no trailing dot, no
    user name or password, no default port (`www.` for the bare site domain). Left as written,
    `https://www.nytimes.com:443/x` and `https://WWW.NYTimes.com./x` were fetched and fed as
    articles of their own."""
    path = parts.path or "/"
    rebuilt = urlunsplit(("https", _canonical_netloc(parts), path, query, ""))
    if split_url(rebuilt) is None:
        # A netloc Python reads only as a whole ("[::]x@1.2.3.4]") or a port that is no port:
        # nothing to canonicalise, so it stays as written, in lower case.
        return urlunsplit(("https", parts.netloc.lower(), path, query, ""))
    return rebuilt


def _canonical_netloc(parts: SplitResult) -> str:
    host = (parts.hostname or "").rstrip(".")
    if host == SITE_DOMAIN or _MIRROR_HOST.match(host):
        host = "www." + SITE_DOMAIN
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    try:
        port = parts.port
    except ValueError:
        return parts.netloc.lower()
    if port is not None and port not in {443, _DEFAULT_PORTS.get(parts.scheme)}:
        host = f"{host}:{port}"
    return host


def canonical_article_url(url: str) -> str:
    """https, canonical host, no query, no fragment: the one form an article is known by.

    Raises ValueError where `urlsplit` does: unbalanced IPv6 brackets, a name in brackets, a
    host that NFKC folds into a delimiter. A URL that splits but is not readable otherwise (see
    `split_url`) comes back with its host as written; parsers never hand such URLs on, because
    they resolve links with `join_url` and keep only what `is_discoverable_article` accepts."""
    return _https_url(urlsplit(url.strip()))


def _site_path(url: str, domain: str) -> str | None:
    """The path of an http(s) URL on the site, or None for any other URL (or no URL at all)."""
    parts = split_url(url)
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or not is_site_host(parts.hostname, domain)
    ):
        return None
    return parts.path


def is_article_url(url: str, domain: str = SITE_DOMAIN) -> bool:
    """Dated `.html` stories, interactives and live blogs on the site; not video, author pages,
    section fronts or search."""
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
    """The form discovery requests an article by: https, canonical `www.` host, no tracking
    parameters and no fragment. Other parameters stay, because they may select a different page.

    Raises ValueError where `urlsplit` does (see `canonical_article_url`)."""
    parts = urlsplit(strip_tracking(url.strip()))
    return _https_url(parts, parts.query)


def in_section(url: str, section_path: str) -> bool:
    """True for dated article paths under the section, e.g. `/2024/05/01/world/americas/x.html`
    (or `/live/2024/05/01/world/americas/...`) for `world/americas`: a site-wide sitemap lists
    every section."""
    parts = split_url(url)
    match = _SECTION_PATH.match(parts.path) if parts is not None else None
    if not match:
        return False
    prefix = section_path.strip("/") + "/"
    return match.group("rest").startswith(prefix)
