"""`newsbot reindex` and `scrapy crawl` on one index: they take turns, and nothing is lost.

Both take the crawl lock (`newsbot-crawl.lock`). A reindex started during a crawl waits up to
`--lock-timeout` seconds, then refuses with one line and exit status 1; a crawl started during a
reindex waits NEWSBOT_INDEX_LOCK_TIMEOUT and ends with `index_busy`. After a reindex replaced the
index, the crawl state and the de-duplication store forget every article the new index lacks, so
the next crawl fetches those again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_disk_full import newsbot
from test_search_fixtures import ARTICLES, build_index, generated_items, make_item, write_feed
from whoosh import index

from newsbot.devserver import local_crawl_command
from newsbot.search.query import parse_query
from newsbot.search.searcher import open_searcher
from newsbot.search.writer import CRAWL_LOCK_FILE, read_crawl_state
from newsbot.state.crawlstate import CrawlState
from newsbot.state.dedupe_store import STORE_FILE, DedupeStore

ROOT = Path(__file__).resolve().parent.parent
# Slow and one request at a time, so that the crawl is still running when the reindex starts.
SLOW = ("-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS=1", "-s", "LOG_LEVEL=WARNING")
REINDEXED = [
    make_item(
        f"reindexed-{n}",
        f"Reindexed {n}",
        "2017-01-01T00:00:00Z",
        f"body {n}",
        content_hash=hashlib.sha256(f"body {n}".encode()).hexdigest(),
    )
    for n in range(3)
]


def start_crawl(server: Any, work: Path, feed: str, *extra: str) -> subprocess.Popen[str]:
    command = local_crawl_command(server.url, work / "index", work / feed, *extra)
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def run_crawl(server: Any, work: Path, feed: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = local_crawl_command(server.url, work / "index", work / feed, *extra)
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )


def wait_for_running_crawl(index_dir: Path, crawl: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while read_crawl_state(index_dir).get("last_crawl", {}).get("status") != "running":
        assert time.monotonic() < deadline and crawl.poll() is None
        time.sleep(0.02)


def lock_is_held(index_dir: Path) -> bool:
    """Whether some process holds the crawl lock (probing takes it for a moment)."""
    path = index_dir / CRAWL_LOCK_FILE
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def indexed_urls(index_dir: Path) -> set[str]:
    with open_searcher(index_dir) as searcher:
        return {fields["url"] for fields in searcher.reader().all_stored_fields()}


def state_urls(index_dir: Path) -> set[str]:
    state = CrawlState(index_dir / "crawlstate.sqlite")
    try:
        rows = state._db.execute("SELECT DISTINCT canonical_url FROM articles").fetchall()
    finally:
        state.close()
    return {url for (url,) in rows}


def store_urls(index_dir: Path) -> set[str]:
    with DedupeStore(index_dir / STORE_FILE) as store:
        return {url for (url,) in store.db.execute("SELECT url FROM articles")}


def test_reindex_during_a_crawl_refuses_in_one_line(site_server, manifest, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    feed = write_feed(tmp_path / "old.jsonl", REINDEXED)
    crawl = start_crawl(site_server, tmp_path, "feed.jsonl", *SLOW)
    try:
        wait_for_running_crawl(index_dir, crawl)
        started = time.monotonic()
        reindex = newsbot("reindex", str(feed), "--index", str(index_dir), "--lock-timeout", "1")
        waited = time.monotonic() - started
        assert crawl.poll() is None, "the crawl should still be running"
    finally:
        _, crawl_log = crawl.communicate(timeout=180)

    assert reindex.returncode == 1
    # A notice that it waits, then one line that says why it gives up: no traceback.
    waiting, refusal = reindex.stderr.splitlines()
    assert "waiting up to 1s" in waiting
    assert refusal.startswith("newsbot reindex: error: another crawl is writing")
    assert waited >= 1
    assert crawl.returncode == 0, crawl_log[-3000:]
    articles = {a["url"] for a in manifest["articles"]}
    assert indexed_urls(index_dir) == articles
    assert state_urls(index_dir) == articles


def test_a_waiting_reindex_runs_after_the_crawl_and_state_follows_the_index(
    site_server, manifest, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    feed = write_feed(tmp_path / "old.jsonl", REINDEXED)
    crawl = start_crawl(site_server, tmp_path, "feed.jsonl", *SLOW)
    try:
        wait_for_running_crawl(index_dir, crawl)
        reindex = newsbot("reindex", str(feed), "--index", str(index_dir), "--lock-timeout", "120")
        # The reindex could only start once the crawl had let go of the index; the crawl
        # process may still be closing its WARC file and logs, so wait for it to exit.
        assert crawl.wait(timeout=60) == 0
    finally:
        crawl.communicate(timeout=180)
    assert reindex.returncode == 0, reindex.stderr
    assert "waiting up to 120s" in reindex.stderr
    assert "Traceback" not in reindex.stderr

    reindexed = {item["url"] for item in REINDEXED}
    assert indexed_urls(index_dir) == reindexed
    # Crawl state and de-duplication store no longer claim the articles the index dropped ...
    assert state_urls(index_dir) <= reindexed
    assert store_urls(index_dir) == reindexed
    # ... so the next crawl fetches them again.
    again = run_crawl(site_server, tmp_path, "again.jsonl", "-s", "LOG_LEVEL=INFO")
    assert again.returncode == 0, again.stderr[-3000:]
    articles = {a["url"] for a in manifest["articles"]}
    assert indexed_urls(index_dir) == articles | reindexed
    assert {json.loads(line)["url"] for line in (tmp_path / "again.jsonl").open()} == articles


@pytest.mark.parametrize("procs", ["1", "2"])
def test_a_crawl_during_a_reindex_waits_then_stops(site_server, tmp_path: Path, procs: str) -> None:
    index_dir = tmp_path / "index"
    # Enough articles that the reindex is still reading them when it is caught holding the lock.
    many = [
        make_item(f"bulk-{n}", f"Bulk {n}", "2017-01-01T00:00:00Z", f"text {n} " * 40)
        for n in range(20000)
    ]
    feed = write_feed(tmp_path / "bulk.jsonl", many)
    command = ["reindex", str(feed), "--index", str(index_dir), "--procs", procs]
    reindex = subprocess.Popen(
        [sys.executable, "-m", "newsbot", *command],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not lock_is_held(index_dir):
            assert time.monotonic() < deadline and reindex.poll() is None
            time.sleep(0.01)
        os.kill(reindex.pid, signal.SIGSTOP)  # caught holding the lock, and kept there
        try:
            crawl = run_crawl(
                site_server, tmp_path, "feed.jsonl", "-s", "NEWSBOT_INDEX_LOCK_TIMEOUT=1"
            )
        finally:
            os.kill(reindex.pid, signal.SIGCONT)
    finally:
        _, reindex_log = reindex.communicate(timeout=300)

    assert crawl.returncode == 1
    assert "Not crawling: another crawl is writing" in crawl.stderr
    assert "'finish_reason': 'index_busy'" in crawl.stderr
    assert "Traceback" not in crawl.stderr
    assert not site_server.paths(), "a crawl that cannot have the index fetches nothing"
    assert reindex.returncode == 0, reindex_log
    assert indexed_urls(index_dir) == {item["url"] for item in many}


@pytest.mark.parametrize("procs", ["1", "2"])
def test_a_reindex_killed_mid_write_leaves_the_old_index(tmp_path: Path, procs: str) -> None:
    index_dir = build_index(tmp_path / "index")
    before = set(os.listdir(index_dir)) | {CRAWL_LOCK_FILE}
    feed = write_feed(tmp_path / "bulk.jsonl", generated_items(20000))
    command = ["reindex", str(feed), "--index", str(index_dir), "--procs", procs]
    reindex = subprocess.Popen(
        [sys.executable, "-m", "newsbot", *command], cwd=ROOT, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while not set(os.listdir(index_dir)) - before:  # it has begun writing segments
            assert time.monotonic() < deadline and reindex.poll() is None
            time.sleep(0.01)
        time.sleep(0.5)
        os.kill(reindex.pid, signal.SIGKILL)
    finally:
        reindex.wait(timeout=60)
    assert reindex.returncode == -signal.SIGKILL

    with open_searcher(index_dir) as searcher:
        assert searcher.doc_count() == len(ARTICLES)
        assert searcher.search(parse_query("wall"), limit=None)
    # The lock died with the process, and the next reindex clears what the killed one left.
    small = write_feed(tmp_path / "small.jsonl", generated_items(30))
    done = newsbot("reindex", str(small), "--index", str(index_dir), "--lock-timeout", "5")
    assert done.returncode == 0, done.stderr
    left = set(os.listdir(index_dir))
    assert "MAIN.tmp" not in left
    assert len([name for name in left if name.endswith(".toc")]) == 1
    ix = index.open_dir(str(index_dir))
    assert ix.doc_count() == 30
    live = {segment.segment_id() for segment in ix._segments()}
    on_disk = {name.split(".")[0] for name in left if name.startswith("MAIN_") and "." in name}
    assert on_disk == live, "the killed run's partial segments are gone"
