"""Issue #12 item 9: a 100k-URL news sitemap must not starve the front, nor flood the log.

The site's front shows 22 good articles; its news sitemap lists 100,000 in-section URLs that
answer 404, every 50th of them after a second. The crawl is stopped after a while (it could
not fetch 100k URLs in a test), and the request log must show every front article requested
before any sitemap URL, while the log holds a bounded number of WARNING lines.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from newsbot.devserver import GeneratedArchive, SampleSiteServer, local_crawl_command

REPO = Path(__file__).resolve().parent.parent
LIMIT = 20  # NEWSBOT_LOG_REPEAT_LIMIT's default


def crawl_archive(
    tmp_path: Path, archive: GeneratedArchive, feed: Path, *settings: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Crawl the archive (no RSS feed) with `NAME=VALUE` settings; the run and the paths the
    server was asked for, in order."""
    (tmp_path / "root").mkdir()
    extra = [arg for setting in settings for arg in ("-s", setting)]
    with SampleSiteServer(root=tmp_path / "root") as server:
        server.add_route(archive)
        command = local_crawl_command(server.url, tmp_path / "index", feed, "-a", "rss=", *extra)
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=240)
        return done, server.paths()


def test_front_first_and_warnings_bounded_with_a_100k_url_sitemap(tmp_path: Path) -> None:
    archive = GeneratedArchive(
        months=["2021-06"], per_month=22, news_missing=100_000, slow_every=50, slow_seconds=1.0
    )
    archive.front = archive.article_paths("2021-06")
    feed = tmp_path / "feed.jsonl"
    done, paths = crawl_archive(
        tmp_path, archive, feed, "CLOSESPIDER_TIMEOUT=25", "NEWSBOT_INDEX_COMMIT_SECONDS=0.2"
    )
    log = done.stderr
    assert "closespider_timeout" in log, log[-3000:]
    front = set(archive.front)
    missing = [n for n, p in enumerate(paths) if "/missing-" in p]
    assert missing, "the crawl reached the sitemap's URLs"
    assert len(missing) > 300  # ...and many of them, so the warning cap was exercised
    # Two requests run at once, so the last front article may be logged after the first
    # sitemap URL or two, never later.
    assert front <= set(paths[: missing[2]]), "sitemap URLs went before a front article"
    stored = {json.loads(line)["url"].split(".com", 1)[1] for line in feed.read_text().splitlines()}
    assert stored == front
    warnings = [line for line in log.splitlines() if " WARNING: " in line]
    # A handful of kinds, each capped, plus one summary line per kind.
    assert len(warnings) <= 5 * (LIMIT + 1), warnings[:50]
    assert "further lost articles are only counted" in log
    assert "'newsbot/lost/http_404': " in log  # every failure is still counted


def test_jobdir_pause_keeps_the_news_sitemap_urls_not_yet_released(tmp_path: Path) -> None:
    # A resumed JOBDIR crawl does not read the news sitemap again, so the URLs it listed that
    # were still waiting in the backlog at the pause must come back from spider.state.
    archive = GeneratedArchive(months=["2021-06"], per_month=15)
    archive.front = archive.article_paths("2021-06")[:3]
    archive.news = archive.article_paths("2021-06")[3:]
    (tmp_path / "root").mkdir()
    job = ("-s", f"JOBDIR={tmp_path / 'job'}", "-s", "CONCURRENT_REQUESTS=1", "-a", "rss=")
    one_at_a_time = ("-s", "NEWSBOT_BACKFILL_BATCH=1", "-s", "NEWSBOT_INDEX_COMMIT_SECONDS=0.2")
    with SampleSiteServer(root=tmp_path / "root") as server:
        server.add_route(archive)
        runs = []
        for limit in (("-s", "CLOSESPIDER_PAGECOUNT=9"), ()):
            server.clear_requests()
            command = local_crawl_command(
                server.url, tmp_path / "index", None, *job, *one_at_a_time, *limit
            )
            done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=240)
            assert done.returncode == 0, done.stderr[-3000:]
            runs.append([p for p in server.paths() if p != "/robots.txt"])
    paused, resumed = runs
    assert "/sitemaps/new/news.xml.gz" in paused
    assert not [p for p in resumed if p.startswith("/sitemaps/")]  # not read again...
    news = set(archive.news)
    assert news - set(paused), "the pause left news-sitemap URLs for the resume"
    fetched = [p for p in paused + resumed if p in news]
    assert set(fetched) == news  # ...and still every URL it listed was fetched,
    assert len(fetched) == len(news)  # each once


def test_the_news_sitemap_window_moves_on_when_a_page_arrives_not_when_it_is_committed(
    tmp_path: Path,
) -> None:
    # The backlog hands Scrapy 3 requests at a time here. If a place in that window were given
    # back only when the article was committed to the index, the crawl would fetch 3 pages,
    # wait for their commit, and only then fetch 3 more: one commit per window, and the
    # downloader idle for each. Given back when the page arrives, all 12 fill one batch.
    archive = GeneratedArchive(months=["2021-06"], per_month=12)
    archive.front = []
    archive.news = archive.article_paths("2021-06")
    feed = tmp_path / "feed.jsonl"
    done, _ = crawl_archive(
        tmp_path,
        archive,
        feed,
        "NEWSBOT_BACKFILL_BATCH=3",
        "NEWSBOT_INDEX_COMMIT_ITEMS=12",
        "NEWSBOT_INDEX_COMMIT_SECONDS=600",
        "LOG_LEVEL=INFO",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    stored = {json.loads(line)["url"].split(".com", 1)[1] for line in feed.read_text().splitlines()}
    assert stored == set(archive.news)
    commits = re.search(r"'newsbot/index/commits': (\d+)", done.stderr)
    assert commits is not None, done.stderr[-3000:]
    # One when the batch fills; a second only if a loaded machine left the downloader idle
    # for two commit ticks. Four would be one per window.
    assert int(commits.group(1)) <= 2
