"""Rebuild an index from crawl feeds (JSON Lines of items).

Decisions:
- One document per url; when a url appears more than once, the later line wins (feeds are read
  in the order given, lines in file order).
- A bad line (not JSON, not an object, missing a required field, unreadable date) is reported
  with its file and line number and skipped; the good lines are still indexed. The caller exits
  non-zero afterwards so scripts notice the feed needs attention.
- An existing index with the current schema is replaced in one commit that clears the old
  segments, so an interrupted reindex leaves the old index searchable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index, writing

from newsbot.errors import NewsbotError, UsageError
from newsbot.items import REQUIRED_FIELDS
from newsbot.search.schema import SCHEMA, item_to_document, open_writer, same_schema, utc_naive
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
                item = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                reason: str | None = "not UTF-8"
            except json.JSONDecodeError as error:
                reason = f"invalid JSON ({error.msg} at column {error.colno})"
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
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise NewsbotError(f"cannot create the index at {index_dir}: {error.strerror}") from None
    return index.create_in(str(index_dir), SCHEMA), False


def reindex(
    feeds: list[Path],
    index_dir: Path,
    *,
    procs: int = 2,
    on_bad: Callable[[BadLine], None] = lambda bad: None,
    progress: Progress | None = None,
) -> ReindexReport:
    """Rebuild `index_dir` from `feeds`; return counts and the bad lines."""
    missing = [str(p) for p in feeds if not p.is_file()]
    if missing:
        raise UsageError(f"no such feed: {missing[0]}", hint="give paths to .jsonl feed files")
    report = ReindexReport()
    items = read_feeds(feeds, on_bad, report)
    if not items:
        raise NewsbotError(
            "no articles to index in the feeds; the index was left as it was",
            hint="check the feed files",
        )
    ix, replacing = _open_for_rebuild(index_dir)
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
            f"the index at {index_dir} is locked by another writer",
            hint="wait for the running crawl or reindex to finish",
        ) from None
    if upgrading:
        writer.schema = SCHEMA
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
        writer.cancel()
        raise
    report.documents = len(items)
    return report
