"""`newsbot extract`: run the article parser over saved pages and print one JSON line per page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newsbot.errors import UsageError
from newsbot.terminal import json_line

NAME = "extract"
HELP = "extract articles from saved HTML pages, one JSON line per page (in input order)"
EXAMPLE = "newsbot extract page.html --url https://www.nytimes.com/2021/03/31/world/x.html"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="saved HTML pages")
    parser.add_argument(
        "--url", default=None, help="the URL the page was fetched from (single page only)"
    )


def run(args: argparse.Namespace) -> int:
    if args.url and len(args.paths) > 1:
        raise UsageError("--url applies to one page", hint="give a single PATH with --url")
    failed = False
    for path in args.paths:
        line = _extract(path, args.url)
        failed = failed or "error" in line
        sys.stdout.write(json_line(line) + "\n")
    sys.stdout.flush()
    return 1 if failed else 0


def _extract(path: Path, url: str | None) -> dict[str, object]:
    """The item as a dict, or `{"source", "error"}` when the page cannot be used."""
    # Imported here, not above: the parsers load Scrapy, ~0.2 s that every other newsbot
    # command would pay at start-up.
    from newsbot.parsers import ParseError, parse_article

    try:
        page = path.read_bytes()
    except OSError as error:
        return {"source": str(path), "error": f"cannot read: {error.strerror or error}"}
    try:
        return dict(parse_article(page, url))
    except ParseError as error:
        return {"source": str(path), "error": f"{type(error).__name__}: {error}"}
