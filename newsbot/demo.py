"""Crawl the bundled sample site into index/, then show what a user gets: stats and a search.

Run as `python3 dev.py demo` (or `python -m newsbot.demo`). The sample site is served on
127.0.0.1 by `newsbot.devserver`; NEWSBOT_SITE points the crawl at it, so nothing leaves
the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from newsbot.cli import main as newsbot_main
from newsbot.devserver import SampleSiteServer, local_crawl_command

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_QUERY = "drought"


def crawl(site_url: str, index_dir: Path, feed: Path) -> int:
    command = local_crawl_command(site_url, index_dir, feed, "-s", "LOG_LEVEL=WARNING")
    print(f"$ scrapy crawl americas -s NEWSBOT_SITE={site_url} -O {feed}", flush=True)
    return subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index", help="index to build")
    parser.add_argument("--feed", type=Path, default=ROOT / "data" / "demo" / "americas.jsonl")
    parser.add_argument("--query", default=SAMPLE_QUERY, help="the sample search to run")
    args = parser.parse_args(argv)
    args.feed.parent.mkdir(parents=True, exist_ok=True)

    with SampleSiteServer() as server:
        print(f"serving the sample site on {server.url}", flush=True)
        status = crawl(server.url, args.index, args.feed)
    if status != 0:
        print(f"demo: the crawl failed with exit status {status}", file=sys.stderr)
        return status
    with args.feed.open(encoding="utf-8") as feed:
        articles = sum(1 for line in feed if line.strip())
    print(f"\nfeed: {articles} articles in {args.feed}\n", flush=True)
    print("$ newsbot stats", flush=True)
    newsbot_main(["stats", "--index", str(args.index)])
    print(f"\n$ newsbot search {args.query!r} --limit 3", flush=True)
    return newsbot_main(["search", args.query, "--index", str(args.index), "--limit", "3"])


if __name__ == "__main__":
    sys.exit(main())
