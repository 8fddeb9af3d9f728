"""Front snapshots: what a section front showed at each crawl, read back from `*-fronts.jsonl`.

The crawl's FrontSnapshots extension appends one line per story card per crawl (`crawled_at`,
`spider`, `front_url`, `rank`, `url`, `headline`, `summary`, `block`). Here the lines are grouped
into crawls of one front, so a reader can ask for the crawl nearest to a moment and step from
crawl to crawl. Files are re-read only when they change, so a server can keep them loaded.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.searching import Searcher

SUFFIX = "-fronts.jsonl"


@dataclass(frozen=True)
class FrontCrawl:
    """One crawl of one front: its cards in rank order, each with `rank` (int or None), `url`,
    `headline`, `summary` and `block` (strings, empty when missing or damaged)."""

    front_url: str
    crawled_at: dt.datetime  # aware, UTC
    entries: tuple[dict[str, Any], ...]


@dataclass
class FrontArchive:
    """Every crawl of every front found in the snapshot files, oldest first per front."""

    crawls: dict[str, list[FrontCrawl]] = field(default_factory=dict)
    damaged_lines: int = 0

    @property
    def fronts(self) -> list[str]:
        """Front URLs, the most often crawled first."""
        return sorted(self.crawls, key=lambda url: (-len(self.crawls[url]), url))

    def nearest(self, front_url: str, when: dt.datetime) -> int | None:
        """Position of the crawl of `front_url` closest in time to `when` (aware), or None."""
        crawls = self.crawls.get(front_url)
        if not crawls:
            return None
        times = [crawl.crawled_at for crawl in crawls]
        after = bisect.bisect_left(times, when)
        if after == 0:
            return 0
        if after == len(times):
            return len(times) - 1
        # A tie goes to the earlier crawl: that is what the front showed until the next one.
        return after if times[after] - when < when - times[after - 1] else after - 1


def parse_instant(text: str) -> dt.datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime; naive input is taken as UTC."""
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _snapshot_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            # Also in subfolders: the demo writes data/demo/, crawls data/feeds/.
            files.extend(sorted(path.rglob(f"*{SUFFIX}")))
        elif path.is_file():
            files.append(path)
    return files


def read_archive(files: list[Path]) -> FrontArchive:
    """Group the lines of the snapshot files into crawls; undecodable lines are counted."""
    cards: dict[tuple[str, dt.datetime], list[dict[str, Any]]] = defaultdict(list)
    archive = FrontArchive()
    for path in files:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    card = json.loads(line)
                    front_url = str(card["front_url"])
                    when = parse_instant(str(card["crawled_at"]))
                except (ValueError, KeyError, TypeError):
                    archive.damaged_lines += 1
                    continue
                if when is None or not isinstance(card, dict):
                    archive.damaged_lines += 1
                    continue
                cards[front_url, when].append(_card(card))
    for (front_url, when), entries in sorted(cards.items(), key=lambda kv: kv[0][1]):
        ranked = sorted(entries, key=lambda card: _rank(card.get("rank")))
        archive.crawls.setdefault(front_url, []).append(FrontCrawl(front_url, when, tuple(ranked)))
    return archive


def _rank(value: Any) -> int:
    return value if isinstance(value, int) else 1 << 30


def _card(line: dict[str, Any]) -> dict[str, Any]:
    """A story card with each field of its expected type: a damaged value becomes empty."""
    rank = line.get("rank")
    card: dict[str, Any] = {
        "rank": rank if isinstance(rank, int) and not isinstance(rank, bool) else None
    }
    for name in ("url", "headline", "summary", "block"):
        value = line.get(name)
        card[name] = value if isinstance(value, str) else ""
    return card


class FrontSnapshotFiles:
    """The snapshot files under some paths (files, or folders holding `*-fronts.jsonl` at any
    depth),
    re-read when any of them is added, removed, grown or rewritten."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._archive = FrontArchive()

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        signature = []
        for path in _snapshot_files(self.paths):
            try:
                stat = path.stat()
            except OSError:
                continue
            signature.append((str(path), stat.st_size, stat.st_mtime_ns))
        return tuple(signature)

    def archive(self) -> FrontArchive:
        signature = self._current_signature()
        if signature != self._signature:
            self._archive = read_archive([Path(name) for name, _, _ in signature])
            self._signature = signature
        return self._archive


def archived_urls(searcher: Searcher, urls: list[str]) -> set[str]:
    """Those of `urls` that the index holds, as an article's URL or as one of its alternates."""
    found = set()
    for url in dict.fromkeys(urls):
        stored = searcher.document_number(url=url)
        if stored is None:
            stored = searcher.document_number(alternates=url)
        if stored is not None:
            found.add(url)
    return found
