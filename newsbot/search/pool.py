"""Searchers kept open across requests, for a long-running reader such as `newsbot serve`.

Opening a searcher reads the index's table of contents and every segment's term and column
headers; doing that per request would cost more than most searches. A Whoosh searcher is not
safe to share between threads, so each request borrows one of its own, and a borrowed searcher
is brought up to date first if a crawl has committed since it was opened.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index
from whoosh.searching import Searcher

from newsbot.errors import NewsbotError
from newsbot.search.searcher import open_searcher


class SearcherPool:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        # Fails now, with open_searcher's message, if there is no usable index.
        with open_searcher(index_dir):
            pass
        self._index = index.open_dir(str(index_dir))
        self._idle: list[Searcher] = []
        self._lock = threading.Lock()

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        with self._lock:
            searcher = self._idle.pop() if self._idle else None
        try:
            if searcher is None:
                searcher = self._index.searcher()
            elif not searcher.up_to_date():
                searcher = searcher.refresh()
        except (OSError, index.IndexError) as error:
            raise NewsbotError(
                f"cannot read the index at {self.index_dir}: {error}",
                hint="is a reindex running? try again in a moment",
            ) from None
        try:
            yield searcher
        finally:
            with self._lock:
                self._idle.append(searcher)

    def close(self) -> None:
        with self._lock:
            for searcher in self._idle:
                searcher.close()
            self._idle.clear()
