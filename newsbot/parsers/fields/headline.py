"""The headline and summary: the visible h1 first, structured data only when the page shows
no heading."""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from newsbot.parsers.common import Element, Markup, clean, first_meta, text_of, xpath
from newsbot.parsers.fields.structured import ld_text
from newsbot.parsers.fields.text import shown_text
from newsbot.urls import is_article_url, join_url

_PUBLISHED_NOTE = re.compile(r"\s*\(Published \d{4}\)\s*$")
_SITE_SUFFIX = re.compile(r"\s+[-|–]\s+(?:The New York Times|NYTimes\.com)\s*$")
# og:title and <title> put the desk in front ("Opinion | …"); the visible h1 does not.
_DESK_PREFIX = re.compile(r"^[\w .’'&-]{2,40}\s+\|\s+")


def read_headline(
    container: Element,
    markup: Markup,
    meta: dict[str, list[str]],
    ld_article: dict[str, Any] | None,
) -> str | None:
    """The visible h1: the era's heading, else the story's first h1 that is not a masthead.
    Structured data (hdl, og:title, JSON-LD, `<title>`) often holds an SEO or earlier variant,
    so it stands in only when the page shows no heading at all."""
    for element in markup.headline(container):
        text = shown_text(element)
        if text and not _is_masthead(element, text):
            return text
    for element in islice(container.iter("h1"), 5):
        text = shown_text(element)
        if text and not _is_masthead(element, text):
            return text
    fallback = (
        first_meta(meta, "hdl", "headline", "og:title")
        or ld_text(ld_article, "headline")
        or _DOCUMENT_TITLE(container)
    )
    if not fallback:
        return None
    fallback = _SITE_SUFFIX.sub("", _PUBLISHED_NOTE.sub("", clean(fallback)))
    return _DESK_PREFIX.sub("", fallback) or None


def _is_masthead(heading: Element, text: str) -> bool:
    """A blog's or section's name as the page's top heading: an h1 that is all one link to a
    page that is not an article (the blog's front), or that names itself a header or logo."""
    marks = f"{heading.get('id') or ''} {heading.get('class') or ''}".lower()
    if any(word in marks for word in ("masthead", "logo", "blog-title", "site-title")):
        return True
    if heading.get("id") == "header":
        return True
    links = list(islice(heading.iter("a"), 2))
    if len(links) != 1 or text_of(links[0]) != text:
        return False
    href = (links[0].get("href") or "").strip()
    absolute = join_url("https://www.nytimes.com/", href)
    return absolute is None or not is_article_url(absolute)


_DOCUMENT_TITLE = xpath("string(/html/head/title)")


def read_summary(meta: dict[str, list[str]], ld_article: dict[str, Any] | None) -> str | None:
    found = ld_text(ld_article, "description") or first_meta(
        meta, "description", "og:description", "twitter:description"
    )
    return clean(found) or None
