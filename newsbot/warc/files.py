"""Where newsbot keeps its WARC files, and which of them are finished.

Imported by commands before Scrapy loads, so it imports nothing heavy.
"""

from __future__ import annotations

from pathlib import Path

# The suffix of a WARC file still being written; a file left with it was abandoned by a crawl
# that did not stop cleanly, and the next crawl finishes it.
OPEN_SUFFIX = ".open"


def default_warc_dir(index_dir: Path) -> Path:
    """`warc/` beside the index directory: the captures belong to the archive they were indexed
    into, so `newsbot reextract --index DIR` finds them without being told."""
    return Path(index_dir).resolve().parent / "warc"


def warc_files(directory: Path) -> list[Path]:
    """newsbot's finished WARC files in `directory`, oldest first (names start with the time)."""
    return sorted(
        path
        for pattern in ("*.warc.gz", "*.warc")
        for path in directory.glob(pattern)
        if path.is_file()
    )
