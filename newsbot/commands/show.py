"""`newsbot show URL`: one archived article, wrapped to the terminal, through a pager if long."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from typing import Any

from newsbot.cli import add_index_argument, add_url_argument, resolve_index
from newsbot.errors import NewsbotError
from newsbot.pager import page
from newsbot.search.history import find
from newsbot.search.searcher import open_searcher
from newsbot.terminal import clean, json_line

NAME = "show"
HELP = "print one archived article: headline, byline, dates, body and captions"
EXAMPLE = "newsbot show https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html"

# Lines longer than this are hard to read, however wide the terminal is.
_MOST_COLUMNS = 88


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_url_argument(parser)
    add_index_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the stored item as one line")


def stored_item(url: str, args: argparse.Namespace) -> dict[str, Any]:
    wanted = url  # already canonical: see cli.article_url
    index_dir = resolve_index(args)
    with open_searcher(index_dir, allow_empty=True) as searcher:
        found = find(searcher, wanted)
    if found is None:
        raise NewsbotError(
            f"no article with URL {clean(wanted)} in {index_dir}",
            hint="`newsbot search` shows the URLs the index holds",
        )
    return found[1]


def render(item: dict[str, Any], width: int) -> str:
    def wrap(text: str | None, indent: str = "") -> list[str]:
        return textwrap.wrap(clean(text), width, initial_indent=indent, subsequent_indent=indent)

    lines = wrap(item.get("headline"))
    lines.append("=" * min(width, max((len(line) for line in lines), default=0)))
    if item.get("summary"):
        lines += [*wrap(item["summary"]), ""]
    facts = [
        clean(item.get("byline")),
        " › ".join(clean(part) for part in (item.get("section"), item.get("subsection")) if part),
        f"published {clean(item.get('published'))}",
    ]
    if item.get("modified"):
        facts.append(f"updated {clean(item['modified'])}")
    lines += [fact for fact in facts if fact]
    lines += [clean(item.get("url")), ""]
    for paragraph in (item.get("body") or "").split("\n\n"):
        if paragraph.strip():
            lines += [*wrap(paragraph), ""]
    captions = item.get("captions") or []
    if captions:
        lines.append("Photos")
    for caption in captions:
        credit = f" ({clean(caption.get('credit'))})" if caption.get("credit") else ""
        lines += wrap(f"{caption.get('text') or ''}{credit}".strip(), indent="  ")
    return "\n".join(lines).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    item = stored_item(args.url, args)
    if args.json:
        print(json_line(item))
        return 0
    width = min(shutil.get_terminal_size().columns, _MOST_COLUMNS)
    page(render(item, width))
    return 0
