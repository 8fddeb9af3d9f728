"""Crawls that die or collide: the index and the feeds stay consistent.

A crawl started while another writes the same index waits NEWSBOT_INDEX_LOCK_TIMEOUT seconds,
then stops before any request with exit status 1, leaving the first crawl's work untouched.

A crawl killed with SIGKILL mid-run, then restarted, leaves the index and the feeds consistent.

"Consistent" means, precisely:

1. The index only ever holds whole committed batches; the kill loses at most the batch being
   built (NEWSBOT_INDEX_COMMIT_ITEMS items), and the index opens and searches normally.
2. Every complete line of every feed, the killed run's included, is a document in the index
   carrying that line's content (its content_hash is the document's current or an earlier
   version). Items reach the feed only after their batch is committed.
3. After the restarted crawl finishes, the index holds exactly one document per article. The
   only documents in no feed are ones the killed run committed whose lines were still in the
   feed exporter's unflushed write buffer (8 KiB: one or two articles here, asserted as at most
   a batch). The index is the source of truth for them (`newsbot export` writes them out);
   newsbot-crawl.json shows the killed run never finished.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from newsbot.devserver import local_crawl_command
from newsbot.search.history import find
from newsbot.search.schema import document_to_item
from newsbot.search.searcher import IndexMissing, open_searcher
from newsbot.search.writer import read_crawl_state

ROOT = Path(__file__).resolve().parent.parent
BATCH = 4


def crawl_command(server: Any, work: Path, feed: str, *extra: str) -> list[str]:
    batch = ("-s", f"NEWSBOT_INDEX_COMMIT_ITEMS={BATCH}")
    return local_crawl_command(server.url, work / "index", work / feed, *batch, *extra)


def complete_lines(feed: Path) -> list[dict[str, Any]]:
    """The feed's records; a last line without its newline was cut by the kill and is not one."""
    text = feed.read_text(encoding="utf-8") if feed.exists() else ""
    return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]


def index_state(index_dir: Path) -> dict[str, set[str]]:
    """url -> every content_hash the index holds for it (current and earlier versions)."""
    with open_searcher(index_dir, allow_empty=True) as searcher:
        urls = [stored["url"] for stored in searcher.reader().all_stored_fields()]
        state = {}
        for url in urls:
            history, item = find(searcher, url)
            state[url] = {item["content_hash"]} | {v["content_hash"] for v in history.versions}
        return state


def document_count(index_dir: Path) -> int:
    try:
        with open_searcher(index_dir, allow_empty=True) as searcher:
            return searcher.doc_count()
    except IndexMissing:  # the crawl has not created it yet
        return 0


def assert_feed_in_index(feed: list[dict[str, Any]], state: dict[str, set[str]]) -> None:
    for record in feed:
        assert record["url"] in state, f"{record['url']} is in the feed but not in the index"
        assert record["content_hash"] in state[record["url"]]


def test_sigkill_mid_crawl_then_restart(site_server, manifest, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    # Slow and one request at a time, so the kill lands with the crawl half done.
    slow = ("-s", "DOWNLOAD_DELAY=0.25", "-s", "CONCURRENT_REQUESTS=1")
    killed = subprocess.Popen(
        crawl_command(site_server, tmp_path, "feed1.jsonl", *slow, "-s", "LOG_LEVEL=WARNING"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while document_count(index_dir) < 2 * BATCH and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(killed.pid, signal.SIGKILL)
    finally:
        killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL

    articles = {a["url"] for a in manifest["articles"]}
    state = index_state(index_dir)
    assert 2 * BATCH <= len(state) < len(articles), "the kill should land mid-crawl"
    assert len(state) % BATCH == 0  # whole batches only
    first_feed = complete_lines(tmp_path / "feed1.jsonl")
    assert_feed_in_index(first_feed, state)
    assert read_crawl_state(index_dir)["last_crawl"]["status"] == "running"

    restarted = subprocess.run(
        crawl_command(site_server, tmp_path, "feed2.jsonl", "-s", "DOWNLOAD_DELAY=0"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert "did not finish" in restarted.stderr

    state = index_state(index_dir)
    assert set(state) == articles  # one document per article, none lost
    second_feed = complete_lines(tmp_path / "feed2.jsonl")
    assert_feed_in_index(first_feed + second_feed, state)
    in_no_feed = set(state) - {r["url"] for r in first_feed + second_feed}
    assert len(in_no_feed) <= BATCH
    crawl = read_crawl_state(index_dir)["last_crawl"]
    assert crawl["status"] == "finished" and crawl["documents"] == len(articles)
    with open_searcher(index_dir, allow_empty=True) as searcher:
        for url in in_no_feed:  # committed by the killed run, before the restart began
            item = document_to_item(searcher.document(url=url))
            # Both stamps are whole seconds, and a restart can begin in the second of the kill.
            assert item["crawled_at"] <= crawl["started_at"]


def test_a_second_crawl_on_the_same_index_waits_then_stops(
    site_server, manifest, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    slow = ("-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS=1", "-s", "LOG_LEVEL=WARNING")
    first = subprocess.Popen(
        crawl_command(site_server, tmp_path, "feed1.jsonl", *slow),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while read_crawl_state(index_dir).get("last_crawl", {}).get("status") != "running":
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.02)
        started = time.monotonic()
        second = subprocess.run(
            crawl_command(
                site_server, tmp_path, "feed2.jsonl", "-s", "NEWSBOT_INDEX_LOCK_TIMEOUT=1"
            ),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        waited = time.monotonic() - started
        assert first.poll() is None, "the first crawl should still be running"
    finally:
        first.wait(timeout=120)

    assert second.returncode == 1
    assert "Not crawling: another crawl is writing" in second.stderr
    assert "AttributeError" not in second.stderr  # closing what never opened is a no-op
    assert "Traceback" not in second.stderr
    assert "'finish_reason': 'index_busy'" in second.stderr
    assert "ZERO ARTICLES" not in second.stderr  # a crawl that never ran says nothing of the site
    assert waited >= 1
    assert first.returncode == 0
    crawl = read_crawl_state(index_dir)["last_crawl"]
    assert crawl["status"] == "finished" and crawl["documents"] == len(manifest["articles"])
    assert set(index_state(index_dir)) == {a["url"] for a in manifest["articles"]}
