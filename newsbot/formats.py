"""Tables out of records, for `--format csv` and `--format tsv`: one row per record, lists and
mappings flattened the way spreadsheets and `csv` readers expect."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from newsbot.text import strip_controls

FORMATS = ("jsonl", "csv", "tsv")
# Within one cell: authors "Ana Silva; Luis Gómez", captions "text (credit); text (credit)".
LIST_SEPARATOR = "; "


def cell(value: Any) -> str:
    """One value as the text of one cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        if "text" in value or "credit" in value:  # a caption
            text, credit = value.get("text") or "", value.get("credit") or ""
            return f"{text} ({credit})" if text and credit else text or credit
        return LIST_SEPARATOR.join(f"{key}={cell(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(cell(item) for item in value)
    # Crawled text never reaches a terminal or a spreadsheet with its control characters.
    return strip_controls(str(value), keep_newlines=True)


def writer(stream: TextIO, fields: Sequence[str], fmt: str) -> Any:
    """A csv.DictWriter for `fmt` ("csv" or "tsv"), its header already written."""
    if fmt == "tsv":
        # Tabs and newlines inside a value would break a TSV row; csv quoting keeps them safe.
        table = csv.DictWriter(stream, fields, dialect="excel-tab", extrasaction="ignore")
    else:
        table = csv.DictWriter(stream, fields, extrasaction="ignore")
    table.writeheader()
    return table


def write_rows(
    stream: TextIO, records: Iterable[Mapping[str, Any]], fields: Sequence[str], fmt: str
) -> int:
    table = writer(stream, fields, fmt)
    count = 0
    for record in records:
        table.writerow({name: cell(record.get(name)) for name in fields})
        count += 1
    return count
