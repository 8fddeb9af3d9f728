"""Date helpers: read the date forms news pages use, and write ISO 8601 with an offset.

A date or time without an offset is New York local time, because that is how nytimes.com states
it (`meta ptime` 20160919074601, a visible "Sept. 19, 2016"). Everything returned is aware.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")

_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# "Feb. 22, 2017", "SEPT. 19, 2016", "March 24, 2021, 9:09 a.m. ET"
_WRITTEN = re.compile(
    r"\b(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"(?:,?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<half>[ap])\.?m\.?)?",
    re.IGNORECASE,
)


def in_new_york(naive: datetime) -> datetime:
    """A wall-clock time read as New York local time (EST or EDT, as that day had it)."""
    return naive.replace(tzinfo=NEW_YORK)


def parse_datetime(value: str | None) -> datetime | None:
    """An aware datetime from ISO 8601, compact `YYYYMMDD[hhmmss]`, RFC 822 or a written date;
    None when the string holds no date."""
    text = (value or "").strip()
    if not text:
        return None
    for reader in (_from_compact, _from_iso, _from_rfc822, _from_written):
        parsed = reader(text)
        if parsed is not None:
            return _representable(parsed if parsed.tzinfo else in_new_york(parsed))
    return None


def _representable(when: datetime) -> datetime | None:
    """`when`, if its instant can also be written in UTC and in New York time; else None.

    Year 1 or 9999 with an extreme offset ("0001-01-01T00:00+23:59") reads as a datetime, but
    its instant lies outside the years 1-9999, so the index's UTC conversion (or any comparison
    in New York time) would raise OverflowError far from the page. Such a string is treated as
    no date at all, here where it is read, so the next date source of the page is used instead.
    """
    try:
        when.astimezone(UTC)
        when.astimezone(NEW_YORK)
    except (OverflowError, ValueError):
        return None
    return when


def has_time(value: str | None) -> bool:
    """Whether a date string states a time of day, not just a day."""
    text = (value or "").strip()
    compact = _COMPACT.match(text)
    if compact:
        return compact.group(4) is not None
    return bool(re.search(r"\d:\d\d", text))


def utc_naive(iso: str | None) -> datetime | None:
    """An ISO 8601 instant as naive UTC (Whoosh drops tzinfo, and naive UTC text compares as
    a string); the offset stays in the item. Raises ValueError if it is not ISO 8601."""
    if not iso:
        return None
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if when.tzinfo is None:
        return when
    return when.astimezone(UTC).replace(tzinfo=None)


def utc_now_iso(when: datetime | None = None) -> str:
    """`when` (default: now) in UTC to the second, with a Z: the stamp crawls record."""
    moment = (when or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0, tzinfo=None)
    # isoformat, not strftime: glibc's %Y writes the year 1 as "1", which no ISO reader takes.
    return moment.isoformat() + "Z"


def iso_or_none(value: str | None) -> str | None:
    """`value` read as a date and written back as ISO 8601, or None if it is not one."""
    when = parse_datetime(value)
    return isoformat(when) if when else None


def isoformat(when: datetime) -> str:
    """ISO 8601 with an offset, to the second."""
    aware = when if when.tzinfo else in_new_york(when)
    return aware.replace(microsecond=0).isoformat()


def _from_iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(text[:10]), time())
    except ValueError:
        return None


def _from_compact(text: str) -> datetime | None:
    match = _COMPACT.match(text)
    if not match:
        return None
    parts = [int(p) for p in match.groups(default="0")]
    try:
        return datetime(*parts)
    except ValueError:
        return None


def _from_rfc822(text: str) -> datetime | None:
    if not re.match(r"^[A-Za-z]{3},?\s+\d", text):
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError):
        # OverflowError: a year with more digits than a C integer holds.
        return None


def _from_written(text: str) -> datetime | None:
    match = _WRITTEN.search(text)
    if not match:
        return None
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    hour, minute = int(match["hour"] or 0), int(match["minute"] or 0)
    if match["half"]:
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    try:
        return datetime(int(match["year"]), month, int(match["day"]), hour, minute)
    except ValueError:
        return None
