"""Corrections to Whoosh, applied when newsbot.search is imported.

Opening an index copied every posting and term file whole into memory: Whoosh wraps each
memory-mapped part of a compound segment in a BytesIO, which copies it, though reading postings
only ever slices the map. BufferFile's stream is now a view of the map instead.
Opening 100,000 articles' index and running one search took 395 ms and 648 MB of memory, and
now takes 240 ms and 45 MB; the copy grew with the archive.

The rest are two corrections to Whoosh's matchers.

To find the top hits without scoring every match, Whoosh rewrites the query's matcher as the
page fills up, dropping parts that can no longer lift a document onto the page. Two bugs in
whoosh-reloaded 2.7.5 made that rewriting lose or under-score real hits:

- An OR one side of which cannot reach the page alone becomes "A and maybe B", where B only
  adds to A's score. Its skip_to moves B to the document asked for rather than to where A
  landed, so B's share of that document's score is lost: `headline:w0 w1` gave its best match
  11.3 instead of 15.5 and ranked it second.
- NOT is an inverse matcher that gives every document it passes a constant score, but reports
  the best score of the words it excludes as its own. Once those words run out it claims 0,
  and the rewriting drops the whole query: `summary:w3 NOT (w20 headline:w25)` stopped early.

On two indexes of 700 generated articles (one segment; three with deletions), the top ten of
968 random queries were compared with scoring every match: 62 were wrong, 80 with only the
second fix, 2 with only the first, none with both (1,924 queries). tests/test_search_paths.py
keeps checking. The pin on whoosh-reloaded is exact, so these stay in step with its code.
"""

from __future__ import annotations

from io import SEEK_CUR, SEEK_END, SEEK_SET, RawIOBase
from typing import Any

from whoosh.filedb import structfile
from whoosh.matching import ReadTooFar, binary, wrappers


def _and_maybe_skip_to(self: binary.AndMaybeMatcher, docnum: int) -> bool:
    a, b = self.a, self.b
    if not a.is_active():
        raise ReadTooFar
    moved = a.skip_to(docnum)
    if a.is_active() and b.is_active() and b.id() < a.id():
        moved = b.skip_to(a.id()) or moved
    return bool(moved)


def _inverse_quality(self: wrappers.InverseMatcher) -> float:
    return self._weight


class BufferStream(RawIOBase):
    """A read-only file over a buffer (a slice of a memory map), reading it without a copy."""

    def __init__(self, buf: Any) -> None:
        self._view = memoryview(buf).cast("B")
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        chunk = self._view[self._position : self._position + len(target)]
        target[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)

    def seek(self, offset: int, whence: int = SEEK_SET) -> int:
        base = {SEEK_SET: 0, SEEK_CUR: self._position, SEEK_END: len(self._view)}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position


def apply() -> None:
    # BufferFile is the only user of the BytesIO its module imports.
    structfile.BytesIO = BufferStream
    binary.AndMaybeMatcher.skip_to = _and_maybe_skip_to
    wrappers.InverseMatcher.max_quality = _inverse_quality
    wrappers.InverseMatcher.block_quality = _inverse_quality
