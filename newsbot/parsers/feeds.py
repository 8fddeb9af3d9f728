"""RSS feed and news sitemap parsers. Pure: bytes + URL in, plain dataclasses out.

Dates come back as ISO 8601 strings with an offset (or None), read by `newsbot.dates`, so callers
can compare, store and write them to JSON without further work.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from newsbot.dates import iso_or_none
from newsbot.urls import canonical_article_url, is_discoverable_article, join_url, request_url

# A news sitemap is at most 1,000 URLs (~1 MB); 50 MB unpacked is the sitemap protocol's cap.
DEFAULT_MAX_UNPACKED = 50 * 1024 * 1024


class FeedError(ValueError):
    """The body is not a feed/sitemap we can read (bad XML, bad gzip, too big when unpacked)."""


@dataclass
class FeedEntry:
    url: str  # URL to request (tracking parameters stripped)
    canonical_url: str
    title: str | None
    summary: str | None
    published: str | None  # pubDate as ISO 8601


@dataclass
class SitemapEntry:
    url: str
    canonical_url: str
    lastmod: str | None  # ISO 8601
    published: str | None  # news:publication_date, ISO 8601
    title: str | None  # news:title


def gunzip(body: bytes, max_size: int = DEFAULT_MAX_UNPACKED) -> bytes:
    """Unpack a gzip body, refusing to grow past `max_size` bytes (a gzip bomb guard).

    Bodies that are not gzip (a server or HttpCompression already unpacked them) pass through.
    """
    if not body.startswith(b"\x1f\x8b"):
        return body
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            while chunk := stream.read(64 * 1024):
                out.write(chunk)
                if out.tell() > max_size:
                    raise FeedError(f"gzip body unpacks to more than {max_size} bytes")
    except (OSError, EOFError, zlib.error) as exc:
        raise FeedError(f"bad gzip body: {exc}") from exc
    return out.getvalue()


def _xml(body: bytes | str) -> etree._Element:
    data = body.encode("utf-8") if isinstance(body, str) else body
    # No entities, no network, no DTD: feeds come from outside.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, recover=True, huge_tree=False
    )
    try:
        root = etree.fromstring(data.lstrip(), parser=parser)
    except (etree.LxmlError, ValueError) as exc:
        raise FeedError(f"not XML: {exc}") from exc
    if root is None:
        raise FeedError("empty document")
    return root


def _local(node: etree._Element) -> str:
    """An element's name without its namespace; "" for comments, processing instructions and
    entities.

    The recovering parser keeps what a stricter one would refuse, and each case costs only its
    element: a prefix the document never declares (`<news:title>` without `xmlns:news`) stays
    in the name, which `etree.QName` refuses, so the name is split here; bytes that are not
    UTF-8 stay in names and texts, which lxml refuses to decode, so such an element is nameless.
    """
    try:
        tag = node.tag
    except UnicodeDecodeError:
        return ""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2].rpartition(":")[2]


def _child_text(el: etree._Element, name: str) -> str | None:
    for child in el:
        if _local(child) == name:
            try:
                text = "".join(child.itertext()).strip()
            except UnicodeDecodeError:  # see `_local`
                return None
            return text or None
    return None


def _article_nodes(
    body: bytes | str, url: str, tag: str, *link_children: str
) -> Iterator[tuple[etree._Element, str, str]]:
    """(node, absolute URL, canonical URL) for each `tag` element whose first non-empty link
    child names an article; each article once, in document order."""
    seen: set[str] = set()
    for node in _xml(body).iter():
        if _local(node) != tag:
            continue
        link = next(filter(None, (_child_text(node, name) for name in link_children)), None)
        if not link:
            continue
        absolute = join_url(url, link)
        if absolute is None or not is_discoverable_article(absolute):
            continue
        canonical = canonical_article_url(absolute)
        if canonical not in seen:
            seen.add(canonical)
            yield node, absolute, canonical


def parse_rss(body: bytes | str, url: str) -> list[FeedEntry]:
    """Every article item of an RSS 2.0 feed, in feed order, deduplicated."""
    return [
        FeedEntry(
            url=request_url(absolute),
            canonical_url=canonical,
            title=_child_text(item, "title"),
            summary=_child_text(item, "description"),
            published=iso_or_none(_child_text(item, "pubDate")),
        )
        for item, absolute, canonical in _article_nodes(body, url, "item", "link", "guid")
    ]


def parse_sitemap(body: bytes | str, url: str) -> list[SitemapEntry]:
    """Every article `<url>` of a (news) sitemap, in document order, deduplicated."""
    entries: list[SitemapEntry] = []
    for node, absolute, canonical in _article_nodes(body, url, "url", "loc"):
        news = next((c for c in node if _local(c) == "news"), None)
        entries.append(
            SitemapEntry(
                url=request_url(absolute),
                canonical_url=canonical,
                lastmod=iso_or_none(_child_text(node, "lastmod")),
                published=iso_or_none(_child_text(news, "publication_date"))
                if news is not None
                else None,
                title=_child_text(news, "title") if news is not None else None,
            )
        )
    return entries
