"""Helpers every page parser shares: decoding, whitespace, `<meta>` tags, JSON-LD, parse errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree, html


class ParseError(ValueError):
    """The page cannot be read as the kind of page the parser expects."""


class NotAnArticle(ParseError):
    """The page is readable but is not an article: a homepage, a section front, an empty page."""


_SPACE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


def clean(text: str | None) -> str:
    """Whitespace (including no-break spaces) collapsed to single spaces, zero-width marks gone."""
    if not text:
        return ""
    return _SPACE.sub(" ", text.translate(_INVISIBLE)).strip()


def text_of(element: html.HtmlElement) -> str:
    return clean(element.text_content())


def decode(page: str | bytes) -> str:
    """Page bytes as text: UTF-8 when they are valid UTF-8, else the declared charset, else
    Windows-1252 (which never fails, so an odd byte never stops a parse)."""
    if isinstance(page, str):
        return page
    try:
        return page.decode("utf-8")
    except UnicodeDecodeError:
        declared = _CHARSET.search(page[:4096])
        encoding = declared.group(1).decode("ascii") if declared else "cp1252"
        try:
            return page.decode(encoding, errors="replace")
        except LookupError:
            return page.decode("cp1252", errors="replace")


_PARSER = html.HTMLParser(remove_comments=True, remove_pis=True)


def parse_html(page: str | bytes) -> html.HtmlElement:
    """The document tree, or ParseError when there is no document to speak of."""
    text = decode(page)
    if not text.strip():
        raise NotAnArticle("empty page")
    try:
        root = html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError) as error:
        raise ParseError(f"unreadable HTML: {error}") from error
    if root is None:
        raise ParseError("unreadable HTML")
    return root


# Mercury-style re-serialisations put the value in `value=` instead of `content=`.
_META_KEYS = ("name", "property", "itemprop")


def read_meta(root: html.HtmlElement) -> dict[str, list[str]]:
    """Every `<meta>` value keyed by its lower-cased name, property and itemprop, in page order."""
    found: dict[str, list[str]] = {}
    for meta in root.iter("meta"):
        value = meta.get("content")
        if value is None:
            value = meta.get("value")
        if value is None:
            continue
        for attribute in _META_KEYS:
            for key in (meta.get(attribute) or "").lower().split():
                found.setdefault(key, []).append(value.strip())
    return found


def first_meta(meta: dict[str, list[str]], *keys: str) -> str | None:
    """The first non-empty value among the keys, in the order the keys are given."""
    for key in keys:
        for value in meta.get(key, ()):
            if value:
                return value
    return None


_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")


def read_json_ld(root: html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, `@graph` members included; broken blocks are skipped."""
    objects: list[dict[str, Any]] = []
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(_CDATA.sub("", script.text))
        except ValueError:
            continue
        objects.extend(_json_objects(data))
    return objects


def _json_objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _json_objects(entry)
    elif isinstance(data, dict):
        yield data
        yield from _json_objects(data.get("@graph"))


def json_types(obj: dict[str, Any]) -> set[str]:
    kinds = obj.get("@type")
    return set(kinds) if isinstance(kinds, list) else {str(kinds)}


@dataclass(frozen=True)
class Markup:
    """Where one markup era keeps the parts of an article that structured data does not give.

    Every path is evaluated against the document root. `figures` yields the elements that each
    hold one picture with its caption and credit; `end_notes` yields correction labels
    (`<strong>Correction:</strong>`) and candidate contributor lines after the body.
    """

    era: str
    marker: etree.XPath
    headline: etree.XPath
    byline: etree.XPath
    paragraphs: etree.XPath
    end_notes: etree.XPath
    figures: etree.XPath


def xpath(path: str) -> etree.XPath:
    """A compiled XPath with the `has-class(token)` idiom spelled out once."""
    return etree.XPath(
        _HAS_CLASS.sub(r"contains(concat(' ', normalize-space(@class), ' '), ' \1 ')", path)
    )


_HAS_CLASS = re.compile(r"has-class\('([\w-]+)'\)")
