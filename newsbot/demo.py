"""Crawl the bundled sample site into the archive, then show what a user gets: a crawl summary,
stats, a search and one article.

Run as `python3 dev.py demo` (or `python -m newsbot.demo`). The sample site is served on
127.0.0.1 by `newsbot.devserver`; `newsbot crawl --site` points the crawl at it, so nothing
leaves the machine. Run it twice: the second crawl is incremental and fetches no article again,
while the archive (the index) keeps every article.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from newsbot.cli import main as newsbot_main
from newsbot.devserver import SampleSiteServer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_QUERY = "drought"


def newsbot(*args: str) -> int:
    """Run a newsbot command in this process, echoing it the way a person would type it."""
    print(f"\n$ newsbot {' '.join(args)}", flush=True)
    return newsbot_main(list(args))


def crawl(site_url: str, index_dir: Path) -> int:
    # A child process: Scrapy's reactor can run only once per process, and the demo may be
    # imported by tests that crawl too.
    print(f"$ newsbot crawl americas --site {site_url}", flush=True)
    command = [sys.executable, "-m", "newsbot", "crawl", "americas", "--site", site_url]
    command += ["--index", str(index_dir)]
    return subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}).returncode


def top_hit(query: str, index_dir: Path) -> str | None:
    from newsbot.search.query import Filters
    from newsbot.search.searcher import open_searcher, search

    with open_searcher(index_dir) as searcher:
        result = search(searcher, query, Filters(), limit=1)
    return result.hits[0].url if result.hits else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index", help="index to build")
    parser.add_argument("--query", default=SAMPLE_QUERY, help="the sample search to run")
    args = parser.parse_args(argv)

    with SampleSiteServer() as server:
        print(f"serving the sample site on {server.url}", flush=True)
        status = crawl(server.url, args.index)
    if status != 0:
        print(f"demo: the crawl failed with exit status {status}", file=sys.stderr)
        return status
    index = ["--index", str(args.index)]
    newsbot("stats", *index)
    status = newsbot("search", args.query, *index, "--limit", "3")
    url = top_hit(args.query, args.index)
    if url:
        print(f"\n$ newsbot show {url} | head -12", flush=True)
        from newsbot.commands.show import render, stored_item

        item = stored_item(url, argparse.Namespace(index=args.index))
        print("\n".join(render(item, 88).splitlines()[:12]))
    print(
        f"\nThe archive is in {args.index}. `newsbot export` writes all of it as JSON Lines;"
        " run the demo again for an incremental crawl.",
        flush=True,
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
