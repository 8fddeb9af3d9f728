"""Backfill crawls (`scrapy crawl americas -a since=… -a until=…`) against a generated archive.

The archive (`newsbot.devserver.GeneratedArchive`) has a sitemap index with one sitemap per month,
gzipped and plain in two file-name shapes, off-section URLs in each, and a front. Every check
reads the server's request log: which sitemaps were read, which articles were fetched, in which
order, and how often.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsbot.devserver import GeneratedArchive, SampleSiteServer, local_crawl_command

REPO = Path(__file__).resolve().parent.parent
MONTHS = ["2018-11", "2018-12", "2019-01", "2019-02", "2019-03", "2019-04"]


@dataclass
class Crawl:
    returncode: int
    log: str
    paths: list[str]  # request paths, in order, during this crawl

    def articles(self) -> list[str]:
        return [p for p in self.paths if p.endswith(".html")]

    def sitemaps(self) -> list[str]:
        return [p for p in self.paths if p.startswith("/sitemaps/")]

    def stat(self, name: str) -> int:
        marker = f"'newsbot/backfill/{name}': "
        if marker not in self.log:
            return 0
        return int(self.log.split(marker, 1)[1].split(",", 1)[0].split("}", 1)[0])


class Site:
    def __init__(self, tmp: Path, archive: GeneratedArchive) -> None:
        self.tmp = tmp
        self.archive = archive
        root = tmp / "root"
        root.mkdir(exist_ok=True)
        self.server = SampleSiteServer(root=root)
        self.server.add_route(archive)

    def command(self, *args: str) -> list[str]:
        return local_crawl_command(
            self.server.url,
            self.tmp / "index",
            None,
            "-a",
            "rss=",  # the archive has no feed
            "-s",
            f"NEWSBOT_FEED_DIR={self.tmp / 'feeds'}",
            "-s",
            "NEWSBOT_INDEX_COMMIT_SECONDS=0.2",
            "-s",
            "LOG_LEVEL=INFO",
            *args,
        )

    def crawl(self, *args: str, timeout: float = 180) -> Crawl:
        self.server.clear_requests()
        done = subprocess.run(
            self.command(*args), cwd=REPO, capture_output=True, text=True, timeout=timeout
        )
        return Crawl(done.returncode, done.stderr, self.server.paths())

    def killed_crawl(self, *args: str, after_articles: int, sig: int = signal.SIGKILL) -> Crawl:
        """Start a crawl and send it `sig` once it has requested `after_articles` articles."""
        self.server.clear_requests()
        log = self.tmp / f"killed-{time.monotonic_ns()}.log"
        with log.open("w") as out:
            proc = subprocess.Popen(self.command(*args), cwd=REPO, stdout=out, stderr=out)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                if sum(p.endswith(".html") for p in self.server.paths()) >= after_articles:
                    proc.send_signal(sig)
                    break
                time.sleep(0.02)
            proc.wait(timeout=120)
        return Crawl(proc.returncode, log.read_text(), self.server.paths())

    def stored_paths(self) -> set[str]:
        """Article paths the crawl state says are stored."""
        db = sqlite3.connect(self.tmp / "index" / "crawlstate.sqlite")
        try:
            rows = db.execute("SELECT canonical_url FROM articles").fetchall()
        finally:
            db.close()
        return {urlsplit(url).path for (url,) in rows}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    archive = GeneratedArchive(months=MONTHS, per_month=6, off_section=3)
    archive.front = archive.article_paths("2019-04")[:2]
    made = Site(tmp_path, archive)
    with made.server:
        yield made


def _section(archive: GeneratedArchive, *months: str) -> set[str]:
    return {p for m in months for p in archive.article_paths(m)}


def test_a_range_reads_only_its_sitemaps_and_fetches_each_article_once(site: Site) -> None:
    archive = site.archive
    progress = ("-s", "NEWSBOT_BACKFILL_PROGRESS_SECONDS=0.1")
    crawl = site.crawl("-a", "since=2019-01-15", "-a", "until=2019-02-28", *progress)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert "remaining, " in crawl.log and "articles/min, ETA" in crawl.log  # the progress line
    # Two of the six months: one gzipped, one plain, found through the index's own <loc>s.
    read = set(crawl.sitemaps()) - {"/sitemaps/new/news.xml.gz", archive.index_path}
    assert read == {archive.sitemap_path("2019-01"), archive.sitemap_path("2019-02")}
    assert {p.endswith(".gz") for p in read} == {True, False}
    # January before the 15th is outside the range, off-section URLs are never fetched.
    january = [p for p in archive.article_paths("2019-01") if int(p.split("/")[3]) >= 15]
    wanted = set(january) | _section(archive, "2019-02") | set(archive.front)
    counts = Counter(crawl.articles())
    assert set(counts) == wanted
    assert set(counts.values()) == {1}
    # Today's front first (two requests run at once, so the server may log the last front
    # article and the first backlog one either way round), then the backlog, newest month first.
    articles = crawl.articles()
    assert set(archive.front) <= set(articles[:3])
    backlog = [p for p in articles if p not in archive.front]
    months = [p.split("/")[1:3] for p in backlog]
    assert months == sorted(months, reverse=True)  # a month is done before an older one starts
    assert crawl.stat("sitemaps_read") == 2
    assert crawl.stat("sitemaps_listed") == len(MONTHS)
    assert crawl.stat("urls_in_section") == 12
    assert len(january) == 3 and crawl.stat("urls_out_of_range") == 3
    assert crawl.stat("stored") == len(wanted) - 2
    assert "Backfill 2019-01-15 to 2019-02-28: 2 of 2 period sitemaps read" in crawl.log


def test_a_rerun_fetches_only_what_a_newer_lastmod_changed(site: Site) -> None:
    archive = site.archive
    args = ("-a", "since=2018-12-01", "-a", "until=2019-03-31")
    first = site.crawl(*args)
    assert first.returncode == 0, first.log[-3000:]
    months = ("2018-12", "2019-01", "2019-02", "2019-03")
    assert set(first.articles()) == _section(archive, *months) | set(archive.front)

    # The backlog alone: nothing to fetch is not "found nothing" (exit 0, not no_articles).
    only_backfill = ("-s", "NEWSBOT_DISCOVER_FRONT=False", "-s", "NEWSBOT_DISCOVER_SITEMAP=False")
    again = site.crawl(*args, *only_backfill)
    assert again.returncode == 0, again.log[-3000:]
    assert again.articles() == []
    assert again.stat("already_stored") == 4 * 6
    assert again.stat("sitemaps_read") == 4  # re-read: that is where a newer lastmod shows

    changed = archive.article_paths("2019-02")[3]
    archive.touch(changed)
    third = site.crawl(*args)
    assert third.returncode == 0, third.log[-3000:]
    assert third.articles() == [changed]
    assert third.stat("already_stored") == 4 * 6 - 1
    assert third.stat("stored") == 1


def test_a_malformed_period_sitemap_costs_only_itself(site: Site) -> None:
    archive = site.archive
    bad_gz = archive.sitemap_path("2019-01")
    bad_xml = archive.sitemap_path("2019-02")
    assert bad_gz.endswith(".gz") and not bad_xml.endswith(".gz")
    site.server.override(bad_gz, b"\x1f\x8b\x08\x00 this is not a gzip stream")
    site.server.override(bad_xml, b"<html><body>Service unavailable</body></html>")
    site.server.fail(archive.sitemap_path("2018-12"), status=404, times=99)
    crawl = site.crawl("-a", "since=2018-11-01", "-a", "until=2019-04-30")
    assert crawl.returncode == 0, crawl.log[-3000:]
    fetched = set(crawl.articles())
    assert fetched == _section(archive, "2018-11", "2019-03", "2019-04") | set(archive.front)
    assert crawl.stat("sitemaps_read") == 3
    assert crawl.stat("sitemaps_failed") == 3  # bad gzip, an HTML page, a 404
    assert "Cannot read the period sitemap" in crawl.log

    site.server.reset()  # the site is mended: the next run reads the three again
    mended = site.crawl("-a", "since=2018-11-01", "-a", "until=2019-04-30")
    assert set(mended.articles()) == _section(archive, "2018-12", "2019-01", "2019-02")


def test_an_index_of_yearly_indexes_is_followed(tmp_path: Path) -> None:
    archive = GeneratedArchive(months=MONTHS, per_month=3, off_section=1, by_year=True)
    site = Site(tmp_path, archive)
    with site.server:
        crawl = site.crawl("-a", "since=2019-03-01", "-s", "NEWSBOT_DISCOVER_FRONT=False")
    assert crawl.returncode == 0, crawl.log[-3000:]
    # 2018's index is outside the range, so neither it nor its months are read.
    assert "/sitemaps/new/year/2018.xml" not in crawl.sitemaps()
    assert "/sitemaps/new/year/2019.xml" in crawl.sitemaps()
    read = {p for p in crawl.sitemaps() if "sitemap-" in p or "/monthly/" in p}
    assert read == {archive.sitemap_path("2019-03"), archive.sitemap_path("2019-04")}
    assert set(crawl.articles()) == _section(archive, "2019-03", "2019-04")


def _resume_after(site: Site, *job: str, sig: int) -> tuple[Crawl, set[str], Crawl]:
    archive = site.archive
    args = ("-a", "since=2018-11-01", "-a", "until=2019-04-30", *job)
    # One request at a time, so the kill lands mid-backlog with articles still queued.
    slow = ("-s", "CONCURRENT_REQUESTS=1", "-s", "NEWSBOT_INDEX_COMMIT_ITEMS=1")
    killed = site.killed_crawl(*args, *slow, after_articles=15, sig=sig)
    stored = site.stored_paths()
    assert 0 < len(stored) < len(archive.all_article_paths()), killed.log[-3000:]
    resumed = site.crawl(*args)
    assert resumed.returncode == 0, resumed.log[-3000:]
    # Nothing lost: every article of the range is stored once the resumed run ends.
    assert site.stored_paths() == set(archive.all_article_paths())
    return killed, stored, resumed


@pytest.mark.parametrize("with_jobdir", [False, True], ids=["no-jobdir", "jobdir"])
def test_sigkill_then_resume_fetches_nothing_stored_and_loses_nothing(
    site: Site, with_jobdir: bool
) -> None:
    job = ("-s", f"JOBDIR={site.tmp / 'job'}") if with_jobdir else ()
    killed, stored, resumed = _resume_after(site, *job, sig=signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    again = set(killed.articles()) & set(resumed.articles())
    assert not again & stored, "an article stored before the kill was fetched again"
    # Only what was in flight (fetched, not yet committed) when the process died comes again:
    # with batches of one, a batch committing in the background, one filling, and the one
    # request on the wire.
    assert len(again) <= 3
    assert Counter(resumed.articles()).most_common(1)[0][1] == 1


@pytest.mark.parametrize("with_jobdir", [False, True], ids=["no-jobdir", "jobdir"])
def test_ctrl_c_then_resume_fetches_no_article_twice(site: Site, with_jobdir: bool) -> None:
    job = ("-s", f"JOBDIR={site.tmp / 'job'}") if with_jobdir else ()
    killed, _, resumed = _resume_after(site, *job, sig=signal.SIGINT)
    assert killed.returncode == 0, killed.log[-3000:]
    assert "shutdown" in killed.log.lower()
    assert not set(killed.articles()) & set(resumed.articles())
    assert Counter(resumed.articles()).most_common(1)[0][1] == 1


def test_bad_range_is_refused() -> None:
    # The spider refuses the range before anything is fetched (the message names the value).
    from newsbot.spiders.backfill import BackfillRangeError
    from newsbot.spiders.section import SectionSpider

    with pytest.raises(BackfillRangeError, match="2019-13-01"):
        SectionSpider(path="world/americas", since="2019-13-01")


if os.environ.get("NEWSBOT_SKIP_SLOW"):  # pragma: no cover - local convenience
    pytestmark = pytest.mark.skip("slow crawl tests skipped")
