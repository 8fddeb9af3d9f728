"""`newsbot search QUERY`: ranked full-text search with filters, snippets, facets and paging."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable
from contextlib import redirect_stdout
from typing import Any

from newsbot.cli import add_index_argument, resolve_index
from newsbot.formats import FORMATS, write_rows
from newsbot.pager import page
from newsbot.search.query import Filters, parse_day
from newsbot.search.searcher import SORTS, SearchHit, SearchResult, open_searcher, search
from newsbot.terminal import COLOR_MODES, Style, clean, json_line, wants_color

NAME = "search"
HELP = 'search the archive: words, "phrases", AND/OR/NOT and fields like byline:semple'
EXAMPLE = 'newsbot search "border wall" --section americas --since 2017-01-01 --sort newest'


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """Filters shared with `newsbot export`."""
    parser.add_argument(
        "--author",
        action="append",
        default=[],
        metavar="NAME",
        help="only articles by this author (full name, or one word of the byline); repeatable",
    )
    parser.add_argument(
        "--section",
        action="append",
        default=[],
        metavar="NAME",
        help="only this section or subsection, e.g. americas; repeatable",
    )
    parser.add_argument(
        "--since",
        metavar="DATE",
        help="published on or after this day (UTC); YYYY-MM-DD, or YYYY-MM / YYYY from its start",
    )
    parser.add_argument(
        "--until",
        metavar="DATE",
        help="published on or before this day (UTC); YYYY-MM / YYYY to its end",
    )


def filters_from_args(args: argparse.Namespace) -> Filters:
    return Filters(
        authors=tuple(args.author),
        sections=tuple(args.section),
        since=parse_day(args.since, "--since") if args.since else None,
        until=parse_day(args.until, "--until", end=True) if args.until else None,
    )


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _words_may_start_with_minus(parser: argparse.ArgumentParser) -> None:
    """Let `-word` (NOT word) be part of the query, even as its first word.

    argparse reads any unknown `-x` as an option and fails; a query word is never an option
    unless the parser knows it, so only known option strings stay options.
    """
    parse_optional = parser._parse_optional

    def parse(arg_string: str) -> Any:
        if (
            arg_string.startswith("-")
            and not arg_string.startswith("--")
            and len(arg_string) > 1
            and arg_string.split("=", 1)[0] not in parser._option_string_actions
        ):
            return None  # a positional: a word of the query
        return parse_optional(arg_string)

    parser._parse_optional = parse  # type: ignore[method-assign]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _words_may_start_with_minus(parser)
    parser.add_argument("query", nargs="+", metavar="QUERY", help="what to search for")
    add_index_argument(parser)
    add_filter_arguments(parser)
    parser.add_argument("--sort", choices=SORTS, default="relevance", help="order of hits")
    parser.add_argument(
        "--limit", type=_positive, default=10, metavar="N", help="hits per page (default 10)"
    )
    parser.add_argument(
        "--page", type=_positive, default=1, metavar="N", help="page to show (default 1)"
    )
    parser.add_argument(
        "--facets", action="store_true", help="also count matches by section, author and month"
    )
    add_output_arguments(parser)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """--format, --json and --color, shared with `newsbot export`."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="jsonl: JSON Lines; csv or tsv: a table, lists joined by '; '",
    )
    parser.add_argument("--json", action="store_true", help="the same as --format jsonl")
    parser.add_argument(
        "--color",
        choices=COLOR_MODES,
        default="auto",
        help="colour: auto (on a terminal, unless NO_COLOR), always or never",
    )


def _print_hit(number: int, hit: SearchHit, style: Style) -> None:
    details = [(hit.published or "")[:10]]
    if hit.section:
        details.append(clean(hit.section))
    if hit.authors:
        details.append(clean(", ".join(hit.authors)))
    if hit.matched_fields:
        details.append("in " + ", ".join(hit.matched_fields))
    if hit.score is not None:
        details.append(f"score {hit.score:.2f}")
    print(f"{number:>3}. {style.bold(clean(hit.headline))}")
    print(f"     {' · '.join(d for d in details if d)}")
    print(f"     {style.dim(clean(hit.url))}")
    if hit.snippet:
        print(f"     {style.highlighted(hit.snippet)}")
    print()


def _print_human(query: str, result: SearchResult, offset: int, style: Style) -> None:
    shown = clean(query)
    if result.suggestion:
        print(f"Did you mean: {style.bold(clean(result.suggestion))}?")
    if not result.total:
        print(f'No articles match "{shown}"{_why_nothing(result)}.')
    elif not result.hits:
        print(
            f'{result.total} articles match "{shown}"; page {result.page} is past the last '
            f"page ({result.pages})."
        )
    else:
        plural = "article matches" if result.total == 1 else "articles match"
        print(f'{result.total} {plural} "{shown}" (page {result.page} of {result.pages})\n')
        for number, hit in enumerate(result.hits, start=offset + 1):
            _print_hit(number, hit, style)
    for name, counts in result.facets.items():
        values = ", ".join(f"{clean(key)} {count}" for key, count in counts.items())
        print(f"{name + ':':<12}{values or '-'}")


def _why_nothing(result: SearchResult) -> str:
    if not result.unfiltered_total:
        return ""
    found = result.unfiltered_total
    plural = "article matches" if found == 1 else "articles match"
    filters = " and ".join(clean(label) for label in result.blocking_filters)
    them = "it" if len(result.blocking_filters) == 1 else "them"
    return f" with {filters}; without {them}, {found} {plural}"


def run(args: argparse.Namespace) -> int:
    text = " ".join(args.query)
    filters = filters_from_args(args)
    with open_searcher(resolve_index(args)) as searcher:
        result = search(
            searcher,
            text,
            filters,
            sort=args.sort,
            limit=args.limit,
            page=args.page,
            facets=args.facets,
        )
    fmt = "jsonl" if args.json else args.format
    if fmt in ("csv", "tsv"):
        records = [{"rank": rank, **hit.as_json()} for rank, hit in _ranked(args, result)]
        write_rows(sys.stdout, records, HIT_COLUMNS, fmt)
        if result.suggestion:
            print(f"Did you mean: {clean(result.suggestion)}?", file=sys.stderr)
    elif fmt == "jsonl":
        for hit in result.hits:
            print(json_line(hit.as_json()))
        if result.facets:
            print(json_line({"facets": result.facets}))
        if result.suggestion:
            print(f"Did you mean: {clean(result.suggestion)}?", file=sys.stderr)
        if result.unfiltered_total:
            print(f'No articles match "{clean(text)}"{_why_nothing(result)}.', file=sys.stderr)
    else:
        # Long result lists go through a pager on a terminal, as git's do.
        style = Style(wants_color(sys.stdout, args.color))
        shown = io.StringIO()
        with redirect_stdout(shown):
            _print_human(text, result, (args.page - 1) * args.limit, style)
        page(shown.getvalue())
    return 0


# The columns of `--format csv`/`tsv`, in the order a spreadsheet shows them.
HIT_COLUMNS = ("rank", "url", "headline", "published", "authors", "section", "score",
               "matched_fields", "snippet")  # fmt: skip


def _ranked(args: argparse.Namespace, result: SearchResult) -> Iterable[tuple[int, SearchHit]]:
    return enumerate(result.hits, start=(args.page - 1) * args.limit + 1)
