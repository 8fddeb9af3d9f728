"""Date helpers: every form NYT pages use, naive values read as New York time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsbot.dates import NEW_YORK, has_time, iso_or_none, isoformat, parse_datetime
from newsbot.search.schema import utc_naive


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        # offsets and Z are kept as the page states them
        ("2019-11-18T17:56:27.000Z", "2019-11-18T17:56:27+00:00"),
        ("2016-09-19T07:46:01-04:00", "2016-09-19T07:46:01-04:00"),
        # naive values are New York local time, EST or EDT as the day had it
        ("2016-03-16", "2016-03-16T00:00:00-04:00"),
        ("2016-01-05T10:00:00", "2016-01-05T10:00:00-05:00"),
        ("20151113055409", "2015-11-13T05:54:09-05:00"),
        ("20180605233010", "2018-06-05T23:30:10-04:00"),
        ("20160226", "2016-02-26T00:00:00-05:00"),
        ("Feb. 22, 2017", "2017-02-22T00:00:00-05:00"),
        ("SEPT. 19, 2016", "2016-09-19T00:00:00-04:00"),
        ("February 26, 2016", "2016-02-26T00:00:00-05:00"),
        ("March 24, 2021, 9:09 a.m. ET", "2021-03-24T09:09:00-04:00"),
        ("Updated April 1, 2021, 11:02 p.m. ET", "2021-04-01T23:02:00-04:00"),
        ("Mon, 05 Apr 2021 14:30:00 GMT", "2021-04-05T14:30:00+00:00"),
        ("Mon, 05 Apr 2021 10:30:00 -0400", "2021-04-05T10:30:00-04:00"),
    ],
)
def test_parse_datetime(raw: str, iso: str) -> None:
    assert isoformat(parse_datetime(raw)) == iso


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "soon", "2021-13-45", "Smarch 3, 2020", "99999999"]
)
def test_unreadable_dates_give_none(raw: str | None) -> None:
    assert parse_datetime(raw) is None


def test_results_are_always_aware() -> None:
    assert parse_datetime("2020-07-29").tzinfo is NEW_YORK


def test_daylight_saving_switch_uses_the_days_own_offset() -> None:
    winter, summer = parse_datetime("20210301120000"), parse_datetime("20210701120000")
    assert winter.utcoffset() == timedelta(hours=-5)
    assert summer.utcoffset() == timedelta(hours=-4)


def test_isoformat_keeps_an_offset_and_drops_microseconds() -> None:
    utc = datetime(2021, 3, 31, 23, 26, 15, 500, tzinfo=UTC)
    assert isoformat(utc) == "2021-03-31T23:26:15+00:00"
    assert isoformat(datetime(2021, 3, 31, 19, 26)) == "2021-03-31T19:26:00-04:00"


@pytest.mark.parametrize(
    ("raw", "timed"),
    [
        ("20160316133957", True),
        ("20160316", False),
        ("2016-03-16", False),
        ("2016-03-16T13:39:57-04:00", True),
        ("Feb. 22, 2017", False),
    ],
)
def test_has_time(raw: str, timed: bool) -> None:
    assert has_time(raw) is timed


def test_an_rfc822_date_with_a_twenty_digit_year_is_no_date() -> None:
    # email.utils raised OverflowError here, and the page or feed around it was lost.
    assert parse_datetime("Mon, 01 Jan 12345678901234567890 00:00:00 GMT") is None
    assert iso_or_none("Mon, 01 Jan 12345678901234567890 00:00:00 GMT") is None


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:00:00+23:59",
        "0001-01-01T03:00:00+05:00",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T22:00:00",  # New York time: 03:00 UTC on 1 January 10000
        "Sun, 31 Dec 9999 23:59:59 -2359",
    ],
)
def test_dates_whose_instant_leaves_the_calendar_are_no_dates(raw: str) -> None:
    # Each reads as a datetime, but its UTC instant is outside years 1-9999: the index's
    # conversion raised OverflowError and lost the article.
    assert parse_datetime(raw) is None
    assert iso_or_none(raw) is None


@pytest.mark.parametrize("raw", ["0001-01-02T00:00:00Z", "9999-12-31T12:00:00-05:00"])
def test_extreme_years_that_fit_are_kept(raw: str) -> None:
    iso = iso_or_none(raw)
    assert iso is not None
    assert utc_naive(iso) is not None
