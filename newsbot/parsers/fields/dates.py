"""First publication and last modification: structured data first, then what the page shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from newsbot.dates import NEW_YORK, has_time, iso_or_none, isoformat, parse_datetime
from newsbot.parsers.common import Element, Markup, first_meta, inside, text_of
from newsbot.parsers.fields.structured import ld_text

# Not `\bupdated`: a time's pieces can touch ("Sept. 25, 2020Updated 6:11 p.m. ET").
_UPDATE_LABEL = re.compile(r"(?<![a-z])updated\b", re.IGNORECASE)
# The app state React pages embed (`window.__preloadedData`) names the story's first publication.
_FIRST_PUBLISHED = '"firstPublished":"'
_URL_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")
_PUBLISHED_META = ("article:published_time", "article:published", "datepublished")


def read_published(
    container: Element,
    markup: Markup,
    meta: dict[str, list[str]],
    ld_article: dict[str, Any] | None,
    scripts: list[Element],
    canonical: str | None,
) -> tuple[str | None, str | None, str | None]:
    """(ISO instant, raw string, source). A source stating a time beats one that states only a
    day, so sources are read in order until one gives a time."""

    def candidates() -> Iterator[tuple[str | None, str]]:
        # A generator, so the header's <time> elements are only read when no earlier source
        # states a time, which is most pages.
        yield ld_text(ld_article, "datePublished"), "jsonld"
        yield first_meta(meta, *_PUBLISHED_META), "meta"
        # Interactives fill ptime's clock with zeros when they state no time.
        ptime = first_meta(meta, "ptime") or ""
        yield (ptime[:8] if ptime.endswith("000000") else ptime) or None, "meta"
        yield first_meta(meta, "pdate", "dat", "displaydate"), "meta"
        for stated in _stated_dates(container, markup):
            yield stated, "time"
        yield _dateline(container), "time"
        yield url_date(canonical), "url"

    day_only: tuple[datetime, str, str] | None = None
    for raw, source in candidates():
        when = parse_datetime(raw)
        if when is None or raw is None:
            continue
        if has_time(raw):
            # A time on another day than the page's stated day belongs to another story (a
            # related item's stamp); the URL's print date may be a day later.
            if day_only is None or abs((_day(when) - _day(day_only[0])).days) <= 1:
                return isoformat(when), raw, source
            continue
        day_only = day_only or (when, raw, source)
    if day_only is None:
        return None, None, None
    stated = _app_state_time(scripts, day_only[0])
    if stated is not None:
        return isoformat(parse_datetime(stated) or day_only[0]), stated, "time"
    return isoformat(day_only[0]), day_only[1], day_only[2]


def _day(when: datetime) -> date:
    return when.astimezone(NEW_YORK).date()


# Templates older than `<time>` show the date as text: blog posts' `span.timestamp` ("April 11,
# 2011, 9:43 pm", New York time; its `title` claims UTC but holds the same wall clock), and
# pre-2012 articles' `h6.dateline` ("Published: July 25, 2010").
_DATELINE_CLASSES = {"timestamp", "dateline", "entry-date"}
# A dateline sits in the story's header, among its first elements.
_DATELINE_REACH = 400


def _dateline(container: Element) -> str | None:
    for element in islice(container.iter(), _DATELINE_REACH):
        classes = element.get("class")
        if classes and element.tag != "time" and _DATELINE_CLASSES.intersection(classes.split()):
            return text_of(element) or None
    return None


# A time inside a link or inside an `<article>` of its own is another story's stamp (a
# related-coverage promo).
_PROMO_HOLDERS = {"a", "article"}


def _stated_dates(container: Element, markup: Markup) -> list[str]:
    """Publication dates the story header shows, skipping update stamps ("Updated …",
    `itemprop=dateModified`: legacy datelines show the publication day as text but give the
    update time in `datetime`). Live blogs' posts carry their own times: only the header counts.
    """
    # The story header's own dateline comes first; related-article promos further down carry
    # dates too. (lxml's tag-filtered `iter` runs in C, unlike a `.//header//time` path.)
    first = list(islice(container.iter("time"), 3))
    times = [element for element in first if inside(element, {"header"}, container)]
    if not times and markup.era != "live":
        times = [element for element in first if not inside(element, _PROMO_HOLDERS, container)][:1]
    found = []
    for element in times:
        shown = text_of(element)
        if _is_update_stamp(element, shown):
            # "Sept. 25, 2020 Updated 6:11 p.m. ET": the day before the label is the
            # publication's; the element's `datetime` is the update's.
            label = _UPDATE_LABEL.search(shown)
            if label and shown[: label.start()].strip():
                found.append(shown[: label.start()].strip())
            continue
        if element.get("itemprop") != "dateModified" and element.get("datetime"):
            found.append(element.get("datetime"))
        if shown:
            found.append(shown)
    return found


def _is_update_stamp(element: Element, shown: str) -> bool:
    """A time whose own text or the label just before it says "Updated"."""
    if _UPDATE_LABEL.search(shown):
        return True
    parent = element.getparent()
    for holder in (parent, parent.getparent() if parent is not None else None):
        if holder is not None and _UPDATE_LABEL.search(holder.text or ""):
            return True
    previous = element.getprevious()
    return previous is not None and bool(_UPDATE_LABEL.search(text_of(previous)))


def _app_state_time(scripts: list[Element], day: datetime) -> str | None:
    """The first-publication instant from the React app state, only when it falls on the day the
    page shows (the state also describes related stories)."""
    for script in scripts:
        text = script.text or ""
        start = text.find(_FIRST_PUBLISHED)
        if start < 0:
            continue
        start += len(_FIRST_PUBLISHED)
        raw = text[start : text.find('"', start)]
        when = parse_datetime(raw)
        if when is not None and has_time(raw) and when.astimezone(NEW_YORK).date() == day.date():
            return raw
        return None
    return None


def url_date(url: str | None) -> str | None:
    match = _URL_DATE.search(urlsplit(url or "").path)
    return "-".join(match.groups()) if match else None


def read_modified(meta: dict[str, list[str]], ld_article: dict[str, Any] | None) -> str | None:
    return iso_or_none(
        ld_text(ld_article, "dateModified")
        or first_meta(meta, "article:modified_time", "article:modified", "datemodified", "utime")
    )
