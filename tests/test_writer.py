"""ArchiveWriter: one document per URL, batched atomic commits, revision history, locking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh.util import filelock

from newsbot.cli import main
from newsbot.items import ArticleItem
from newsbot.search.history import History
from newsbot.search.schema import document_to_item
from newsbot.search.searcher import open_searcher
from newsbot.search.writer import (
    CRAWL_LOCK_FILE,
    ArchiveWriter,
    CrawlLock,
    IndexBusy,
    read_crawl_state,
)

URL = "https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html"


def article(url: str = URL, **values: object) -> dict:
    fields = {
        "url": url,
        "headline": "Rains flood Brazil",
        "body": "First paragraph.\n\nSecond paragraph.",
        "published": "2026-11-20T08:00:00-03:00",
        "content_hash": "h1",
        "crawled_at": "2026-11-21T10:00:00Z",
    }
    fields.update(values)
    return dict(ArticleItem.blank(**fields))


def stored(index_dir: Path, url: str = URL) -> dict | None:
    with open_searcher(index_dir, allow_empty=True) as searcher:
        return searcher.document(url=url)


def count(index_dir: Path) -> int:
    with open_searcher(index_dir, allow_empty=True) as searcher:
        return searcher.doc_count()


def test_commit_writes_one_document_per_url(tmp_path: Path) -> None:
    with ArchiveWriter(tmp_path) as writer:
        assert writer.put(article()) == "new"
        assert writer.put(article(crawled_at="2026-11-21T11:00:00Z")) == "unchanged"
        assert writer.pending == 1
        done = writer.commit()
        assert done is not None and done.written == (URL,)
        assert writer.commit() is None
    assert count(tmp_path) == 1


def test_recrawl_keeps_document_count_and_moves_last_seen(tmp_path: Path) -> None:
    for hour in (10, 11):
        with ArchiveWriter(tmp_path) as writer:
            writer.put(article(crawled_at=f"2026-11-21T{hour}:00:00Z"))
            writer.commit()
    assert count(tmp_path) == 1
    history = History.from_json(stored(tmp_path)["history"])
    assert (history.first_seen, history.last_seen) == (
        "2026-11-21T10:00:00Z",
        "2026-11-21T11:00:00Z",
    )
    assert history.revisions == 1


def test_changed_headline_is_a_revision_with_the_earlier_version_kept(tmp_path: Path) -> None:
    with ArchiveWriter(tmp_path) as writer:
        writer.put(article())
        writer.commit()
    with ArchiveWriter(tmp_path) as writer:
        outcome = writer.put(article(headline="Floods kill 12", crawled_at="2026-11-22T09:00:00Z"))
        writer.commit()
    assert outcome == "revised"
    document = stored(tmp_path)
    assert document["revisions"] == 2
    assert document_to_item(document)["headline"] == "Floods kill 12"
    history = History.from_json(document["history"])
    assert history.versions[0]["headline"] == "Rains flood Brazil"
    assert history.versions[0]["item"]["body"].startswith("First paragraph.")
    assert history.current_since == "2026-11-22T09:00:00Z"


def test_alternates_are_merged_and_never_documents(tmp_path: Path) -> None:
    amp = URL.replace(".html", ".amp.html")
    with ArchiveWriter(tmp_path) as writer:
        writer.put(article(amp))
        writer.commit()
        writer.put(article(alternates=[amp]))
        writer.commit()
        assert writer.add_alternate(URL, "https://www.nytimes.com/print/brazil.html")
        assert not writer.add_alternate("https://www.nytimes.com/unknown.html", amp)
        writer.commit()
    assert count(tmp_path) == 1
    alternates = document_to_item(stored(tmp_path))["alternates"]
    assert alternates == [amp, "https://www.nytimes.com/print/brazil.html"]


def test_uncommitted_batch_is_not_in_the_index(tmp_path: Path) -> None:
    with ArchiveWriter(tmp_path) as writer:
        writer.put(article())
        writer.commit()
        writer.put(article("https://www.nytimes.com/2026/11/20/world/other.html"))
    assert count(tmp_path) == 1


def test_writer_waits_for_another_process_then_gives_up(tmp_path: Path) -> None:
    # A second file description on the lock file is what another process would hold.
    other = filelock.FileLock(str(tmp_path / CRAWL_LOCK_FILE))
    assert other.acquire()
    try:
        with pytest.raises(IndexBusy, match="another crawl"):
            ArchiveWriter(tmp_path, lock_timeout=0.3).open()
    finally:
        other.release()
    with ArchiveWriter(tmp_path, lock_timeout=0.3):
        pass


def test_pipelines_of_one_crawl_share_the_lock(tmp_path: Path) -> None:
    shared = CrawlLock(tmp_path, timeout=0.3)
    shared.acquire()
    with ArchiveWriter(tmp_path, lock_timeout=0.3):
        pass
    other = filelock.FileLock(str(tmp_path / CRAWL_LOCK_FILE))
    assert not other.acquire()  # still held by `shared`
    shared.release()
    assert other.acquire()
    other.release()


def test_search_works_while_a_crawl_is_writing(tmp_path: Path, capsys) -> None:
    with ArchiveWriter(tmp_path) as writer:
        writer.put(article())
        writer.commit()
        writer.put(article(headline="Changed"))  # pending, not committed
        assert json.loads(stored(tmp_path)["item"])["headline"] == "Rains flood Brazil"
        assert main(["search", "Brazil", "--index", str(tmp_path), "--json"]) == 0
    assert URL in capsys.readouterr().out


def test_crawl_state_records_start_and_finish(tmp_path: Path) -> None:
    with ArchiveWriter(tmp_path) as writer:
        writer.record_crawl(started_at="2026-11-21T10:00:00Z", status="running")
        writer.put(article())
        writer.commit()
        previous = writer.record_crawl(finished_at="2026-11-21T10:05:00Z", status="finished")
    assert previous["status"] == "running"
    state = read_crawl_state(tmp_path)
    assert state["last_crawl"]["documents"] == 1
    assert state["last_finished_crawl"]["finished_at"] == "2026-11-21T10:05:00Z"
