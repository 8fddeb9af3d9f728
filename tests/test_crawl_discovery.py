"""End-to-end discovery crawls of `scrapy crawl americas` against a local mirror of the site.

The mirror serves tests/fixtures/discovery/site (pages written for these tests) through
newsbot.devserver; the crawls run as real `scrapy crawl` processes with NEWSBOT_SITE pointing at
it, and the server's request log shows what was and was not fetched. The crawls share one state
file and run in order: first crawl, re-crawl, changed sitemap, refetch=all.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsbot.devserver import SampleSiteServer

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = Path(__file__).parent / "fixtures" / "discovery" / "site"
SITE = "https://www.nytimes.com"

GLACIER = "/2026/01/05/world/americas/andes-glacier-survey.html"
FERRY = "/2026/01/05/world/americas/river-ferry-returns.html"
BUDGET = "/2026/01/04/us/politics/budget-talks-stall.html"  # promoted from another section
COFFEE = "/2026/01/04/world/americas/coffee-harvest-rains.html"
MARKET = "/2026/01/03/world/americas/border-market-night.html"
ICE_ROAD = "/2026/01/03/world/canada/ice-road-opens.html"  # RSS only
TRAIN = "/2026/01/02/world/americas/old-train-line.html"  # sitemap only
MOVED = "/2026/01/02/world/americas/moved-story.html"  # redirects to MOVED_TO
MOVED_TO = "/2026/01/02/world/americas/moved-story-update.html"
MISSING = "/2026/01/01/world/americas/missing-page.html"  # 404
PRIVATE = "/2026/01/01/world/americas/private-draft.html"  # robots.txt disallows it
OFF_SECTION = "/2026/01/05/business/markets-open-higher.html"  # in the sitemap, other section

STORED = {GLACIER, FERRY, BUDGET, COFFEE, MARKET, ICE_ROAD, TRAIN, MOVED_TO}
DISCOVERY_PAGES = {
    "/robots.txt",
    "/section/world/americas",
    "/services/xml/rss/nyt/Americas.xml",
    "/sitemaps/new/news.xml.gz",
}


@dataclass
class Crawl:
    returncode: int
    log: str
    requests: list[str]  # paths with queries, as the server saw them

    def article_paths(self) -> list[str]:
        return [p for p in self.requests if urlsplit(p).path not in DISCOVERY_PAGES]


class Runner:
    def __init__(self, server: SampleSiteServer, work: Path) -> None:
        self.server = server
        self.work = work
        self.feed_dir = work / "feeds"
        self.env = {
            **os.environ,
            "NEWSBOT_SITE": server.url,
            "NEWSBOT_FEED_DIR": str(self.feed_dir),
            "NEWSBOT_INDEX_DIR": str(work / "index"),
            "NEWSBOT_STATE_PATH": str(work / "state" / "crawlstate.sqlite"),
            "NEWSBOT_FRONTS_PATH": "",
        }

    def crawl(self, *args: str, spider: str = "americas") -> Crawl:
        self.server.clear_requests()
        command = [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            spider,
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
            "-s",
            "LOG_LEVEL=INFO",
            # The index pipeline holds items until a batch commits; a short batch keeps it quick.
            "-s",
            "NEWSBOT_INDEX_COMMIT_SECONDS=0.2",
            *args,
        ]
        done = subprocess.run(
            command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60
        )
        return Crawl(done.returncode, done.stderr, self.server.paths())


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    work = tmp_path_factory.mktemp("discovery")
    with SampleSiteServer(root=SITE_DIR) as server:
        # An absolute Location naming the mirror: must be followed in site terms.
        server.redirect(MOVED, server.url + MOVED_TO)
        yield Runner(server, work)


@pytest.fixture(scope="module")
def first(runner: Runner) -> Crawl:
    runner.server.fail(FERRY, status=503, times=1)
    return runner.crawl("-s", f"JOBDIR={runner.work / 'job'}")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def feeds(runner: Runner) -> list[Path]:
    return sorted(p for p in runner.feed_dir.glob("americas-*.jsonl") if "fronts" not in p.name)


# --- spider wiring without a crawl -------------------------------------------------------------


def test_named_spiders_are_generated_from_the_sections_data() -> None:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    from newsbot.sites import SECTIONS

    loader = SpiderLoader.from_settings(get_project_settings())
    assert set(loader.list()) == {"section", *SECTIONS}
    americas = loader.load("americas")
    assert (americas.section_path, americas.rss_name) == ("world/americas", "Americas")


def test_section_spider_arguments() -> None:
    from newsbot.spiders.section import SectionSpider

    spider = SectionSpider(path="/world/europe/", state_path=None)
    assert (spider.section_path, spider.rss_name, spider.refetch_all) == (
        "world/europe",
        "Europe",
        False,
    )
    assert SectionSpider(path="us", rss="", refetch="all").discover_rss is False
    assert SectionSpider(path="us", refetch="all").refetch_all
    from_cli = SectionSpider(path="us", discover_sitemap="0", discover_front="false")
    assert (from_cli.discover_front, from_cli.discover_rss, from_cli.discover_sitemap) == (
        False,
        True,
        False,
    )
    with pytest.raises(ValueError, match="section"):
        SectionSpider()
    with pytest.raises(ValueError, match="refetch"):
        SectionSpider(path="us", refetch="some")


def test_default_feed_only_when_no_feed_was_asked_for(tmp_path: Path) -> None:
    from scrapy.settings import Settings

    from newsbot.spiders.section import add_default_feed

    plain = Settings({"NEWSBOT_FEED_DIR": str(tmp_path)})
    add_default_feed(plain)
    [(uri, options)] = plain.getdict("FEEDS").items()
    assert uri == str(tmp_path / "%(name)s-%(time)s.jsonl")
    assert options == {"format": "jsonlines", "encoding": "utf-8"}

    # `-O out.jsonl` sets FEEDS at "cmdline" priority before update_settings runs.
    cli = Settings({"NEWSBOT_FEED_DIR": str(tmp_path)})
    cli.set("FEEDS", {"out.jsonl": {"format": "jsonlines", "overwrite": True}}, "cmdline")
    add_default_feed(cli)
    assert list(cli.getdict("FEEDS")) == ["out.jsonl"]

    off = Settings({"NEWSBOT_FEED_DIR": ""})
    add_default_feed(off)
    assert off.getdict("FEEDS") == {}


def test_snapshots_go_beside_the_feed(tmp_path: Path) -> None:
    from scrapy.settings import Settings

    from newsbot.extensions import feed_dir_from

    assert feed_dir_from(Settings({"NEWSBOT_FEED_DIR": "feeds"})) == Path("feeds")
    out = Settings({"FEEDS": {str(tmp_path / "out" / "a.jsonl"): {}}, "NEWSBOT_FEED_DIR": "x"})
    assert feed_dir_from(out) == tmp_path / "out"
    uri = Settings({"FEEDS": {(tmp_path / "b.jsonl").as_uri(): {}}})
    assert feed_dir_from(uri) == tmp_path
    stdout = Settings({"FEEDS": {"stdout:": {}}, "NEWSBOT_FEED_DIR": "feeds"})
    assert feed_dir_from(stdout) == Path("feeds")


# --- first crawl ------------------------------------------------------------------------------


def test_first_crawl_stores_every_article_once(runner: Runner, first: Crawl) -> None:
    assert first.returncode == 0, first.log[-3000:]
    [feed] = feeds(runner)  # the default feed, since no -o/-O was given
    items = read_jsonl(feed)
    assert {urlsplit(i["url"]).path for i in items} == STORED
    for item in items:
        assert item["url"].startswith(SITE)
        assert item["source_url"].startswith(SITE)  # never the mirror's URL
        assert item["crawled_at"].endswith("Z")
    moved = next(i for i in items if i["url"].endswith(MOVED_TO))
    assert moved["source_url"] == SITE + MOVED_TO


def test_first_crawl_requests(first: Crawl) -> None:
    counts = Counter(urlsplit(p).path for p in first.article_paths())
    # Each article once; the 503 answered on retry; the redirect and the 404 once each.
    assert counts == Counter({**dict.fromkeys(STORED - {FERRY}, 1), FERRY: 2, MOVED: 1, MISSING: 1})
    # Tracking and share parameters were stripped before requesting.
    assert all("?" not in p for p in first.article_paths())
    assert PRIVATE not in counts  # robots.txt
    assert OFF_SECTION not in counts  # sitemap entry of another section
    assert {urlsplit(p).path for p in first.requests} >= DISCOVERY_PAGES
    assert "Forbidden by robots.txt" in first.log
    assert "'scheduler/unserializable'" not in first.log  # JOBDIR could pickle every request


def test_honest_user_agent(runner: Runner, first: Crawl) -> None:
    agents = {r.user_agent for r in runner.server.requests}
    assert agents and all(a.startswith("newsbot/") for a in agents)


def test_front_snapshot_beside_the_feed(runner: Runner, first: Crawl) -> None:
    lines = read_jsonl(runner.feed_dir / "americas-fronts.jsonl")
    assert [line["rank"] for line in lines] == list(range(1, 9))
    top = lines[0]
    assert top["url"] == SITE + GLACIER
    assert top["headline"] == "Volunteers Measure a Glacier\u2019s Retreat"
    assert top["summary"] == "The ice edge moved uphill again, a survey team found."
    assert top["crawled_at"].endswith("Z")


# --- re-crawls (depend on the first crawl's state) --------------------------------------------


def test_second_crawl_fetches_no_stored_article(runner: Runner, first: Crawl) -> None:
    out = runner.work / "out" / "second.jsonl"
    crawl = runner.crawl("-O", str(out))
    assert crawl.returncode == 0, crawl.log[-3000:]
    # Front, feed and sitemap again; of the articles only the 404 (never stored) is retried.
    assert {urlsplit(p).path for p in crawl.requests} >= DISCOVERY_PAGES
    assert [urlsplit(p).path for p in crawl.article_paths()] == [MISSING]
    assert read_jsonl(out) == []  # nothing new to store
    # -O replaces the default feed: nothing new in NEWSBOT_FEED_DIR, snapshot beside -O's file.
    assert len(feeds(runner)) == 1
    assert len(read_jsonl(out.parent / "americas-fronts.jsonl")) == 8


def test_newer_sitemap_lastmod_refetches_that_article(runner: Runner, first: Crawl) -> None:
    sitemap = (SITE_DIR / "sitemaps" / "new" / "news.xml").read_text(encoding="utf-8")
    newer = sitemap.replace(
        "<lastmod>2026-01-02T16:00:00Z</lastmod>", "<lastmod>2026-01-06T09:00:00Z</lastmod>"
    )
    assert newer != sitemap
    # Served packed as application/gzip, the way the site serves its .xml.gz sitemaps.
    runner.server.override(
        "/sitemaps/new/news.xml.gz", gzip.compress(newer.encode()), "application/gzip"
    )
    try:
        crawl = runner.crawl("-s", "NEWSBOT_DISCOVER_FRONT=0", "-s", "NEWSBOT_DISCOVER_RSS=0")
    finally:
        runner.server.reset()
        runner.server.redirect(MOVED, runner.server.url + MOVED_TO)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert "/section/world/americas" not in crawl.requests  # the front was switched off
    assert [urlsplit(p).path for p in crawl.article_paths()] == [TRAIN]


def test_refetch_all(runner: Runner, first: Crawl) -> None:
    crawl = runner.crawl("-a", "refetch=all", "-o", str(runner.work / "out" / "all.jsonl"))
    assert crawl.returncode == 0, crawl.log[-3000:]
    fetched = Counter(urlsplit(p).path for p in crawl.article_paths())
    assert set(fetched) == STORED | {MOVED, MISSING}
    assert all(n == 1 for n in fetched.values())


# --- a crawl that finds nothing ---------------------------------------------------------------


def test_zero_articles_is_loud(runner: Runner) -> None:
    runner.server.override("/section/world/americas", "<html><body><p>Nothing.</p></body></html>")
    try:
        crawl = runner.crawl(
            "-s", "NEWSBOT_DISCOVER_RSS=0", "-s", "NEWSBOT_DISCOVER_SITEMAP=0", "-s", "FEEDS={}"
        )
    finally:
        runner.server.reset()
        runner.server.redirect(MOVED, runner.server.url + MOVED_TO)
    assert "ERROR" in crawl.log and "ZERO ARTICLES" in crawl.log
    assert "'finish_reason': 'no_articles'" in crawl.log
    assert "'newsbot/crawl/zero_articles': 1" in crawl.log
    assert crawl.article_paths() == []
    assert crawl.returncode == 1  # scripts and cron jobs must see that nothing arrived


def test_missing_sources_are_reported(runner: Runner) -> None:
    runner.server.remove("/section/world/americas")
    try:
        crawl = runner.crawl(
            "-a", "rss=NoSuchFeed", "-s", "NEWSBOT_DISCOVER_SITEMAP=0", "-s", "FEEDS={}"
        )
    finally:
        runner.server.reset()
        runner.server.redirect(MOVED, runner.server.url + MOVED_TO)
    assert "/services/xml/rss/nyt/NoSuchFeed.xml" in crawl.requests
    assert (
        "ERROR: Discovery page https://www.nytimes.com/section/world/americas failed" in crawl.log
    )
    assert (
        "WARNING: Discovery page https://rss.nytimes.com/services/xml/rss/nyt/NoSuchFeed.xml"
        in (crawl.log)
    )
    assert "'newsbot/discovery/source_failed': 2" in crawl.log
    assert "'finish_reason': 'no_articles'" in crawl.log


# --- JOBDIR pause and resume ------------------------------------------------------------------


def test_jobdir_pause_and_resume(tmp_path: Path) -> None:
    with SampleSiteServer(root=SITE_DIR) as server:
        server.redirect(MOVED, server.url + MOVED_TO)
        runner = Runner(server, tmp_path)
        job = ("-s", f"JOBDIR={tmp_path / 'job'}", "-s", "CONCURRENT_REQUESTS=1")
        # Stop early, the way Ctrl-C or a closespider limit would, with articles still queued.
        paused = runner.crawl(*job, "-s", "CLOSESPIDER_PAGECOUNT=6")
        assert paused.returncode == 0, paused.log[-3000:]
        assert "'finish_reason': 'closespider_pagecount'" in paused.log
        resumed = runner.crawl(*job)
        assert resumed.returncode == 0, resumed.log[-3000:]
        assert "Resuming crawl" in resumed.log
        assert "'finish_reason': 'finished'" in resumed.log
        assert "'scheduler/unserializable'" not in paused.log + resumed.log
    before = [urlsplit(p).path for p in paused.article_paths()]
    after = [urlsplit(p).path for p in resumed.article_paths()]
    assert after, "the resumed crawl fetched the queued articles"
    assert not set(before) & set(after)  # nothing fetched twice
    assert {urlsplit(p).path for p in resumed.requests}.isdisjoint(
        DISCOVERY_PAGES - {"/robots.txt"}
    )


# --- the bundled sample site, against its manifest ------------------------------------------


def test_sample_site_discovery_matches_the_manifest(
    site_server: SampleSiteServer, run_crawl, manifest: dict, tmp_path: Path
) -> None:
    proc, items = run_crawl(site_server, tmp_path, "-s", "NEWSBOT_INDEX_COMMIT_SECONDS=0.2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = {a["url"] for a in manifest["articles"]}
    # Whether each page parses is the article parser's business; discovery must bring them all.
    assert {i["url"] for i in items} <= expected
    assert len(items) >= len(expected) - 2
    requested = Counter(urlsplit(p).path for p in site_server.paths())
    for url in expected:
        assert requested[urlsplit(url).path] == 1, url  # found by several sources, fetched once
    never = [*manifest["disallowed"], *manifest["sitemap_off_section"], *manifest["ignored_links"]]
    for url in never:
        assert urlsplit(url).path not in requested, url
    assert all("?" not in p for p in site_server.paths())
    sitemap_paths = {urlsplit(u).path for u in manifest["sitemap_section"]}
    assert sitemap_paths <= set(requested)
    snapshot = read_jsonl(tmp_path / "americas-fronts.jsonl")
    # The snapshot records what the front showed, robots.txt-disallowed links included.
    shown = [line["url"] for line in snapshot]
    assert [u for u in shown if u not in manifest["disallowed"]] == manifest["front"]
