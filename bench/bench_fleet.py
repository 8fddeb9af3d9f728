"""Fleet scaling and politeness: 1, 2 and 4 workers with one index writer, over a slow mirror.

A generated mirror of several sections is served on 127.0.0.1 with 50-100 ms per response (the
latency a crawl of a real site waits for). Each configuration is one crawl run on a fresh
private redis-server: `newsbot index-worker --exit-when-done` and N `newsbot crawl <sections>`
workers with NEWSBOT_REDIS_URL. Pages/s is counted at the server, from its first request to its
last, so process start-up (the same for every N) is left out. Then the same with a fleet-wide
cap of R requests/s per host: the server should see at most 1.05 R whatever N is.

    python bench/bench_fleet.py [--articles 100] [--cap 10] [--inflight 4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsbot.fleet.testbed import SlowSiteServer, local_redis, write_mirror

SECTIONS = ["africa", "americas", "asia", "europe", "middleeast"]
REPO = Path(__file__).resolve().parent.parent


def _run(workdir: Path, site: str, workers: int, settings: list[str], sections: list[str]) -> None:
    with local_redis(workdir / "redis") as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        env.update(NEWSBOT_HOME=str(workdir / "home"), NEWSBOT_REDIS_URL=url)
        index = workdir / "index"
        sets = [part for s in settings for part in ("-s", s)]
        cli = [sys.executable, "-m", "newsbot.cli"]
        processes = [
            subprocess.Popen(
                [*cli, "index-worker", "--index", str(index), "--exit-when-done",
                 "-s", "NEWSBOT_INDEX_COMMIT_SECONDS=0.5"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        ]  # fmt: skip
        processes += [
            subprocess.Popen(
                [*cli, "crawl", *sections, "--site", site, "--index", str(index), *sets],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]  # fmt: skip
        codes = [p.wait(900) for p in processes]
        if any(codes):
            raise SystemExit(f"a fleet process failed ({codes}); logs in {workdir / 'home'}")


def _window_max(arrivals: list[float], seconds: float = 1.0) -> int:
    """Most requests the server saw in any `seconds` long window."""
    best, first = 0, 0
    for last, when in enumerate(arrivals):
        while when - arrivals[first] >= seconds:
            first += 1
        best = max(best, last - first + 1)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100, help="articles per section")
    parser.add_argument("--cap", type=float, default=10.0, help="R: capped requests/s per host")
    parser.add_argument("--inflight", type=int, default=4, help="requests in flight per worker")
    parser.add_argument("--workers", default="1,2,4", help="fleet sizes to run")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        root = Path(tmp) / "mirror"
        urls = write_mirror(root, SECTIONS, args.articles)
        print(f"mirror: {len(SECTIONS)} sections, {len(urls)} articles, 50-100 ms per response")
        print(f"each worker: {args.inflight} requests in flight; one index writer per run\n")

        print("uncapped (NEWSBOT_FLEET_HOST_RATE=0, NEWSBOT_FLEET_HOST_CONCURRENCY=0)")
        print(f"{'workers':>7} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'scaling':>8}")
        uncapped = [
            f"CONCURRENT_REQUESTS_PER_DOMAIN={args.inflight}",
            f"CONCURRENT_REQUESTS={args.inflight}",
            "NEWSBOT_FLEET_HOST_RATE=0",
            "NEWSBOT_FLEET_HOST_CONCURRENCY=0",
        ]
        base = None
        for n in sizes:
            with SlowSiteServer(root, latency=(0.05, 0.10)) as server:
                _run(Path(tmp) / f"run-{n}", server.url, n, uncapped, SECTIONS)
                arrivals = sorted(server.arrivals())
                pages = sum(server.hits(u.removeprefix("https://www.nytimes.com")) for u in urls)
            seconds = arrivals[-1] - arrivals[0]
            rate = pages / seconds
            base = base or rate
            print(f"{n:>7} {pages:>6} {seconds:>8.2f} {rate:>8.1f} {rate / base:>7.2f}x")

        cap = args.cap
        few = SECTIONS[:2]
        print(f"\ncapped at R = {cap:g} requests/s per host (NEWSBOT_FLEET_HOST_RATE), {few}")
        print(f"{'workers':>7} {'requests':>8} {'req/s':>7} {'max in 1s':>9} {'vs R':>6}")
        for n in sizes:
            with SlowSiteServer(root, latency=(0.05, 0.10)) as server:
                capped = [*uncapped[:2], f"NEWSBOT_FLEET_HOST_RATE={cap}"]
                _run(Path(tmp) / f"cap-{n}", server.url, n, capped, few)
                arrivals = sorted(server.arrivals())
            rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
            print(
                f"{n:>7} {len(arrivals):>8} {rate:>7.2f} {_window_max(arrivals):>9} "
                f"{rate / cap:>5.2f}R"
            )
    return 0


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"\n(bench ran {time.monotonic() - started:.0f}s; timings are noisy on a shared machine)")
    sys.exit(code)
