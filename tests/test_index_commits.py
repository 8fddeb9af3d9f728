"""When a crawl's batches commit, and what survives when a commit cannot happen.

- The last batch of a crawl is committed as soon as the crawl has nothing else to do, and the
  incremental state records it: a second crawl of an unchanged site fetches no article at all
  (the request log of the server says so).
- A disk that fills mid-crawl stops the crawl at the first failed commit: one clear line,
  finish reason `disk_full`, exit status 1; what was committed before stays searchable; the
  failed commit's Whoosh lock is let go and its partial files are removed.

The sites are generated here from the 2021+ `data-testid` fixture page, with text of our own.
"""

from __future__ import annotations

import asyncio
import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_pipeline_index import article
from whoosh import index
from whoosh.writing import SegmentWriter

from newsbot.devserver import SampleSiteServer, local_crawl_command
from newsbot.pipelines.index import IndexPipeline, NotStored
from newsbot.search.commit_worker import CommitWorker
from newsbot.search.schema import open_writer
from newsbot.search.searcher import open_searcher
from newsbot.search.writer import ArchiveWriter, read_crawl_state
from newsbot.state.crawlstate import CrawlState
from newsbot.state.dedupe_store import STORE_FILE, DedupeStore, minhash

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = (Path(__file__).parent / "fixtures" / "articles" / "testid.html").read_text("utf-8")
TEMPLATE_URL = "https://www.nytimes.com/2022/05/19/us/politics/orchard-owls-voles.html"
SITE = "https://www.nytimes.com"


def article_path(number: int) -> str:
    return f"/2026/02/{1 + number % 28:02d}/world/americas/generated-story-{number}.html"


def generate_site(root: Path, count: int, words: int) -> list[str]:
    """robots.txt, a news sitemap and `count` article pages of about `words` words of
    random text each (so no two are near-duplicates); return the article paths."""
    rng = random.Random(count * 1000 + words)
    paths = [article_path(n) for n in range(count)]
    (root / "sitemaps" / "new").mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /search\n", encoding="utf-8")
    entries = "".join(
        f"<url><loc>{SITE}{path}</loc><lastmod>2026-02-01T00:00:00Z</lastmod></url>\n"
        for path in paths
    )
    (root / "sitemaps" / "new" / "news.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n',
        encoding="utf-8",
    )
    for number, path in enumerate(paths):
        text = " ".join(
            "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 9)))
            for _ in range(words)
        )
        page = TEMPLATE.replace(TEMPLATE_URL, SITE + path).replace(
            "He credits eleven barn owls.", f"Story {number}. {text}."
        )
        file = root / path.lstrip("/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(page, encoding="utf-8")
    return paths


def crawl(server: SampleSiteServer, index_dir: Path, feed: Path, *extra: str) -> Any:
    command = local_crawl_command(
        server.url,
        index_dir,
        feed,
        "-s", "NEWSBOT_DISCOVER_FRONT=False",
        "-s", "NEWSBOT_DISCOVER_RSS=False",
        "-s", "LOG_LEVEL=INFO",
        *extra,
    )  # fmt: skip
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def article_requests(server: SampleSiteServer) -> list[str]:
    return [p for p in server.paths() if urlsplit(p).path.endswith(".html")]


def test_the_last_batch_is_stored_and_remembered(tmp_path: Path) -> None:
    paths = generate_site(tmp_path / "site", count=7, words=200)
    index_dir = tmp_path / "index"
    # Batches of 3 leave a last batch of 1, which no size and (in this test) no timer commits:
    # only the end of the crawl does.
    batches = ("-s", "NEWSBOT_INDEX_COMMIT_ITEMS=3", "-s", "NEWSBOT_INDEX_COMMIT_SECONDS=600")
    with SampleSiteServer(root=tmp_path / "site") as server:
        first = crawl(server, index_dir, tmp_path / "first.jsonl", *batches)
        assert first.returncode == 0, first.stderr[-3000:]
        assert sorted(article_requests(server)) == sorted(paths)
        assert len((tmp_path / "first.jsonl").read_text("utf-8").splitlines()) == len(paths)
        state = CrawlState(index_dir / "crawlstate.sqlite")
        assert len(state) == len(paths)  # the last batch too
        state.close()

        server.clear_requests()
        second = crawl(server, index_dir, tmp_path / "second.jsonl", *batches)
        assert second.returncode == 0, second.stderr[-3000:]
        assert article_requests(server) == []
        assert "/sitemaps/new/news.xml.gz" in server.paths()


# -- a full disk ---------------------------------------------------------------------------


def test_a_commit_that_hits_a_full_disk_lets_go_of_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial: list[Path] = []

    def full_disk(self: SegmentWriter) -> Any:
        # Like a real ENOSPC: the segment's files are half written when the write fails.
        partial.append(tmp_path / f"{self.newsegment.segment_id()}.seg")
        partial[0].write_bytes(b"\0" * 100)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with ArchiveWriter(tmp_path) as writer:
        writer.put(dict(article(1)))
        writer.commit()
        writer.put(dict(article(2)))
        with monkeypatch.context() as patch:
            patch.setattr(SegmentWriter, "_finalize_segment", full_disk)
            with pytest.raises(OSError, match="No space left"):
                writer.commit()
        # The write lock is free at once: the next commit does not wait for it in vain.
        open_writer(index.open_dir(str(tmp_path)), timeout=0).cancel()
        assert partial and not [p for p in tmp_path.iterdir() if p.stem == partial[0].stem]
        assert writer.document_count() == 1
        assert writer.pending == 1  # the failed batch is kept for the next commit
        writer.commit()
        assert writer.document_count() == 2


def test_the_pipeline_stops_storing_at_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = IndexPipeline(tmp_path, commit_items=2, commit_seconds=60)

    def full_disk(self: CommitWorker, batch: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    async def run() -> None:
        pipeline.open_spider()
        await asyncio.gather(pipeline.process_item(article(1)), pipeline.process_item(article(2)))
        monkeypatch.setattr(CommitWorker, "write", full_disk)
        results = await asyncio.gather(
            pipeline.process_item(article(3)),
            pipeline.process_item(article(4)),
            return_exceptions=True,
        )
        assert all(isinstance(result, NotStored) for result in results), results
        with pytest.raises(NotStored):  # later items are not even tried
            await pipeline.process_item(article(5))
        pipeline.close_spider()

    asyncio.run(run())
    assert pipeline.disk_full
    with open_searcher(tmp_path, allow_empty=True) as searcher:
        assert searcher.doc_count() == 2  # the batch committed before the disk filled
    assert read_crawl_state(tmp_path)["last_crawl"]["status"] == "disk_full"


def test_a_crawl_stops_at_the_first_full_disk_commit(tmp_path: Path, tiny_disk: Path) -> None:
    generate_site(tmp_path / "site", count=60, words=1500)
    index_dir = tiny_disk / "index"
    feed = tmp_path / "feed.jsonl"  # the feed's own disk is not the one that fills
    with SampleSiteServer(root=tmp_path / "site") as server:
        done = crawl(server, index_dir, feed, "-s", "NEWSBOT_INDEX_COMMIT_ITEMS=4")
    log = done.stderr
    assert done.returncode == 1, log[-3000:]
    assert "'finish_reason': 'disk_full'" in log
    disk_full_lines = [line for line in log.splitlines() if "Disk full" in line]
    assert len(disk_full_lines) == 1, disk_full_lines
    assert "Traceback" not in log
    assert "write lock" not in log
    stored = [line for line in feed.read_text("utf-8").splitlines() if line.strip()]
    assert stored, "batches committed before the disk filled reach the feed"
    assert len(stored) < 60
    with open_searcher(index_dir) as searcher:  # what was committed stays readable
        assert searcher.doc_count() == len(stored)
    committed = {f"{s.segment_id()}." for s in index.open_dir(str(index_dir))._segments()}
    # Only committed segments' files are left: the failed one's would keep the disk full.
    segment_files = [p.name for p in index_dir.glob("MAIN_*") if p.name != "MAIN_WRITELOCK"]
    assert all(name.startswith(tuple(committed)) for name in segment_files), segment_files


def test_dedupe_rows_of_a_batch_that_never_reached_the_index_are_forgotten(
    tmp_path: Path,
) -> None:
    # The index commits in the background while the next batch passes de-duplication, so the
    # store's commit can hold rows of that batch; a kill before its index commit leaves them
    # pointing at nothing.
    committed, lost = article(1), article(2)
    with ArchiveWriter(tmp_path) as writer:
        writer.put(dict(committed))
        writer.commit()
    store = DedupeStore(tmp_path / STORE_FILE)
    store.open()
    store.remember(committed["url"], "aa" * 16, minhash(committed["body"]))
    store.remember(lost["url"], "bb" * 16, minhash(lost["body"]))
    store.add_alias(lost["url"].replace(".html", ".amp.html"), lost["url"])
    store.commit(confirmed_until=time.time() - 3600)  # both rows are later than that
    store.close()  # what a SIGKILL leaves

    store.open()
    store.reconcile(tmp_path)
    assert store.has(committed["url"])
    assert not store.has(lost["url"])
    assert store.url_for_content("bb" * 16) is None
    assert store.primary_for(lost["url"].replace(".html", ".amp.html")) is None
    store.close()


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has finished; only its reaping is left


@pytest.mark.skipif(sys.platform != "linux", reason="the commit process dies with it on Linux")
def test_the_commit_process_dies_with_the_crawl(tmp_path: Path) -> None:
    # A SIGKILLed crawl must not leave a process that could still commit a batch whose items
    # never reached the feed.
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from newsbot.search.commit_worker import CommitWorker\n"
        "from newsbot.search.writer import open_or_create\n"
        "open_or_create(Path(sys.argv[1]))\n"
        "from newsbot.search.writer import Batch\n"
        "worker = CommitWorker(Path(sys.argv[1]), 1.0)\n"
        "worker.write(Batch({}, frozenset(), 0.0))\n"  # it is up and serving
        # A fork keeps the worker's input open after the crawl dies, as a process that the
        # crawl started would: the worker must not rely on seeing end of input.
        "import os\n"
        "holder = os.fork()\n"
        "if holder == 0:\n"
        "    time.sleep(120)\n"
        "    os._exit(0)\n"
        "print(worker._process.pid, holder, flush=True)\n"
        "time.sleep(120)\n"
    )
    crawl = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert crawl.stdout is not None
    child, holder = map(int, crawl.stdout.readline().split())
    try:
        assert _alive(child)
        crawl.kill()
        crawl.wait()
        deadline = time.monotonic() + 30
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        os.kill(holder, signal.SIGKILL)
