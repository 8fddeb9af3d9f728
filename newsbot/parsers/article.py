"""Article pages -> `ArticleItem`: structured data first (JSON-LD, `<meta>`), the DOM of the
page's markup era for what only the page shows (visible headline, byline, body, captions).

This module finds the era and the story and reads the URL and the small fields; each field
family has its own module in `newsbot.parsers.fields`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from newsbot.items import ArticleItem
from newsbot.parsers import (
    nyt_blogs,
    nyt_generic,
    nyt_legacy,
    nyt_live,
    nyt_mobile,
    nyt_pre2012,
    nyt_react,
    nyt_testid,
    nyt_vi2018,
)
from newsbot.parsers.common import (
    Element,
    Landmarks,
    Markup,
    NotAnArticle,
    clean,
    find_landmarks,
    first_meta,
    json_types,
    main_article,
    parse_html,
    read_json_ld,
    read_meta,
    xpath,
)
from newsbot.parsers.fields.body import read_body
from newsbot.parsers.fields.byline import read_authors, read_byline
from newsbot.parsers.fields.captions import read_captions
from newsbot.parsers.fields.dates import read_modified, read_published
from newsbot.parsers.fields.headline import read_headline, read_summary
from newsbot.parsers.fields.sections import read_sections
from newsbot.parsers.fields.structured import ld_text
from newsbot.urls import (
    canonical_article_url,
    is_article_url,
    is_discoverable_article,
    is_site_host,
    join_url,
    split_url,
)

# Most specific first: a live blog also matches the 2021 headline hook, a 2021 page also has
# the 2018–2020 body section. Legacy is tested before vi2018 because its test (a paragraph
# class) is cheaper than vi2018's (a div class) and the two never share markup.
ERAS: tuple[Markup, ...] = (
    nyt_live.MARKUP,
    nyt_testid.MARKUP,
    nyt_react.MARKUP,
    nyt_legacy.MARKUP,
    nyt_vi2018.MARKUP,
    nyt_mobile.MARKUP,
    nyt_pre2012.MARKUP,
    nyt_blogs.MARKUP,
    nyt_generic.MARKUP,
)

ARTICLE_TYPES = {
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "ReviewNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
}
# Section fronts and homepages; "WebSite" is left out because article pages carry it too.
COLLECTION_TYPES = {"CollectionPage", "ItemList"}


def parse_article(page: str | bytes, url: str | None = None) -> ArticleItem:
    """Every contract field of the article on `page`; `url` is where the page was fetched from.

    Raises NotAnArticle for homepages, section fronts and empty pages, ParseError for input that
    is not HTML at all.
    """
    landmarks = find_landmarks(parse_html(page))
    meta = read_meta(landmarks.metas)
    json_ld = read_json_ld(landmarks.scripts)
    ld_article = _article_object(json_ld)
    found = _detect_markup(landmarks, url)
    if found is None or (ld_article is None and _is_collection(json_ld)):
        raise NotAnArticle("no article markup (a homepage, section front or other page)")
    markup, container = found
    body = read_body(container, markup)
    headline = read_headline(container, markup, meta, ld_article)
    if not body or not headline:
        raise NotAnArticle("no article headline or body")
    canonical = _canonical_url(landmarks, container, meta, ld_article, url)
    published, published_raw, published_source = read_published(
        container, markup, meta, ld_article, landmarks.scripts, canonical
    )
    byline = read_byline(container, markup, meta)
    section, subsection = read_sections(landmarks.root, meta, canonical)
    body_text = "\n\n".join(body)
    return ArticleItem.blank(
        url=canonical,
        source_url=url,
        headline=headline,
        summary=read_summary(meta, ld_article),
        section=section,
        subsection=subsection,
        authors=read_authors(byline, meta, ld_article, container),
        byline=byline,
        published=published,
        published_raw=published_raw,
        published_source=published_source,
        modified=read_modified(meta, ld_article),
        body=body_text,
        captions=read_captions(container, markup),
        tags=_tags(meta, ld_article),
        language=_language(landmarks.root, meta, ld_article),
        word_count=len(body_text.split()),
        kind=_kind(markup, meta, canonical, section),
        short_url=_short_url(page),
        translations=_translations(landmarks.links, canonical),
        is_free=_is_free(ld_article),
    )


def _detect_markup(landmarks: Landmarks, url: str | None) -> tuple[Markup, Element] | None:
    """The first era whose landmark the page has, with the element that holds the article.

    A page fetched from an article URL is read as an article even when it carries none of the
    signs the generic reader looks for: a crawl that drops it would lose the article silently.
    """
    for markup in ERAS:
        element = markup.find_story(landmarks)
        if element is not None:
            return markup, element
    if url and is_article_url(url):
        element = main_article(landmarks)
        if element is not None:
            return nyt_generic.MARKUP, element
    return None


def _article_object(json_ld: list[dict[str, Any]]) -> dict[str, Any] | None:
    for obj in json_ld:
        if json_types(obj) & ARTICLE_TYPES:
            return obj
    return None


def _is_collection(json_ld: list[dict[str, Any]]) -> bool:
    return any(json_types(obj) & COLLECTION_TYPES for obj in json_ld)


# --- URL -------------------------------------------------------------------------------------


def _canonical_url(
    landmarks: Landmarks,
    container: Element,
    meta: dict[str, list[str]],
    ld_article: dict[str, Any] | None,
    url: str | None,
) -> str | None:
    """The page's own address: canonical link and metas first, then what copies without a
    `<head>` keep (the microdata `itemid` on `<html>`, NYT5 share tools' `data-url`).

    A stated address is trusted only when it is an article URL on the site's own hosts: a
    canonical naming another host, or a section front, must not make this page stand for
    another document. Without one, the address the page was fetched from is its URL; a page
    read from a file, with no such address, keeps the first address on the site it states.
    """
    sources: list[Callable[[], str | None]] = [
        lambda: next(
            (li.get("href") for li in landmarks.links if li.get("rel") == "canonical"), None
        ),
        lambda: first_meta(meta, "og:url", "canonicalurl", "url", "twitter:url"),
        lambda: ld_text(ld_article, "url") or ld_text(ld_article, "mainEntityOfPage"),
        lambda: _app_link(first_meta(meta, "al:iphone:url", "al:ipad:url")),
        lambda: _article_itemid(landmarks.root),
        lambda: next(iter(_SHARE_URL(container)), None),
    ]
    on_site: str | None = None
    for read in sources:
        candidate = (read() or "").strip()
        if not candidate.startswith(("http://", "https://", "/")):
            continue
        joined = join_url(url or "https://www.nytimes.com/", candidate)
        if joined is None:
            continue
        absolute = canonical_article_url(joined)
        if is_discoverable_article(absolute):
            return absolute
        if on_site is None and is_site_host(urlsplit(absolute).hostname):
            on_site = absolute
    if url and url.strip().startswith(("http://", "https://")) and split_url(url.strip()):
        return canonical_article_url(url)
    return on_site


_SHARE_URL = xpath("(.//*[has-class('sharetools')]/@data-url)[1]")


def _app_link(link: str | None) -> str | None:
    """App links (`nytimes://www.nytimes.com/2018/...`) name the web address after the scheme."""
    if link and link.startswith("nytimes://www."):
        return "https://" + link.removeprefix("nytimes://")
    return None


def _article_itemid(root: Element) -> str | None:
    """`<html itemscope itemtype=…NewsArticle itemid=URL>`, as NYT pages from 2014 on have it."""
    if "Article" in (root.get("itemtype") or "") or root.get("itemid", "").endswith(".html"):
        return root.get("itemid")
    return None


# --- the rest --------------------------------------------------------------------------------


def _tags(meta: dict[str, list[str]], ld_article: dict[str, Any] | None) -> list[str]:
    tags = list(meta.get("article:tag", []))
    for value in meta.get("news_keywords", []) + meta.get("keywords", []):
        tags.extend(value.split(","))
    keywords = (ld_article or {}).get("keywords")
    if isinstance(keywords, list):
        tags.extend(str(k) for k in keywords)
    elif isinstance(keywords, str):
        tags.extend(keywords.split(","))
    cleaned = (clean(tag) for tag in tags)
    return list(dict.fromkeys(tag for tag in cleaned if tag))


def _language(
    root: Element, meta: dict[str, list[str]], ld_article: dict[str, Any] | None
) -> str | None:
    found = (
        ld_text(ld_article, "inLanguage")
        or first_meta(meta, "inlanguage", "content-language", "og:locale")
        or root.get("lang")
    )
    return found.replace("_", "-").split("-")[0].lower() if found else None


_OPINION_TYPES = ("op-ed", "opinion", "editorial", "column")


def _kind(
    markup: Markup, meta: dict[str, list[str]], canonical: str | None, section: str | None
) -> str:
    path = urlsplit(canonical or "").path
    page_type = " ".join(
        [
            first_meta(meta, "pst") or "",
            first_meta(meta, "pt") or "",
            first_meta(meta, "genre") or "",
        ]
    ).lower()
    if markup.era == "live" or path.startswith("/live/"):
        return "live"
    if path.startswith(("/interactive/", "/projects/")) or "interactive" in page_type:
        return "interactive"
    if "transcript" in page_type or "transcript" in path.rsplit("/", 1)[-1]:
        return "transcript"
    if section == "Opinion" or any(word in page_type for word in _OPINION_TYPES):
        return "opinion"
    return "article"


_SHORT_LINK = re.compile(r"nyti\.ms/[A-Za-z0-9]+")


def _short_url(page: str | bytes) -> str | None:
    """The page's nyti.ms link. Pages show it in the header (or the app state) before any
    related story’s, so the first one in the source is the page's own."""
    # A plain find is much faster than a regex scan over a megabyte that rarely matches.
    start = page.find(b"nyti.ms/" if isinstance(page, bytes) else "nyti.ms/")
    if start < 0:
        return None
    snippet = page[start : start + 40]
    if isinstance(snippet, bytes):
        snippet = snippet.decode("ascii", "ignore")
    found = _SHORT_LINK.match(snippet)
    return f"https://{found.group()}" if found else None


def _translations(links: list[Element], canonical: str | None) -> dict[str, str]:
    found = {}
    for link in links:
        if link.get("rel") != "alternate" or not link.get("hreflang"):
            continue
        language, href = link.get("hreflang", "").strip(), (link.get("href") or "").strip()
        absolute = join_url(canonical or "", href)
        if not href or language.lower() == "x-default" or absolute is None:
            continue
        if canonical and canonical_article_url(absolute) == canonical:
            continue
        found[language] = absolute
    return found


def _is_free(ld_article: dict[str, Any] | None) -> bool | None:
    value = (ld_article or {}).get("isAccessibleForFree")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None
