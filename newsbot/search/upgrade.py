"""Rebuild, in place, an index written with an older schema, from the documents it stores.

Every document stores its whole item and its revision history, so nothing needs the feeds: the
stored fields are read back and indexed again with the current schema (accent folding, name
keys, facet fields), and one commit replaces the old segments. Until that commit the old index
stays as it was, so an interrupted upgrade loses nothing and simply runs again next time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh import index, writing

from newsbot.search.schema import SCHEMA, document_to_item, item_to_document, open_writer
from newsbot.search.writer import CrawlLock, IndexBusy
from newsbot.terminal import Progress

# Stored fields that are not derived from the item: the revision bookkeeping the crawl keeps.
_CARRIED = ("history", "revisions", "first_seen", "last_seen")


def _rebuilt(stored: dict[str, Any]) -> dict[str, Any]:
    document = item_to_document(document_to_item(stored))
    document.update({name: stored[name] for name in _CARRIED if stored.get(name) is not None})
    return document


def upgrade_in_place(index_dir: Path, progress: Progress | None = None) -> int | None:
    """Re-index every stored document of `index_dir` with SCHEMA; return how many, or None if a
    crawl or reindex holds the index (the caller goes on with the old index)."""
    lock = CrawlLock(index_dir, timeout=0)
    try:
        lock.acquire()
    except IndexBusy:
        return None
    try:
        ix = index.open_dir(str(index_dir))
        try:
            writer = open_writer(ix)
        except index.LockError:
            return None
        writer.schema = SCHEMA
        try:
            with ix.searcher() as searcher:
                if progress is not None:
                    progress.total = max(searcher.doc_count(), 1)
                count = 0
                for stored in searcher.reader().all_stored_fields():
                    writer.add_document(**_rebuilt(stored))
                    count += 1
                    if progress is not None:
                        progress.advance()
                writer.commit(mergetype=writing.CLEAR, optimize=True)
        except BaseException:
            writer.cancel()
            raise
        if progress is not None:
            progress.finish()
        return count
    finally:
        lock.release()
