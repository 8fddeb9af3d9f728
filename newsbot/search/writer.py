"""Write articles into the Whoosh index: one document per canonical URL, committed in batches.

Files this module keeps in the index directory, beside Whoosh's own `_MAIN_*` / `MAIN_WRITELOCK`:

- `newsbot-crawl.lock`: held for a whole crawl, so a second crawl on the same index waits
  `lock_timeout` seconds and then gives up with `IndexBusy` instead of interleaving batches.
- `newsbot-crawl.json`: when the last crawl started and finished and how it ended
  (`read_crawl_state`), for `newsbot stats` and for crash recovery.

Readers need neither: a Whoosh searcher reads the last committed generation while we write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.index import LockError
from whoosh.reading import SegmentReader
from whoosh.util import filelock
from whoosh.util.filelock import try_for
from whoosh.writing import NO_MERGE

from newsbot.dates import utc_now_iso
from newsbot.errors import NewsbotError
from newsbot.search.history import History, record
from newsbot.search.schema import (
    SCHEMA,
    document_to_item,
    item_to_document,
    open_writer,
    utc_naive,
)

CRAWL_LOCK_FILE = "newsbot-crawl.lock"
CRAWL_STATE_FILE = "newsbot-crawl.json"
# How often a waiting crawl retries a lock: often enough to start promptly, rarely enough to
# cost nothing.
_LOCK_RETRY_SECONDS = 0.25


class IndexBusy(NewsbotError):
    """Another process holds the index for writing for longer than we were willing to wait."""


@dataclasses.dataclass(frozen=True)
class Commit:
    """One batch made durable: Whoosh generation, when, and which URLs it wrote or deleted."""

    generation: int
    committed_at: str
    written: tuple[str, ...]
    deleted: tuple[str, ...]
    sealed_at: float = 0.0  # unix time the batch was closed to new documents


@dataclasses.dataclass(frozen=True)
class Batch:
    """Documents to write (url -> Whoosh fields) and URLs to delete, in one commit."""

    documents: dict[str, dict[str, Any]]
    retired: frozenset[str]
    sealed_at: float
    # False for the crawl's last batch: the crawl waits for that commit, so it only adds its
    # segment, and the merge it would have done is left to the next commit that merges.
    merge: bool = True


def open_or_create(index_dir: Path) -> index.Index:
    index_dir.mkdir(parents=True, exist_ok=True)
    if index.exists_in(str(index_dir)):
        return index.open_dir(str(index_dir))
    return index.create_in(str(index_dir), SCHEMA)


def read_crawl_state(index_dir: Path) -> dict[str, Any]:
    """`{"last_crawl": {...}, "last_finished_crawl": {...}}`, or `{}` before the first crawl."""
    try:
        return json.loads((index_dir / CRAWL_STATE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    # A SIGKILL mid-write must leave the old file, never half a new one.
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


# Crawl locks this process holds: index dir -> (file lock, holders). The pipelines of one crawl
# share it; a flock taken twice by one process through two file descriptors would block itself.
_HELD: dict[Path, tuple[filelock.LockBase, int]] = {}


class CrawlLock:
    """The crawl-long lock on an index directory (`newsbot-crawl.lock`), shared by the pipelines
    of one process; another process waits up to `timeout` seconds, then gets `IndexBusy`. The OS
    drops it when the process dies, so a killed crawl never leaves a stale lock."""

    def __init__(self, index_dir: Path, timeout: float = 30.0) -> None:
        self.index_dir = Path(index_dir).resolve()
        self.timeout = timeout

    def acquire(self) -> None:
        if self.index_dir in _HELD:
            lock, holders = _HELD[self.index_dir]
            _HELD[self.index_dir] = (lock, holders + 1)
            return
        self.index_dir.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.index_dir / CRAWL_LOCK_FILE))
        if not try_for(lock.acquire, timeout=self.timeout, delay=_LOCK_RETRY_SECONDS):
            raise IndexBusy(
                f"another crawl is writing {self.index_dir}; waited {self.timeout:g}s",
                hint="wait for it to finish, or point this one at another NEWSBOT_INDEX_DIR",
            )
        _HELD[self.index_dir] = (lock, 1)

    def release(self) -> None:
        lock, holders = _HELD[self.index_dir]
        if holders > 1:
            _HELD[self.index_dir] = (lock, holders - 1)
        else:
            del _HELD[self.index_dir]
            lock.release()


class ArchiveWriter:
    """Batches article updates for one index and commits them under Whoosh's write lock.

    `put` reads the stored document (pending batch first, then the committed index), folds the
    new crawl into its revision history and queues `update_document`; `commit` writes the batch
    in one Whoosh commit, which is atomic: after a crash the index is at the previous commit.
    """

    def __init__(self, index_dir: Path, lock_timeout: float = 30.0) -> None:
        self.index_dir = Path(index_dir)
        self.lock_timeout = lock_timeout
        self._pending: dict[str, dict[str, Any]] = {}
        self._retired: set[str] = set()
        self._sealed: Batch | None = None
        self._crawl_lock: CrawlLock | None = None
        self._index: index.Index | None = None
        self._searcher: Any = None

    def __enter__(self) -> ArchiveWriter:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._crawl_lock = CrawlLock(self.index_dir, self.lock_timeout)
        self._crawl_lock.acquire()
        try:
            self._index = open_or_create(self.index_dir)
            self._searcher = self._index.searcher()
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        """Release everything. Uncommitted documents are discarded: call `commit` first."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._crawl_lock is not None:
            self._crawl_lock.release()
            self._crawl_lock = None

    @property
    def index(self) -> index.Index:
        assert self._index is not None, "ArchiveWriter is not open"
        return self._index

    @property
    def is_open(self) -> bool:
        return self._searcher is not None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def document_count(self) -> int:
        return self._searcher.doc_count()

    def stored(self, url: str) -> dict[str, Any] | None:
        """The stored fields for `url` as the next commit will leave them, or None."""
        if url in self._pending:
            return self._pending[url]
        if url in self._retired:
            return None
        if self._sealed is not None:
            if url in self._sealed.documents:
                return self._sealed.documents[url]
            if url in self._sealed.retired:
                return None
        return self._searcher.document(url=url)

    def put(self, item: dict[str, Any]) -> str:
        """Queue `item` as the document for its URL; return "new", "revised" or "unchanged".

        `item["alternates"]` is merged with the stored document's, and any document stored under
        one of those alternates is deleted: an alternate is never a document of its own.
        """
        url = item["url"]
        seen_at = item.get("crawled_at") or utc_now_iso()
        stored = self.stored(url)
        previous = document_to_item(stored) if stored else None
        history = _history_of(stored, previous, seen_at) if stored and previous else None
        if previous is not None:
            item["alternates"] = _merged(previous.get("alternates"), item.get("alternates"))
        for alternate in item.get("alternates") or []:
            # A document that becomes an alternate hands its own alternates over.
            retiring = self.stored(alternate) if alternate != url else None
            if retiring is not None:
                inherited = document_to_item(retiring).get("alternates")
                item["alternates"] = _merged(item["alternates"], inherited)
        item["alternates"] = [a for a in item.get("alternates") or [] if a != url]
        history, outcome = record(history, previous, item, seen_at)
        self._queue(item, history)
        for alternate in item["alternates"]:
            self._pending.pop(alternate, None)
            self._retired.add(alternate)
        return outcome

    def add_alternate(self, url: str, alternate: str) -> bool:
        """Record that `alternate` carried the same article as `url`; False if `url` is unknown."""
        return self._amend(url, "alternates", lambda old: _merged(old, [alternate]))

    def set_near_duplicate(self, url: str, of: str) -> bool:
        """Mark the stored article `url` as a near-duplicate of `of`; False if `url` is unknown."""
        return self._amend(url, "near_duplicate_of", lambda old: of)

    def _amend(self, url: str, field: str, change: Callable[[Any], Any]) -> bool:
        stored = self.stored(url)
        if stored is None:
            return False
        item = document_to_item(stored)
        value = change(item.get(field))
        if value != item.get(field):
            item[field] = value
            self._queue(item, _history_of(stored, item, utc_now_iso()))
        return True

    def commit(self) -> Commit | None:
        """Write the pending batch in one Whoosh commit; None if there was nothing to write."""
        batch = self.seal()
        if batch is None:
            return None
        try:
            write_batch(self._index, batch, self.lock_timeout)
        except BaseException:
            self.restore(batch)
            raise
        return self.confirm(batch)

    def seal(self, merge: bool = True) -> Batch | None:
        """Take the pending batch out for writing (here, or by a `CommitWorker`); None if there
        is nothing to write. Until `confirm` or `restore`, `stored` still sees it."""
        if not self._pending and not self._retired:
            return None
        self._sealed = Batch(
            dict(self._pending), frozenset(self._retired), time.time(), merge=merge
        )
        self._pending.clear()
        self._retired.clear()
        return self._sealed

    def confirm(self, batch: Batch) -> Commit:
        """`batch` is committed: read the index as it is now."""
        done = Commit(
            generation=self._index.latest_generation(),
            committed_at=utc_now_iso(),
            written=tuple(batch.documents),
            deleted=tuple(batch.retired),
            sealed_at=batch.sealed_at,
        )
        self._sealed = None
        # A fresh searcher rather than refresh(): refreshing a reader of an empty index fails
        # in some Whoosh forks, and opening one costs little next to a commit.
        self._searcher.close()
        self._searcher = self._index.searcher()
        return done

    def restore(self, batch: Batch) -> None:
        """`batch` failed: put it back under what was queued since, for the next commit."""
        self._sealed = None
        for url, document in batch.documents.items():
            if url not in self._pending and url not in self._retired:
                self._pending[url] = document
        self._retired |= {url for url in batch.retired if url not in self._pending}

    def record_crawl(self, **fields: Any) -> dict[str, Any]:
        """Merge `fields` into `last_crawl` in newsbot-crawl.json, starting a new record when
        `started_at` is given; return the record as it was before."""
        state = read_crawl_state(self.index_dir)
        previous = state.get("last_crawl", {})
        last = {} if "started_at" in fields else dict(previous)
        last.update(fields, documents=self.document_count())
        state["last_crawl"] = last
        if "finished_at" in last:
            state["last_finished_crawl"] = last
        write_json_atomically(self.index_dir / CRAWL_STATE_FILE, state)
        return previous

    def _queue(self, item: dict[str, Any], history: History) -> None:
        document = item_to_document(item)
        document["history"] = history.to_json()
        document["revisions"] = history.revisions
        document["first_seen"] = utc_naive(history.first_seen)
        document["last_seen"] = utc_naive(history.last_seen)
        self._pending[item["url"]] = document
        self._retired.discard(item["url"])


# Segments per tier before they are merged into one (see merge_by_tiers).
MERGE_FANOUT = 10


def merge_by_tiers(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy for crawl commits: the segments that stay as they are.

    A segment's tier is the number of decimal digits of its live document count (1-9
    documents, 10-99, 100-999, ...). When the lowest tier that holds MERGE_FANOUT segments
    is found, those are merged into the commit's new segment, and nothing else. So a document
    is rewritten once per tier it climbs (about 2 times over 10,000 articles in batches of
    30-100), and a commit merges at most MERGE_FANOUT segments of one size. Whoosh's default
    (MERGE_SMALL) merges every segment below a Fibonacci bound on their running total: over
    10,000 pages it rewrote each document 2.4 times, and single commits merged 9,000
    documents while the crawl waited on them.
    """
    tiers: dict[int, list[Any]] = {}
    for segment in segments:
        tiers.setdefault(len(str(max(1, segment.doc_count()))), []).append(segment)
    for tier in sorted(tiers):
        merging = tiers[tier]
        if len(merging) >= MERGE_FANOUT:
            for segment in merging:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                writer.add_reader(reader)
                reader.close()
            return [segment for segment in segments if segment not in merging]
    return segments


def write_batch(ix: index.Index, batch: Batch, lock_timeout: float) -> int:
    """Write `batch` into `ix` in one Whoosh commit under its write lock; return the new
    generation. On any failure the index stays at its last commit, unlocked."""
    index_dir = Path(ix.storage.folder)
    try:
        writer = open_writer(ix, timeout=lock_timeout, delay=_LOCK_RETRY_SECONDS)
    except LockError as error:
        raise IndexBusy(
            f"could not get the write lock on {index_dir} in {lock_timeout:g}s",
            hint="another process (a reindex?) is writing the index",
        ) from error
    try:
        for url in batch.retired:
            writer.delete_by_term("url", url)
        for document in batch.documents.values():
            writer.update_document(**document)
        writer.commit(mergetype=merge_by_tiers if batch.merge else NO_MERGE)
    except BaseException:
        # Whoosh's `with writer:` does not cancel a writer whose commit() raised, so a failed
        # commit (a full disk) kept MAIN_WRITELOCK and every later commit waited in vain.
        _abandon(writer, index_dir)
        raise
    return ix.latest_generation()


def _abandon(writer: Any, index_dir: Path) -> None:
    """Undo a Whoosh writer whose commit failed: release its lock, and delete the files of its
    new segment and its half-written TOC, which no committed TOC names (left behind, they kept
    a full disk full)."""
    try:
        writer.cancel()
    except Exception:
        # Closing the segment's files can fail the way the commit did, before cancel() got to
        # the lock: release it ourselves.
        if writer.writelock is not None:
            with contextlib.suppress(Exception):
                writer.writelock.release()
    # Its pool's scratch directory (<index>.tmp) too: cancel() removes it only when it gets
    # that far, and it can hold as much as the segment.
    shutil.rmtree(index_dir / f"{writer.indexname}.tmp", ignore_errors=True)
    segment = writer.newsegment.segment_id() + "."
    temporary_toc = f"_{writer.indexname}_"
    for path in index_dir.iterdir():
        name = path.name
        if name.startswith(segment) or (name.startswith(temporary_toc) and ".toc." in name):
            path.unlink(missing_ok=True)


def _history_of(stored: dict[str, Any], item: dict[str, Any], now: str) -> History:
    if "history" in stored:
        return History.from_json(stored["history"])
    # Indexed without the crawl pipelines (`newsbot reindex`): the stored item is all we know.
    seen = item.get("crawled_at") or now
    return History(first_seen=seen, last_seen=seen, current_since=seen)


def _merged(first: list[str] | None, second: list[str] | None) -> list[str]:
    return list(dict.fromkeys([*(first or []), *(second or [])]))
