"""`newsbot crawl SECTION...`: crawl named sections into the archive, from any directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from newsbot.cli import add_index_argument
from newsbot.errors import UsageError

NAME = "crawl"
HELP = "crawl named sections (americas, europe, ...) into the archive, with a progress line"
EXAMPLE = "newsbot crawl americas --site http://127.0.0.1:8765 -o americas.jsonl"


def _setting(value: str) -> tuple[str, str]:
    name, equals, setting = value.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {value!r}")
    return name.strip(), setting


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sections", nargs="+", metavar="SECTION", help="named sections to crawl")
    parser.add_argument(
        "--site",
        metavar="URL",
        help="crawl this mirror or local copy instead of the live site (NEWSBOT_SITE)",
    )
    parser.add_argument(
        "--refetch", action="store_true", help="fetch every article again, changed or not"
    )
    add_output_arguments(parser)
    parser.add_argument(
        "--jobdir", type=Path, metavar="DIR", help="keep the crawl's queue in DIR to pause/resume"
    )
    add_index_argument(parser)
    parser.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        help="also backfill the section's past from the sitemap index, from this day on",
    )
    parser.add_argument(
        "--until", metavar="YYYY-MM-DD", help="with --since: the last day to backfill (today)"
    )
    add_run_arguments(parser)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """-o/-O: where the run's feed goes (shared with `newsbot index-worker`)."""
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="append this run's feed to FILE"
    )
    output.add_argument(
        "-O", "--overwrite-output", type=Path, metavar="FILE", help="write this run's feed to FILE"
    )


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """-s and -v, for every command that runs a Scrapy crawl."""
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        type=_setting,
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy or NEWSBOT_* setting for this run; repeatable",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show Scrapy's log instead of a progress line"
    )


def run(args: argparse.Namespace) -> int:
    from newsbot.crawl_runner import CrawlOptions, check_sections, run_crawls

    check_sections(args.sections)
    _check_range(args.since, args.until)
    if args.jobdir and len(args.sections) > 1:
        raise UsageError("--jobdir keeps one crawl's queue", hint="give a single SECTION")
    options = CrawlOptions(
        sections=args.sections,
        site=args.site,
        refetch=args.refetch,
        output=args.output or args.overwrite_output,
        overwrite=args.overwrite_output is not None,
        jobdir=args.jobdir,
        index=args.index,
        settings=dict(args.settings),
        verbose=args.verbose,
        since=args.since,
        until=args.until,
    )
    return run_crawls(options)


def _check_range(since: str | None, until: str | None) -> None:
    """The backfill range is checked here, so a typo costs one line and not a crawl start."""
    import datetime as dt

    from newsbot.spiders.backfill import BackfillRangeError, parse_range

    try:
        parse_range(since, until, dt.date.today())
    except BackfillRangeError as error:
        message = str(error).replace("-a since", "--since").replace("-a until", "--until")
        raise UsageError(message) from None
