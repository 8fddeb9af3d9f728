"""Rebuild an index from crawl feeds (JSON Lines of items).

Decisions:
- One document per url; when a url appears more than once, the later line wins (feeds are read
  in the order given, lines in file order).
- A bad line (not JSON, not an object, missing a required field, unreadable date) is reported
  with its file and line number and skipped; the good lines are still indexed. The caller exits
  non-zero afterwards so scripts notice the feed needs attention.
- An existing index with the current schema is replaced in one commit that clears the old
  segments, so an interrupted reindex leaves the old index searchable. A failed one (a full
  disk) also removes the files it wrote, and says so in one line.
- A reindex holds the crawl lock from start to end, as a crawl does: it waits for a running
  crawl (up to a timeout) instead of replacing the documents that crawl commits.
- The rebuilt index is what the archive holds, so the crawl state and the de-duplication store
  forget every article it lacks (the next crawl fetches those again) before the commit.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index, writing

from newsbot.errors import NewsbotError, UsageError
from newsbot.items import REQUIRED_FIELDS
from newsbot.lifeline import die_with_parent
from newsbot.search.schema import SCHEMA, item_to_document, open_writer, same_schema, utc_naive
from newsbot.search.writer import CrawlLock, IndexBusy
from newsbot.state.crawlstate import CrawlState
from newsbot.state.dedupe_store import STORE_FILE, DedupeStore
from newsbot.terminal import Progress

# Whoosh buffers postings in memory, and once a writer process's buffer is full it sorts and
# spills it, and from then on every posting goes through run files on disk. On 30,000 articles
# with 2 processes that took reindexing from 482 docs/s (3,072 MB each, no spill; 2.3 GB peak
# RSS per process) to 305 (1,024 MB). So the writers may use a quarter of the machine's memory
# between them, within these bounds.
WRITER_LIMIT_MB = (256, 4096)


def writer_limit_mb(procs: int, memory_bytes: int | None = None) -> int:
    """Megabytes of posting buffer for each of `procs` writer processes."""
    if memory_bytes is None:
        try:
            memory_bytes = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError):
            return WRITER_LIMIT_MB[0]
    share = memory_bytes // 4 // max(1, procs) // 2**20
    return max(WRITER_LIMIT_MB[0], min(WRITER_LIMIT_MB[1], share))


@dataclass(frozen=True)
class BadLine:
    path: Path
    lineno: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}: {self.reason}"


@dataclass
class ReindexReport:
    documents: int = 0
    lines: int = 0
    duplicates: int = 0
    bad: list[BadLine] = field(default_factory=list)


def _problem(item: Any) -> str | None:
    """Why `item` cannot be indexed, or None if it can."""
    if not isinstance(item, dict):
        return f"expected a JSON object, got {type(item).__name__}"
    for name in REQUIRED_FIELDS:
        if not isinstance(item.get(name), str) or not item[name].strip():
            return f"missing required field {name!r}"
    try:
        utc_naive(item["published"])
    except ValueError:
        return f"published {item['published']!r} is not an ISO 8601 date"
    return None


def feed_files(paths: Iterable[Path]) -> list[Path]:
    """Each feed named, and each `*.jsonl` feed in a folder named (in name order), leaving out
    the front snapshots that crawls write beside their feeds; UsageError for what is neither."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.glob("*.jsonl") if not p.name.endswith("-fronts.jsonl"))
            if not inside:
                raise UsageError(
                    f"no .jsonl feeds in the folder {path}", hint="give feed files or their folder"
                )
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"no such feed: {path}", hint="give paths to .jsonl feed files")
    return found


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        with path.open("rb") as handle:
            yield from enumerate(handle, start=1)
    except OSError as error:
        raise UsageError(f"cannot read feed {path}: {error.strerror}") from None


def read_feeds(
    paths: Iterable[Path], on_bad: Callable[[BadLine], None], report: ReindexReport
) -> dict[str, dict[str, Any]]:
    """The items of all feeds by url, the last occurrence of each url winning."""
    items: dict[str, dict[str, Any]] = {}
    for path in paths:
        for lineno, raw in _lines(path):
            if not raw.strip():
                continue
            report.lines += 1
            try:
                # Without its line end: a line cut short ('{"a":') would otherwise be reported
                # at "column 1" of the next line instead of where it ends. A BOM that an
                # editor put at the start of a file is not an error.
                text = raw.decode("utf-8").rstrip("\r\n")
                item = json.loads(text.removeprefix("\ufeff") if lineno == 1 else text)
            except UnicodeDecodeError:
                reason: str | None = "not UTF-8"
            except json.JSONDecodeError as error:
                reason = f"invalid JSON ({error.msg} at column {error.pos + 1})"
            else:
                reason = _problem(item)
            if reason:
                bad = BadLine(path, lineno, reason)
                report.bad.append(bad)
                on_bad(bad)
                continue
            if item["url"] in items:
                report.duplicates += 1
                del items[item["url"]]
            items[item["url"]] = item
    return items


def _open_for_rebuild(index_dir: Path) -> tuple[index.Index, bool]:
    """The index to write into, and whether it already holds one (which the commit replaces)."""
    if index.exists_in(str(index_dir)):
        return index.open_dir(str(index_dir)), True
    return index.create_in(str(index_dir), SCHEMA), False


def _make_index_dir(index_dir: Path) -> None:
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise NewsbotError(f"cannot create the index at {index_dir}: {error.strerror}") from None


@contextmanager
def _crawl_lock(index_dir: Path, timeout: float, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock a crawl holds for its whole run (`newsbot-crawl.lock`), so that neither
    replaces what the other commits; wait up to `timeout` seconds for a running crawl."""
    lock = CrawlLock(index_dir, timeout=0)
    try:
        lock.acquire()
    except OSError as error:  # the lock file cannot be created (a full or read-only disk)
        raise NewsbotError(f"cannot lock the index at {index_dir}: {error.strerror}") from None
    except IndexBusy:
        if timeout > 0:
            on_wait(f"another crawl is writing {index_dir}; waiting up to {timeout:g}s")
        lock = CrawlLock(index_dir, timeout=timeout)
        try:
            lock.acquire()
        except IndexBusy as busy:
            raise IndexBusy(
                str(busy), hint="reindex once the crawl has finished, or give --lock-timeout"
            ) from None
    try:
        yield
    finally:
        lock.release()


def reindex(
    feeds: list[Path],
    index_dir: Path,
    *,
    procs: int = 2,
    lock_timeout: float = 30.0,
    on_wait: Callable[[str], None] = lambda message: None,
    on_bad: Callable[[BadLine], None] = lambda bad: None,
    progress: Progress | None = None,
) -> ReindexReport:
    """Rebuild `index_dir` from `feeds`; return counts and the bad lines.

    The crawl state and the de-duplication store beside the index are brought in line with it.
    """
    feeds = feed_files(feeds)
    _make_index_dir(index_dir)
    with _crawl_lock(index_dir, lock_timeout, on_wait):
        report = ReindexReport()
        items = read_feeds(feeds, on_bad, report)
        if not items:
            raise NewsbotError(
                "no articles to index in the feeds; the index was left as it was",
                hint="check the feed files",
            )
        try:
            # Forgetting first is the safe order: if the rebuild then fails, the state only
            # lacks articles the old index still holds, and a crawl fetches those again.
            _forget_all_but(index_dir, set(items))
            _rebuild(items, index_dir, procs, progress)
            _remember(index_dir, items.values())
        except (OSError, sqlite3.Error) as error:
            raise _write_failed(error, index_dir) from None
    report.documents = len(items)
    return report


def _rebuild(
    items: dict[str, dict[str, Any]], index_dir: Path, procs: int, progress: Progress | None
) -> None:
    # Everything the failed attempt adds to the directory is removed again; the old index is
    # only ever read, and replaced by the commit's new table of contents.
    before = set(os.listdir(index_dir))
    global _writer_parent
    _writer_parent = os.getpid()
    try:
        ix, replacing = _open_for_rebuild(index_dir)
        _write(ix, replacing, items, procs, progress)
    except BaseException:
        _remove_new_files(index_dir, before)
        raise
    finally:
        _writer_parent = None


# Whoosh's worker processes are forked with every descriptor of the reindex, the crawl lock's
# and Whoosh's write lock's among them. A reindex killed with SIGKILL left its workers waiting
# for work forever, holding both locks, so that every later crawl ended with index_busy. So a
# worker forked while the writer runs asks the kernel to kill it when its parent dies.
_writer_parent: int | None = None  # the reindex process, while its writer runs


def _die_with_parent() -> None:
    if _writer_parent is not None:
        die_with_parent(_writer_parent)


os.register_at_fork(after_in_child=_die_with_parent)


def _write(
    ix: index.Index,
    replacing: bool,
    items: dict[str, dict[str, Any]],
    procs: int,
    progress: Progress | None,
) -> None:
    upgrading = replacing and not same_schema(ix.schema, SCHEMA)
    if upgrading:
        # An index from an older newsbot: its segments are replaced and its schema with them.
        # Worker processes would read the old schema from disk; one process writes the new one
        # in the commit that clears the old segments.
        procs = 1
    try:
        # With several processes each writes its own segment and we keep them as they are:
        # merging them into one would redo most of the work the extra process saved.
        writer = open_writer(
            ix, procs=procs, limitmb=writer_limit_mb(procs), multisegment=procs > 1
        )
    except index.LockError:
        raise NewsbotError(
            f"the index at {ix.storage.folder} is locked by another writer",
            hint="wait for the running crawl or reindex to finish",
        ) from None
    if upgrading:
        writer.schema = SCHEMA
    _publish_only_whole(writer, len(items))
    if progress is not None:
        progress.total = len(items)
    try:
        for item in items.values():
            writer.add_document(**item_to_document(item))
            if progress is not None:
                progress.advance()
        if progress is not None:
            progress.finish()
            # With several processes, adding only hands documents over; most work is here.
            progress.say("writing the index ...")
        writer.commit(mergetype=writing.CLEAR if replacing else None, optimize=True)
    except BaseException:
        # Cancelling a writer whose disk is full can fail in turn; the files it leaves are
        # removed by the caller, and the first error is the one to report.
        with contextlib.suppress(Exception):
            writer.cancel()
        # Cancelling only tells the multi-process writer's workers to stop in the parent's
        # copy of them; they must be gone before the caller removes the files they read.
        for task in getattr(writer, "tasks", ()):
            task.terminate()
            task.join(5)
        raise


class IncompleteRebuild(OSError):
    """The rebuilt index would have lacked documents: a worker process died (disk full?)."""


def _publish_only_whole(writer: writing.SegmentWriter, expected: int) -> None:
    """Make the writer refuse to write a table of contents that lacks documents.

    A worker process of Whoosh's multi-process writer that dies (of a full disk, say) simply
    leaves its segment out: the parent waits a second for it, then commits without it, which
    with CLEAR would replace the old index by a partial one. The table of contents is the
    single point where a commit becomes visible, so the count is checked there.
    """
    write_toc = writer._commit_toc

    def checked(segments: list[Any]) -> None:
        written = sum(segment.doc_count_all() for segment in segments)
        if written != expected:
            raise IncompleteRebuild(
                errno.EIO, f"only {written} of {expected} documents were written"
            )
        write_toc(segments)

    writer._commit_toc = checked


def _remove_new_files(index_dir: Path, before: set[str]) -> None:
    for name in set(os.listdir(index_dir)) - before:
        path = index_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _write_failed(error: OSError | sqlite3.Error, index_dir: Path) -> NewsbotError:
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        full = error.errno in (errno.ENOSPC, errno.EDQUOT)
    else:
        reason = str(error)
        full = "full" in reason
    return NewsbotError(
        f"could not rebuild the index at {index_dir}: {reason}; the old index is unchanged",
        hint="free some disk space and run the reindex again" if full else None,
    )


def crawl_state_path(index_dir: Path) -> Path | None:
    """Where crawls on `index_dir` keep their state (the crawl's own rule), or None if off."""
    from scrapy.settings import Settings

    from newsbot.spiders.section import state_path_from

    path = state_path_from(
        Settings(
            {
                "NEWSBOT_STATE_PATH": os.environ.get("NEWSBOT_STATE_PATH", ""),
                "NEWSBOT_INDEX_DIR": str(index_dir),
            }
        )
    )
    return Path(path) if path else None


def _forget_all_but(index_dir: Path, urls: set[str]) -> None:
    """Make the crawl state and the de-duplication store forget articles not in `urls`, so that
    neither claims an article the rebuilt index lacks: the crawl would never fetch it again."""
    state_path = crawl_state_path(index_dir)
    if state_path is not None and state_path.exists():
        state = CrawlState(state_path)
        try:
            state.retain(urls)
        finally:
            state.close()
    if (index_dir / STORE_FILE).exists():
        with DedupeStore(index_dir / STORE_FILE) as store:
            store.retain(urls)
            store.commit()


def _remember(index_dir: Path, items: Iterable[dict[str, Any]]) -> None:
    """Add the rebuilt index's articles that the de-duplication store lacks or knows with other
    content (a crawl re-syncs it only from documents it saw lately)."""
    with DedupeStore(index_dir / STORE_FILE) as store:
        for item in items:
            content_hash = item.get("content_hash")
            if content_hash and store.url_for_content(content_hash) != item["url"]:
                store.remember_item(item)
        store.commit()
