"""`newsbot index-worker`: the one process that writes a fleet's index (see docs/fleet.md)."""

from __future__ import annotations

import argparse

from newsbot.cli import add_index_argument
from newsbot.commands.crawl import add_output_arguments, add_run_arguments

NAME = "index-worker"
HELP = "write a fleet's items into the index: dedupe, revisions, index, feed and crawl state"
EXAMPLE = "newsbot index-worker --redis redis://127.0.0.1:6379/0 --exit-when-done"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_index_argument(parser)
    parser.add_argument(
        "--redis", metavar="URL", help="the fleet's Redis (default: $NEWSBOT_REDIS_URL)"
    )
    parser.add_argument(
        "--exit-when-done",
        action="store_true",
        help="exit once the run's workers are done and the item queue is empty",
    )
    add_output_arguments(parser)
    add_run_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from newsbot.crawl_runner import IndexWorkerOptions, run_index_worker

    return run_index_worker(
        IndexWorkerOptions(
            redis_url=args.redis,
            exit_when_done=args.exit_when_done,
            index=args.index,
            output=args.output or args.overwrite_output,
            overwrite=args.overwrite_output is not None,
            settings=dict(args.settings),
            verbose=args.verbose,
        )
    )
