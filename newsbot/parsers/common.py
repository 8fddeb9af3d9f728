"""Helpers every page parser shares: decoding, whitespace, `<meta>` tags, JSON-LD, parse errors."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

Element = etree._Element


class ParseError(ValueError):
    """The page cannot be read as the kind of page the parser expects."""


class NotAnArticle(ParseError):
    """The page is readable but is not an article: a homepage, a section front, an empty page."""


_INVISIBLE = re.compile("[\u200b\u200c\u200d\ufeff]")
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


def clean(text: str | None) -> str:
    """Whitespace (including no-break spaces) collapsed to single spaces, zero-width marks gone."""
    if not text:
        return ""
    # str.split() already treats no-break spaces as whitespace; zero-width marks are rare,
    # so the regex only runs on text that has one.
    if not text.isascii() and _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


_STRING_VALUE = etree.XPath("string()")


def text_of(element: Element) -> str:
    if not len(element):
        return clean(element.text)  # a leaf: no XPath call needed
    return clean(_STRING_VALUE(element))


def decode_legacy(page: bytes) -> str:
    """Bytes that are not UTF-8, as text: the charset the page declares, else Windows-1252
    (which never fails, so an odd byte never stops a parse)."""
    declared = _CHARSET.search(page[:4096])
    encoding = declared.group(1).decode("ascii") if declared else "cp1252"
    try:
        return page.decode(encoding, errors="replace")
    except (LookupError, UnicodeError):
        # LookupError: no such codec, or not a text one (`zlib`); UnicodeError: a codec that
        # fails whatever the bytes (`undefined`) or cannot replace what it cannot read (`idna`).
        return page.decode("cp1252", errors="replace")


# Plain etree parsers: lxml.html's element classes are looked up in Python for every element
# the parser hands out, which costs more than the rest of the extraction. A parser object must
# not serve two threads at once, so each thread gets its own pair.
_THREAD_PARSERS = threading.local()


def _parser(utf8_bytes: bool) -> etree.HTMLParser:
    if not hasattr(_THREAD_PARSERS, "utf8"):
        # huge_tree: without it libxml2 stops reading at 256 levels of nesting, so one deep
        # widget before the story lost the whole article; with it the limit is 2048. (Bodies
        # are bounded by DOWNLOAD_MAXSIZE, so its other limits are not needed against size.)
        options = {"remove_comments": True, "remove_pis": True, "huge_tree": True}
        _THREAD_PARSERS.utf8 = etree.HTMLParser(encoding="utf-8", **options)
        _THREAD_PARSERS.text = etree.HTMLParser(**options)
    return _THREAD_PARSERS.utf8 if utf8_bytes else _THREAD_PARSERS.text


def parse_html(page: str | bytes) -> Element:
    """The document tree, or ParseError when there is no document to speak of.

    Bytes go to libxml2 as UTF-8 without a decode first (that would cost a sixth of the parse);
    when libxml2 reports bytes that are not UTF-8, the page is decoded by `decode_legacy` and
    parsed again.
    """
    if not page or page.isspace():
        raise NotAnArticle("empty page")
    if isinstance(page, bytes):
        parser = _parser(utf8_bytes=True)
        root = _parse(page, parser)
        if not parser.error_log.filter_types(_ENCODING_ERRORS):
            return root
        page = decode_legacy(page)
    return _parse(page, _parser(utf8_bytes=False))


_ENCODING_ERRORS = (etree.ErrorTypes.ERR_INVALID_ENCODING,)


def _parse(page: str | bytes, parser: etree.HTMLParser) -> Element:
    try:
        root = etree.fromstring(page, parser=parser)
    except (etree.LxmlError, ValueError) as error:
        raise ParseError(f"unreadable HTML: {error}") from error
    if root is None:
        raise ParseError("unreadable HTML")
    return root


@dataclass(frozen=True)
class Landmarks:
    """The few elements every parse needs, gathered in one pass over the document (lxml's
    tag-filtered `iter` runs in C; each `//x` XPath would be a pass of its own)."""

    root: Element
    metas: list[Element]
    scripts: list[Element]
    links: list[Element]
    articles: list[Element]
    headings: list[Element]
    sections: list[Element]


_LANDMARK_TAGS = ("meta", "script", "link", "article", "h1", "section")


def find_landmarks(root: Element) -> Landmarks:
    found: dict[str, list[Element]] = {tag: [] for tag in _LANDMARK_TAGS}
    for element in root.iter(*_LANDMARK_TAGS):
        found[element.tag].append(element)
    return Landmarks(
        root=root,
        metas=found["meta"],
        scripts=found["script"],
        links=found["link"],
        articles=found["article"],
        headings=found["h1"],
        sections=found["section"],
    )


# Mercury-style re-serialisations put the value in `value=` instead of `content=`.
_META_KEYS = ("name", "property", "itemprop")


def read_meta(metas: list[Element]) -> dict[str, list[str]]:
    """Every `<meta>` value keyed by its lower-cased name, property and itemprop, in page order."""
    found: dict[str, list[str]] = {}
    for meta in metas:
        value = meta.get("content")
        if value is None:
            value = meta.get("value")
        if value is None:
            continue
        value = value.strip()
        for attribute in _META_KEYS:
            keys = meta.get(attribute)
            if keys:
                for key in keys.lower().split():
                    found.setdefault(key, []).append(value)
    return found


def first_meta(meta: dict[str, list[str]], *keys: str) -> str | None:
    """The first non-empty value among the keys, in the order the keys are given."""
    for key in keys:
        for value in meta.get(key, ()):
            if value:
                return value
    return None


def read_json_ld(scripts: list[Element]) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, `@graph` members included; broken blocks are skipped."""
    objects: list[dict[str, Any]] = []
    for script in scripts:
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(_without_cdata(script.text))
        except (ValueError, RecursionError):
            # RecursionError: a block nested deeper than the JSON decoder goes (it recurses).
            continue
        objects.extend(_json_objects(data))
    return objects


def _without_cdata(text: str) -> str:
    """Some pages wrap JSON-LD in `//<![CDATA[ ... //]]>`, which json.loads rejects."""
    text = text.strip()
    if text.startswith(("<![CDATA[", "//<![CDATA[")):
        text = text.split("<![CDATA[", 1)[1]
    if text.endswith("]]>"):
        text = text[:-3].rstrip().removesuffix("//")
    return text


def _json_objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in `data`, each list flattened and each `@graph` opened, in document order.

    A stack rather than recursion: a block the decoder accepts may still nest lists and graphs
    deeper than Python's recursion limit."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            pending.append(item.get("@graph"))


def json_types(obj: dict[str, Any]) -> set[str]:
    """The object's `@type` names; anything in `@type` that is not a name (an object, a number,
    a nested list) names no type."""
    kinds = obj.get("@type")
    if isinstance(kinds, list):
        return {kind for kind in kinds if isinstance(kind, str)}
    return {kinds} if isinstance(kinds, str) else set()


@dataclass(frozen=True)
class Markup:
    """Where one markup era keeps the parts of an article that structured data does not give.

    `find_story` returns the element that holds the article (its `<article>`, else `<main>` or
    `<body>`) when the page is in this era, else None. Every path runs inside that element only.
    `figures` yields elements that each hold one picture with its caption and credit;
    `end_notes` yields correction labels (`<strong>Correction:</strong>`) and candidate
    contributor lines after the body.
    """

    era: str
    find_story: Callable[[Landmarks], Element | None]
    headline: etree.XPath
    byline: Callable[[Element], list[Any]]
    paragraphs: Callable[[Element], list[Element]]
    end_notes: etree.XPath
    figures: Callable[[Element], list[Element]]


_ENCLOSING_STORY = etree.XPath("ancestor-or-self::*[self::article or self::main or self::body][1]")


def enclosing_story(element: Element) -> Element:
    """The article (else main content, else page body) an element belongs to."""
    found = _ENCLOSING_STORY(element)
    return found[0] if found else element


def inside(element: Element, tags: set[str], stop: Element) -> bool:
    """Whether one of the element's ancestors below `stop` has one of the tags. (A Python walk:
    an XPath `ancestor::` test would look at every ancestor up to the root.)"""
    for ancestor in element.iterancestors():
        if ancestor is stop:
            return False
        if ancestor.tag in tags:
            return True
    return False


def main_article(landmarks: Landmarks) -> Element | None:
    """`article#story` as every NYT template since 2012 names it; else the first `<article>`,
    else the page body, for era tests that must look inside the story."""
    for article in landmarks.articles:
        if article.get("id") == "story":
            return article
    if landmarks.articles:
        return landmarks.articles[0]
    return landmarks.root.find("body")


def story_containing(landmark: str) -> Callable[[Landmarks], Element | None]:
    """A story finder for eras recognised by what the main article contains."""
    path = xpath(f"({landmark})[1]")

    def find_story(landmarks: Landmarks) -> Element | None:
        article = main_article(landmarks)
        return article if article is not None and path(article) else None

    return find_story


_HAS_CLASS = re.compile(r"has-class\('([\w-]+)'\)")
# The cheap substring test first: most elements fail it, so few pay for the exact token test.
_CLASS_TOKEN = (
    r"(contains(@class, '\1') and contains(concat(' ', normalize-space(@class), ' '), ' \1 '))"
)


def xpath(path: str) -> etree.XPath:
    """A compiled XPath; `has-class('name')` stands for "has the class token name"."""
    return etree.XPath(_HAS_CLASS.sub(_CLASS_TOKEN, path))
