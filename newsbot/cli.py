"""The `newsbot` command line: argv in, exit code out. Commands live in `newsbot.commands`."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from newsbot import __version__, commands, home
from newsbot.errors import NewsbotError
from newsbot.text import strip_controls
from newsbot.urls import canonical_article_url, strip_tracking

INDEX_ENV = home.INDEX_ENV


def default_index_dir() -> Path:
    """The index `scrapy crawl` writes by default: `$NEWSBOT_INDEX_DIR`, else `<home>/index`."""
    return home.index_dir()


def _command_modules() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    return [importlib.import_module(f"{commands.__name__}.{name}") for name in names]


class OneLineErrors(argparse.ArgumentParser):
    """argparse, but a mistake costs one line on stderr, not the whole usage block."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes what was typed; an escape sequence there must not reach the terminal.
        message = strip_controls(message)
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def add_url_argument(parser: argparse.ArgumentParser) -> None:
    """The article URL argument of `newsbot show` and `newsbot history`."""
    parser.add_argument(
        "url",
        type=article_url,
        metavar="URL",
        help="article URL (canonical, AMP or with tracking)",
    )


def article_url(text: str) -> str:
    """An article URL argument as the index keys it (tracking stripped, canonical host)."""
    try:
        return canonical_article_url(strip_tracking(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a URL: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(
        prog="newsbot",
        description="Search and export a newsbot archive, and extract articles from saved pages.",
        epilog="Run 'newsbot COMMAND --help' for a command's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        sub = subparsers.add_parser(
            module.NAME,
            help=module.HELP,
            description=module.HELP,
            epilog=f"example:\n  {module.EXAMPLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def add_index_argument(parser: argparse.ArgumentParser) -> None:
    """The `--index DIR` option every index-reading command shares."""
    parser.add_argument(
        "--index",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"index directory (default: ${INDEX_ENV}, else index/ in the data home)",
    )


def resolve_index(args: argparse.Namespace) -> Path:
    return args.index if args.index is not None else default_index_dir()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except NewsbotError as error:
        hint = f" ({error.hint})" if error.hint else ""
        print(f"newsbot {args.command}: error: {error}{hint}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # `newsbot export | head` closes stdout early; that is the reader's choice, not a failure.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"newsbot {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
