"""What the index stores, read item by item, for the crawl's own stores (`newsbot.state`).

The de-duplication store repairs itself from the index (after a kill, and when its MinHash
scheme changes), but only this package imports Whoosh: it reads the index through here.

    with indexed_items(index_dir) as items:  # None when there is no index there
        if items is not None:
            for item in items.every(): ...
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.query import DateRange
from whoosh.searching import Searcher

from newsbot.search.schema import document_to_item


class IndexedItems:
    """The stored items of one index, as of when it was opened."""

    def __init__(self, searcher: Searcher) -> None:
        self._searcher = searcher

    def every(self) -> Iterator[dict[str, Any]]:
        """Every stored item, in index order."""
        for fields in self._searcher.all_stored_fields():
            yield document_to_item(fields)

    def seen_since(self, since: dt.datetime) -> Iterator[dict[str, Any]]:
        """The items last seen at or after `since` (an aware datetime)."""
        naive = since.astimezone(dt.UTC).replace(tzinfo=None)
        for hit in self._searcher.search(DateRange("last_seen", naive, None), limit=None):
            yield document_to_item(hit.fields())

    def has(self, url: str) -> bool:
        """Whether a document is stored under `url` (its canonical URL)."""
        return self._searcher.document(url=url) is not None


@contextlib.contextmanager
def indexed_items(index_dir: Path) -> Iterator[IndexedItems | None]:
    """The items of the index in `index_dir`, or None when there is no index there."""
    if not index.exists_in(str(index_dir)):
        yield None
        return
    with index.open_dir(str(index_dir)).searcher() as searcher:
        yield IndexedItems(searcher)
