"""Export indexed articles as JSON Lines in the crawl feed's item shape, or as a CSV/TSV table
with one column per item field (lists joined by "; ", see newsbot.formats).

The order is fixed (published, then url) so that export → reindex → export gives identical
files, and a file is written under a temporary name and renamed into place, so an interrupted
export never leaves half a file where a whole one is expected.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from whoosh import query as wq
from whoosh import sorting
from whoosh.searching import Searcher

from newsbot import formats
from newsbot.errors import NewsbotError
from newsbot.search.query import Filters, parse_query
from newsbot.search.schema import document_to_item
from newsbot.search.searcher import filter_docs
from newsbot.terminal import json_line


def iter_items(searcher: Searcher, text: str | None, filters: Filters) -> Iterator[dict[str, Any]]:
    """Matching items (all of them when `text` is None), oldest first, ties broken by url."""
    q = parse_query(text) if text else wq.Every()
    order = sorting.MultiFacet([sorting.FieldFacet("published"), sorting.FieldFacet("url")])
    allowed = filter_docs(searcher, filters.to_query())
    if allowed is not None and not allowed:
        return  # Whoosh would read an empty allow-set as "no filter"
    results = searcher.search(q, filter=allowed, limit=None, sortedby=order)
    for position in range(len(results)):
        yield document_to_item(searcher.stored_fields(results.docnum(position)))


def _row_writer(stream: TextIO, fmt: str) -> Callable[[dict[str, Any]], None]:
    """A function that writes one item to `stream` in `fmt` (jsonl, csv or tsv)."""
    if fmt == "jsonl":
        return lambda item: stream.write(json_line(item) + "\n")
    # Imported here: the item contract loads Scrapy, which `newsbot export` need not.
    from newsbot.items import ARTICLE_FIELDS

    table = formats.writer(stream, ARTICLE_FIELDS, fmt)
    return lambda item: table.writerow(
        {name: formats.cell(item.get(name)) for name in ARTICLE_FIELDS}
    )


def write_items(items: Iterator[dict[str, Any]], output: Path | None, fmt: str = "jsonl") -> int:
    """Write items to `output` atomically, or to stdout when it is None; return the count."""
    if output is None:
        return _write_stdout(items, fmt)
    directory = output.resolve().parent
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=directory)
    except OSError as error:
        raise NewsbotError(
            f"cannot write {output}: {error.strerror}", hint="check that its directory exists"
        ) from None
    try:
        count = 0
        # newline="": csv writes its own line ends; JSON Lines writes "\n" itself.
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write = _row_writer(handle, fmt)
            for item in items:
                write(item)
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_name, 0o666 & ~umask)
        os.replace(temp_name, output)
    except OSError as error:
        # A full disk, most likely: the old file (if any) stays as it was, and no part file.
        Path(temp_name).unlink(missing_ok=True)
        kept = "the old file was left as it was" if output.exists() else "nothing was written"
        raise NewsbotError(f"cannot write {output}: {error.strerror}", hint=kept) from None
    except BaseException:
        # Includes KeyboardInterrupt: the old file (if any) stays as it was.
        Path(temp_name).unlink(missing_ok=True)
        raise
    return count


def _write_stdout(items: Iterator[dict[str, Any]], fmt: str) -> int:
    count = 0
    try:
        write = _row_writer(sys.stdout, fmt)
        for item in items:
            write(item)
            count += 1
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # the reader went away: the CLI ends quietly
    except OSError as error:
        # What is still buffered would fail again, noisily, when Python flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise NewsbotError(
            f"cannot write to standard output after {count} articles: {error.strerror}",
            hint="free some disk space, or export with -o FILE somewhere else",
        ) from None
    return count
