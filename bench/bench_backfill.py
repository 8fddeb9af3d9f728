"""Peak memory and front latency of a crawl with a 100k-URL backlog, lazy against eager feeding.

    .venv/bin/python bench/bench_backfill.py                 # 30 s per run
    .venv/bin/python bench/bench_backfill.py --seconds 60 --urls 100000

Each row is one `scrapy crawl americas` subprocess against a generated local site
(`newsbot.devserver.GeneratedArchive`), stopped by CLOSESPIDER_TIMEOUT, with its peak RSS taken
from the kernel (`wait4`). The site's front shows 22 good articles.

- `news sitemap`: issue #12 item 9, a news sitemap of `--urls` in-section URLs that answer 404
  (every 50th after a second).
- `backfill`: `-a since=…` over a sitemap index of 20 months with `--urls / 20` section articles
  each (every one a real page), i.e. a backlog of `--urls` URLs.

`batch` is NEWSBOT_BACKFILL_BATCH. The default (32) feeds the backlog lazily; a batch larger than
the backlog hands Scrapy every request at once, which is how the spider behaved before the
backlog existed, so it is the reference in the same run. Prints one table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsbot.devserver import GeneratedArchive, SampleSiteServer, local_crawl_command

REPO = Path(__file__).resolve().parent.parent


def months(count: int) -> list[str]:
    return [f"{2018 + n // 12}-{1 + n % 12:02d}" for n in range(count)]


def run(
    archive: GeneratedArchive, seconds: int, batch: int, *extra: str
) -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "root").mkdir()
        with SampleSiteServer(root=tmp / "root") as server:
            server.add_route(archive)
            command = local_crawl_command(
                server.url,
                tmp / "index",
                tmp / "feed.jsonl",
                "-a",
                "rss=",
                "-s",
                f"CLOSESPIDER_TIMEOUT={seconds}",
                "-s",
                f"NEWSBOT_BACKFILL_BATCH={batch}",
                "-s",
                "NEWSBOT_INDEX_COMMIT_SECONDS=1",
                *extra,
            )
            log = tmp / "crawl.log"
            started = time.monotonic()
            with log.open("w") as out:
                proc = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=out)
                _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.monotonic() - started
            paths = server.paths()
        text = log.read_text()
    front = set(archive.front)
    front_done = [n for n, p in enumerate(paths) if p in front]
    return {
        "rc": os.waitstatus_to_exitcode(status),
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "requests": len(paths),
        "front_last_rank": (max(front_done) + 1) if len(front_done) == len(front) else -1,
        "warnings": sum(" WARNING: " in line for line in text.splitlines()),
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="crawl time per row")
    parser.add_argument("--urls", type=int, default=100_000, help="backlog size")
    args = parser.parse_args(argv)
    eager = args.urls * 2
    rows = []

    baseline = GeneratedArchive(months=["2021-06"], per_month=22)
    baseline.front = baseline.article_paths("2021-06")
    rows.append(("front only (reference)", 32, run(baseline, args.seconds, 32)))

    news = GeneratedArchive(
        months=["2021-06"],
        per_month=22,
        news_missing=args.urls,
        slow_every=50,
        slow_seconds=1.0,
    )
    news.front = news.article_paths("2021-06")
    for batch in (32, eager):
        rows.append((f"news sitemap, {args.urls:,} URLs", batch, run(news, args.seconds, batch)))

    backlog = GeneratedArchive(months=months(20), per_month=args.urls // 20, off_section=0)
    backlog.front = backlog.article_paths(backlog.months[-1])[:22]
    since = ("-a", "since=2018-01-01", "-s", "NEWSBOT_DISCOVER_SITEMAP=False")
    for batch in (32, eager):
        label = f"backfill, 20 months x {args.urls // 20:,}"
        rows.append((label, batch, run(backlog, args.seconds, batch, *since)))

    header = (
        f"{'scenario':<32} {'batch':>7} {'peak RSS MiB':>12} {'requests':>9} "
        f"{'front done by':>13} {'WARNING lines':>13} {'exit':>4}"
    )
    print(f"{args.seconds} s per crawl, Python {sys.version.split()[0]}")
    print(header)
    print("-" * len(header))
    for label, batch, row in rows:
        front = f"#{row['front_last_rank']}" if row["front_last_rank"] != -1 else "not all"
        print(
            f"{label:<32} {batch:>7} {row['peak_rss_mib']:>12.0f} {row['requests']:>9,} "
            f"{front:>13} {row['warnings']:>13,} {row['rc']:>4}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
