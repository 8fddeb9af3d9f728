"""Sitemap index parsing for backfills. Pure: bytes + URL in, plain values out.

A site's sitemap index (`<sitemapindex>`) lists one sitemap per period (NYT: one per month), each
with a `<lastmod>`. A backfill reads the index, keeps the periods that overlap the asked range and
reads those sitemaps (`<urlset>`, streamed by `iter_sitemap`). The period a
sitemap covers is read from its own `<loc>` (`sitemap-2019-05.xml.gz`, `.../2019/05/...`), never
guessed. A loc that names no period is read unless the index's `<lastmod>` for it is older than
the range, and its URLs are filtered by their own dates.
"""

from __future__ import annotations

import calendar
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newsbot.dates import iso_or_none, parse_datetime
from newsbot.parsers.feeds import FeedError, SitemapEntry, _child_text, _xml
from newsbot.urls import canonical_article_url, is_discoverable_article, request_url

# A year (1800-2099: the NYT archive starts in 1851), optionally a month and a day, joined by -,
# _ or / or nothing; digits around it are not part of it (a 13-digit id is not read as a year).
_PERIOD = re.compile(
    r"(?<!\d)(?P<year>(?:18|19|20)\d\d)"
    r"(?:[-_/]?(?P<month>0[1-9]|1[0-2])(?:[-_/]?(?P<day>0[1-9]|[12]\d|3[01]))?)?(?!\d)"
)
_URL_DATE = re.compile(r"/(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})/")


@dataclass(frozen=True)
class SitemapRef:
    """One `<sitemap>` of an index."""

    url: str  # absolute URL of the sitemap, exactly as the index names it
    lastmod: str | None  # the index's <lastmod>, ISO 8601 as written
    first_day: date | None  # the period the loc names (None: it names none)
    last_day: date | None

    def overlaps(self, since: date, until: date) -> bool:
        """Could this sitemap list articles of [since, until]? A sitemap whose loc names no
        period could, unless the index says it last changed before `since`: an article of the
        range was last modified on or after its first day (a day's slack for time zones)."""
        if self.first_day is None or self.last_day is None:
            changed = parse_datetime(self.lastmod)
            return changed is None or changed.date() >= since - timedelta(days=1)
        return self.first_day <= until and self.last_day >= since

    @property
    def newest_first_key(self) -> tuple[int, int]:
        """Sort key: dated periods newest first, undated sitemaps after them."""
        if self.last_day is None:
            return (1, 0)
        return (0, -self.last_day.toordinal())


def _name(tag: object) -> str:
    """The local name of a tag, `{ns}url` or `url`; an undeclared prefix (`news:news`, which
    lxml's QName refuses) is read as if declared, so it cannot cost the document."""
    if not isinstance(tag, str):
        return ""  # a comment or processing instruction
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def period_of(url: str) -> tuple[date, date] | None:
    """The days a sitemap URL names: `sitemap-2019-05.xml.gz` is May 2019, `…/2019/05/17/…` one
    day, `sitemap-2019.xml` a year. The last match in the path wins (`/2024/sitemap-2019-05`
    is May 2019); None when the path names no period."""
    path = urlsplit(url).path
    matches = list(_PERIOD.finditer(path))
    if not matches:
        return None
    found = matches[-1]
    year = int(found["year"])
    if found["month"] is None:
        return date(year, 1, 1), date(year, 12, 31)
    month = int(found["month"])
    if found["day"] is None:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    try:
        day = date(year, month, int(found["day"]))
    except ValueError:  # 2019-02-30: the month is still right
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return day, day


def _stream(body: bytes, events: tuple[str, ...], tag: str | None = None) -> etree.iterparse:
    # No entities, no network, no DTD, as for feeds: sitemaps come from outside.
    return etree.iterparse(
        io.BytesIO(body.lstrip()),
        events=events,
        tag=tag,
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )


def root_name(body: bytes) -> str:
    """The local name of the document's root, read without parsing the rest: `urlset` for a
    sitemap, `sitemapindex` for an index (which can name further indexes). Raises FeedError
    when the body is not XML."""
    try:
        for _, element in _stream(body, ("start",)):
            return _name(element.tag)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise FeedError(f"not XML: {exc}") from exc
    raise FeedError("empty document")


def iter_sitemap(body: bytes, url: str) -> Iterator[SitemapEntry]:
    """Every article `<url>` of a sitemap, in document order, each once: what
    `newsbot.parsers.feeds.parse_sitemap` returns, streamed. Each `<url>` is dropped once read,
    so 100k URLs take the memory of their entries, not of a 100k-node tree (about 120 MB less
    at the peak). One unreadable entry costs that entry. Raises FeedError when the body is not
    XML; entries read before a fatal error have been yielded by then."""
    seen: set[str] = set()
    try:
        for _, node in _stream(body, ("end",), "{*}url"):
            try:
                entry = _entry(node, url)
            except (ValueError, OverflowError):  # a bad host, an absurd date: this entry only
                entry = None
            node.clear(keep_tail=False)
            parent = node.getparent()
            while parent is not None and node.getprevious() is not None:
                del parent[0]
            if entry is not None and entry.canonical_url not in seen:
                seen.add(entry.canonical_url)
                yield entry
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not XML: {exc}") from exc


def _entry(node: etree._Element, url: str) -> SitemapEntry | None:
    loc = _child_text(node, "loc")
    if not loc:
        return None
    absolute = urljoin(url, loc)
    if not is_discoverable_article(absolute):
        return None
    news = next((c for c in node if _name(c.tag) == "news"), None)
    return SitemapEntry(
        url=request_url(absolute),
        canonical_url=canonical_article_url(absolute),
        lastmod=iso_or_none(_child_text(node, "lastmod")),
        published=iso_or_none(_child_text(news, "publication_date")) if news is not None else None,
        title=_child_text(news, "title") if news is not None else None,
    )


def parse_sitemap_index(body: bytes | str, url: str) -> list[SitemapRef]:
    """Every `<sitemap>` of a sitemap index, in document order, each URL once.

    Raises FeedError when the body is not XML or not a sitemap index."""
    root = _xml(body)
    if _name(root.tag) != "sitemapindex":
        raise FeedError(f"not a sitemap index (root element <{_name(root.tag) or '?'}>)")
    refs: list[SitemapRef] = []
    seen: set[str] = set()
    for node in root:
        try:
            ref = _ref(node, url) if _name(node.tag) == "sitemap" else None
        except ValueError:  # a bad host such as http://[::1: this entry only
            ref = None
        if ref is not None and ref.url not in seen:
            seen.add(ref.url)
            refs.append(ref)
    return refs


def _ref(node: etree._Element, url: str) -> SitemapRef | None:
    loc = _child_text(node, "loc")
    if not loc:
        return None
    absolute = urljoin(url, loc)
    if urlsplit(absolute).scheme not in {"http", "https"}:
        return None
    period = period_of(absolute)
    return SitemapRef(
        url=absolute,
        lastmod=_child_text(node, "lastmod"),
        first_day=period[0] if period else None,
        last_day=period[1] if period else None,
    )


def article_day(entry: SitemapEntry) -> date | None:
    """The day an article belongs to: the date in its path (`/2019/05/17/…`, the site's own
    local date), else its publication date, else its lastmod; None when nothing says."""
    match = _URL_DATE.search(urlsplit(entry.url).path)
    if match:
        try:
            return date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError:
            pass
    for value in (entry.published, entry.lastmod):
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed.date()
    return None
