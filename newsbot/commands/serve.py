"""`newsbot serve`: browse the archive in a web browser, on this machine unless told otherwise."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from newsbot.cli import add_index_argument, resolve_index
from newsbot.errors import NewsbotError

NAME = "serve"
HELP = "browse the archive in a web browser: search, timeline, articles, revisions, fronts"
EXAMPLE = "newsbot serve --index index/ --port 8080"
PROJECT_DATA = Path(__file__).resolve().parent.parent.parent / "data"


def _port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_index_argument(parser)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for all)",
    )
    parser.add_argument(
        "--port", type=_port, default=8080, help="port to listen on (default 8080; 0 picks one)"
    )
    parser.add_argument(
        "--fronts",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="front snapshot file, or folder of *-fronts.jsonl files; repeatable "
        "(default: $NEWSBOT_FEED_DIR, else data/ in the project)",
    )


def default_fronts() -> list[Path]:
    """Where crawls write their front snapshots by default: beside the feeds."""
    feed_dir = os.environ.get("NEWSBOT_FEED_DIR")
    if feed_dir and feed_dir != "off":
        return [Path(feed_dir)]
    return [PROJECT_DATA]


def run(args: argparse.Namespace) -> int:
    # Imported here so that other commands start without the web stack.
    from werkzeug.serving import make_server, select_address_family

    from newsbot.web.app import ArchiveApp, is_loopback

    index_dir = resolve_index(args)
    fronts = args.fronts or default_fronts()
    loopback = is_loopback(args.host)
    app = ArchiveApp(index_dir, fronts, any_host=not loopback)
    # Bound here rather than by Werkzeug, which prints its own message and exits on failure.
    family = select_address_family(args.host, args.port)
    try:
        listening = socket.create_server((args.host, args.port), family=family)
    except OSError as error:
        raise NewsbotError(
            f"cannot listen on {args.host}:{args.port}: {error.strerror or error}",
            hint="pick another --port (0 picks a free one)",
        ) from None
    with listening:
        server = make_server(args.host, args.port, app, threaded=True, fd=listening.fileno())
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"newsbot serve: http://{host}:{server.port}/", flush=True)
    print(f"  index {index_dir}; fronts from {', '.join(str(p) for p in fronts)}", flush=True)
    if not loopback:
        print(
            f"  listening on {args.host}: anyone who can reach this machine can read the archive",
            file=sys.stderr,
            flush=True,
        )
    print("  press Ctrl-C to stop", flush=True)
    try:
        server.serve_forever()  # Werkzeug's returns on Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.pool.close()
    print("newsbot serve: stopped", flush=True)
    return 0
