"""`newsbot extract`: run the article parser over saved pages and print one JSON line per page."""

from __future__ import annotations

import argparse
import gzip
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

from newsbot.errors import UsageError
from newsbot.terminal import json_line

NAME = "extract"
HELP = "extract articles from saved HTML pages or folders of them, one JSON line per page"
EXAMPLE = "newsbot extract page.html --url https://www.nytimes.com/2021/03/31/world/x.html"

# What a folder is searched for; a file named on the command line is read whatever its name.
PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
# A saved page is a few MB at most; more than this from a .gz is a bomb, not a page.
MAX_UNPACKED = 64 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="saved HTML pages (.html or .html.gz), or folders to search for them",
    )
    parser.add_argument(
        "--url", default=None, help="the URL the page was fetched from (single page only)"
    )


def pages(paths: list[Path]) -> Iterator[Path]:
    """Each file as given, and each page below each folder, in name order."""
    for path in paths:
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file() and _is_page_name(p))
            yield from sorted(found)
        else:
            yield path


def _is_page_name(path: Path) -> bool:
    return path.name.lower().endswith(PAGE_SUFFIXES)


def run(args: argparse.Namespace) -> int:
    if args.url and (len(args.paths) > 1 or args.paths[0].is_dir()):
        raise UsageError("--url applies to one page", hint="give a single page with --url")
    failed = False
    seen_any = False
    for path in pages(args.paths):
        seen_any = True
        line = _extract(path, args.url)
        failed = failed or "error" in line
        sys.stdout.write(json_line(line) + "\n")
    sys.stdout.flush()
    if not seen_any:
        raise UsageError(
            "no pages found in " + ", ".join(str(p) for p in args.paths),
            hint="a folder is searched for " + ", ".join(PAGE_SUFFIXES),
        )
    return 1 if failed else 0


def read_page(path: Path) -> bytes:
    """The page's bytes, unpacked if gzipped; ValueError says why a file is not a page."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            data = unpacker.decompress(data, MAX_UNPACKED)
        except (zlib.error, gzip.BadGzipFile, EOFError) as error:
            raise ValueError(f"damaged gzip file: {error}") from error
        if unpacker.unconsumed_tail:
            raise ValueError(f"unpacks to more than {MAX_UNPACKED // 2**20} MiB")
        if not data and not unpacker.eof:
            # A truncated .gz that still gave text is parsed for what it holds, as a browser would.
            raise ValueError("damaged gzip file: no data before it ends")
    if data.startswith(b"%PDF"):
        raise ValueError("a PDF, not an HTML page")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("a binary file, not an HTML page")
    return data


def _extract(path: Path, url: str | None) -> dict[str, object]:
    """The item as the crawl would store it, or `{"source", "error"}` when the page is no use."""
    # Imported here, not above: the parsers load Scrapy, ~0.2 s that every other newsbot
    # command would pay at start-up.
    from newsbot.parsers import ParseError, parse_article
    from newsbot.pipelines.clean import CleanPipeline

    try:
        page = read_page(path)
    except OSError as error:
        return {"source": str(path), "error": f"cannot read: {error.strerror or error}"}
    except ValueError as error:
        return {"source": str(path), "error": str(error)}
    try:
        item = parse_article(page, url)
    except ParseError as error:
        return {"source": str(path), "error": f"{type(error).__name__}: {error}"}
    # The clean pipeline gives the crawl's text, word_count and content_hash.
    return dict(CleanPipeline().process_item(item))
