"""Backfill's pure parts: the sitemap index, the period a sitemap names, ranges, progress."""

from __future__ import annotations

import gzip
import logging
import random
from collections.abc import Iterator
from datetime import date

import pytest

from newsbot.devserver import GeneratedArchive
from newsbot.logcap import RepeatCap
from newsbot.parsers.feeds import FeedError, SitemapEntry, gunzip, parse_sitemap
from newsbot.parsers.sitemaps import (
    article_day,
    iter_sitemap,
    parse_sitemap_index,
    period_of,
    root_name,
)
from newsbot.spiders.backfill import BackfillRangeError, DateRange, parse_range, progress

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://www.nytimes.com/sitemaps/new/sitemap-2019-05.xml.gz</loc>
    <lastmod>2019-05-31T23:00:00-04:00</lastmod></sitemap>
  <sitemap><loc> /sitemaps/new/monthly/2019/04/urls.xml </loc></sitemap>
  <sitemap><loc>https://www.nytimes.com/sitemaps/new/sitemap-2019-05.xml.gz</loc></sitemap>
  <sitemap><loc>https://www.nytimes.com/sitemaps/new/sitemap-topics.xml.gz</loc></sitemap>
  <sitemap><loc>javascript:alert(1)</loc></sitemap>
  <sitemap><lastmod>2019-01-01</lastmod></sitemap>
</sitemapindex>"""


def test_index_entries_resolved_deduplicated_with_periods() -> None:
    refs = parse_sitemap_index(INDEX, "https://www.nytimes.com/sitemaps/new/sitemap.xml.gz")
    assert [r.url for r in refs] == [
        "https://www.nytimes.com/sitemaps/new/sitemap-2019-05.xml.gz",
        "https://www.nytimes.com/sitemaps/new/monthly/2019/04/urls.xml",
        "https://www.nytimes.com/sitemaps/new/sitemap-topics.xml.gz",
    ]
    may, april, topics = refs
    assert may.lastmod == "2019-05-31T23:00:00-04:00"
    assert (may.first_day, may.last_day) == (date(2019, 5, 1), date(2019, 5, 31))
    assert (april.first_day, april.last_day) == (date(2019, 4, 1), date(2019, 4, 30))
    assert topics.first_day is None  # names no period: kept, its URLs filtered by their dates
    assert may.overlaps(date(2019, 5, 31), date(2019, 6, 30))
    assert not may.overlaps(date(2019, 6, 1), date(2019, 6, 30))
    assert topics.overlaps(date(1999, 1, 1), date(1999, 1, 2))  # no lastmod: could hold any
    ordered = sorted(refs, key=lambda r: r.newest_first_key)
    assert ordered == [may, april, topics]


def test_an_undated_sitemap_last_changed_before_the_range_is_skipped() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://www.nytimes.com/sitemaps/new/topics.xml.gz</loc>
        <lastmod>2019-03-10T01:00:00Z</lastmod></sitemap></sitemapindex>"""
    [topics] = parse_sitemap_index(index, "https://www.nytimes.com/sitemaps/new/sitemap.xml.gz")
    assert topics.first_day is None
    assert topics.overlaps(date(2019, 1, 1), date(2019, 12, 31))
    assert topics.overlaps(date(2019, 3, 11), date(2019, 12, 31))  # a day's slack
    assert not topics.overlaps(date(2019, 3, 12), date(2019, 12, 31))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/sitemaps/new/sitemap-2019-02.xml.gz", (date(2019, 2, 1), date(2019, 2, 28))),
        ("/sitemaps/new/sitemap-2020-02.xml", (date(2020, 2, 1), date(2020, 2, 29))),
        ("/sitemaps/2019/02/17/day.xml", (date(2019, 2, 17), date(2019, 2, 17))),
        ("/sitemaps/new/sitemap-1851.xml.gz", (date(1851, 1, 1), date(1851, 12, 31))),
        ("/sitemaps/2024/sitemap-201905.xml", (date(2019, 5, 1), date(2019, 5, 31))),
        ("/sitemaps/2019-02-30.xml", (date(2019, 2, 1), date(2019, 2, 28))),
        ("/sitemaps/new/sitemap-1234567890123.xml", None),
        ("/sitemaps/new/news.xml.gz", None),
    ],
)
def test_period_of(url: str, expected: tuple[date, date] | None) -> None:
    assert period_of("https://www.nytimes.com" + url) == expected


def test_not_an_index_is_a_feed_error() -> None:
    with pytest.raises(FeedError):
        parse_sitemap_index(b"<urlset><url><loc>x</loc></url></urlset>", "https://x/")
    with pytest.raises(FeedError):
        parse_sitemap_index(b"\x00\x01 not xml", "https://x/")


def test_article_day_prefers_the_path_date() -> None:
    def entry(url: str, lastmod: str | None = None) -> SitemapEntry:
        return SitemapEntry(url, url, lastmod, None, None)

    base = "https://www.nytimes.com"
    assert article_day(entry(f"{base}/2019/05/17/world/americas/a.html", "2020-01-01")) == date(
        2019, 5, 17
    )
    assert article_day(entry(f"{base}/interactive/2019/world/americas/x.html", "2019-03-02")) == (
        date(2019, 3, 2)
    )
    assert article_day(entry(f"{base}/interactive/2019/world/americas/x.html")) is None


def test_generated_archive_sitemaps_parse() -> None:
    archive = GeneratedArchive(months=["2019-01", "2019-02"], per_month=4, off_section=2)
    status, _, body = archive(archive.index_path)
    assert status == 200
    refs = parse_sitemap_index(gunzip(body), "https://www.nytimes.com" + archive.index_path)
    assert [r.url.split(".com")[1] for r in refs] == [
        archive.sitemap_path("2019-01"),
        archive.sitemap_path("2019-02"),
    ]
    assert refs[0].url.endswith(".gz") and not refs[1].url.endswith(".gz")
    _, _, plain = archive(archive.sitemap_path("2019-02"))
    assert not plain.startswith(b"\x1f\x8b")
    entries = parse_sitemap(plain, refs[1].url)
    assert len(entries) == 6
    path = archive.article_paths("2019-02")[0]
    before = archive.lastmod(path)
    archive.touch(path)
    assert archive.lastmod(path) > before
    _, _, packed = archive(archive.sitemap_path("2019-01"))
    assert gzip.decompress(packed).startswith(b"<?xml")


def test_parse_range() -> None:
    today = date(2026, 12, 1)
    assert parse_range(None, None, today) is None
    assert parse_range("2019-01-01", None, today) == DateRange(date(2019, 1, 1), today)
    got = parse_range("2019-01-01", "2019-12-31", today)
    assert got is not None and date(2019, 12, 31) in got and date(2020, 1, 1) not in got
    for since, until in [("2019-13-01", None), ("yesterday", None), ("2019-02-01", "2019-01-01")]:
        with pytest.raises(BackfillRangeError):
            parse_range(since, until, today)
    with pytest.raises(BackfillRangeError, match="needs -a since"):
        parse_range(None, "2019-01-01", today)


def test_progress_estimates_unread_sitemaps() -> None:
    stats = {
        "newsbot/backfill/sitemaps_read": 2,
        "newsbot/backfill/queued": 200,
        "newsbot/backfill/done": 150,
        "newsbot/backfill/skipped": 10,
    }
    now = progress(stats, sitemaps_unread=3, elapsed=300.0)
    assert now.done == 150
    assert now.remaining == 40 + 300  # 40 queued left, 3 unread sitemaps at 100 each
    assert now.estimated
    assert now.rate == pytest.approx(0.5)
    assert now.eta_seconds == pytest.approx(680.0)
    assert now.line() == "150 done, ~340 remaining, 30.0 articles/min, ETA ~11 min"
    final = progress(stats, sitemaps_unread=0, elapsed=300.0)
    assert not final.estimated and final.remaining == 40


def test_repeat_cap_counts_then_summarises(caplog: pytest.LogCaptureFixture) -> None:
    name = "newsbot.test.repeatcap"
    cap = RepeatCap.install(3, names=(name,))
    log = logging.getLogger(name)
    with caplog.at_level(logging.INFO, logger=name):
        for n in range(1000):
            log.warning("Article %s answered HTTP %d", f"/a/{n}", 404)
        log.warning("Something else %s", "once")
        cap.summarise()
        log.warning("Article %s answered HTTP %d", "/after", 404)  # detached: logged again
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3 + 1 + 1 + 1
    assert "997 more lines like 'Article %s answered HTTP %d' were not logged" in lines[4]
    assert cap.suppressed() == {(name, logging.WARNING, "Article %s answered HTTP %d"): 997}


def test_the_progress_line_is_not_capped(caplog: pytest.LogCaptureFixture) -> None:
    from newsbot.spiders.backfill import progress_logger

    cap = RepeatCap.install(3)  # the spider's loggers, as a crawl installs it
    try:
        with caplog.at_level(logging.INFO):
            for n in range(50):
                progress_logger.info("Backfill %s: %s", "2019", f"{n} done")
    finally:
        cap.summarise()
    assert len([r for r in caplog.records if r.name == progress_logger.name]) == 50


def _mutants(seed: bytes, rng: random.Random, count: int) -> Iterator[bytes]:
    """Truncations, byte flips, insertions of hostile fragments, deep nesting."""
    hostile = [
        b"<news:news><news:publication_date>99999999999999999999-01-01</news:publication_date>",
        b"<loc>http://[::1/2019/01/01/world/americas/x.html</loc>",
        b"<loc>https://www.nytimes.com:99999/2019/01/01/world/americas/x.html</loc>",
        b"<lastmod>0001-01-01T00:00:00+23:59</lastmod>",
        b"<undeclared:tag>x</undeclared:tag>",
        b"<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]>&a;",
        b"<sitemap>" * 5000,
        b"\x00\xff\xfe",
        b"<loc>/sitemaps/9999-99.xml</loc>",
    ]
    for _ in range(count):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 4)):
            action = rng.randrange(3)
            where = rng.randrange(len(data) + 1)
            if action == 0:
                del data[where:]
            elif action == 1 and data:
                data[min(where, len(data) - 1)] = rng.randrange(256)
            else:
                data[where:where] = rng.choice(hostile)
            if not data:
                break
        yield bytes(data)


def test_fuzzed_indexes_and_sitemaps_raise_only_feed_errors() -> None:
    archive = GeneratedArchive(months=["2019-01", "2019-02"], per_month=3, off_section=1)
    index = gunzip(archive(archive.index_path)[2])
    urlset = archive(archive.sitemap_path("2019-02"))[2]
    url = "https://www.nytimes.com/sitemaps/new/sitemap.xml.gz"
    rng = random.Random(17)
    parsed = 0
    for seed in (index, urlset, INDEX):
        for body in _mutants(seed, rng, 1500):
            try:
                refs = parse_sitemap_index(body, url)
                parsed += 1
                for ref in refs:
                    ref.overlaps(date(2019, 1, 1), date(2019, 12, 31))
            except FeedError:
                pass
            try:
                root_name(body)
                for entry in iter_sitemap(body, url):
                    article_day(entry)
            except FeedError:
                pass
    assert parsed > 500  # most mutants still read as an index, or the test tests nothing
