"""How much memory and disk the de-duplication state takes per million articles, and how fast
its lookups are.

    .venv/bin/python bench/bench_dedupe_memory.py                   # 100k articles, x10 for 1M
    .venv/bin/python bench/bench_dedupe_memory.py --articles 1000000

Fills a fresh `DedupeStore` with synthetic articles (random URL of a realistic length, random
sha256 content hash, random MinHash signature), committing every `--batch` articles as a crawl
does, then times the lookups the dedupe pipeline makes per item. Disk and time scale linearly
with the article count; memory should not grow at all (SQLite's page cache is capped), which
the RSS and tracemalloc rows show. Prints one table.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from newsbot.state.dedupe_store import PERMUTATIONS, DedupeStore, minhash

MILLION = 1_000_000


def rss_mib() -> float:
    """Current resident set size (Linux /proc), else the peak from getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(n: int, rng: random.Random) -> tuple[str, str, bytes, str]:
    url = (
        f"https://www.nytimes.com/2026/{1 + n % 12:02d}/{1 + n % 28:02d}/world/americas/"
        f"story-{n}-{rng.getrandbits(40):010x}.html"
    )
    return url, rng.randbytes(32).hex(), rng.randbytes(2 * PERMUTATIONS), "2026-11-20T08:00:00Z"


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def timed(calls: list, repeat: int = 1) -> float:
    """Median microseconds per call."""
    samples = []
    for call in calls * repeat:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000, help="articles per commit")
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(1)
    scale = MILLION / args.articles

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dedupe.sqlite3"
        rss_before = rss_mib()
        tracemalloc.start()
        started = time.perf_counter()
        with DedupeStore(path) as store:
            samples = []
            for n in range(args.articles):
                url, content_hash, signature, published = synthetic(n, rng)
                store.remember(url, content_hash, signature, published)
                if n % (args.articles // args.lookups or 1) == 0:
                    samples.append((url, content_hash, signature))
                if n % args.batch == 0:
                    store.commit()
            store.commit()
            fill_seconds = time.perf_counter() - started
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss_after = rss_mib()
            fresh = [synthetic(args.articles + i, rng) for i in range(len(samples))]
            lookups = {
                "has(url), known": [lambda u=u: store.has(u) for u, _, _ in samples],
                "has(url), new": [lambda u=u: store.has(u) for u, _, _, _ in fresh],
                "url_for_content(hash)": [
                    lambda h=h: store.url_for_content(h) for _, h, _ in samples
                ],
                "near(signature)": [lambda s=s: store.near(s, exclude="") for _, _, s in samples],
            }
            timings = {name: timed(calls) for name, calls in lookups.items()}
            stored = store.stats()["articles"]
        size = disk_bytes(path)

    body = " ".join(rng.choices([f"w{i}" for i in range(20000)], k=1000))
    minhash_us = timed([lambda: minhash(body)], repeat=20)

    measured = f"{args.articles:,} articles"
    rows = [
        ("articles stored", f"{stored:,}", f"{MILLION:,} (extrapolated)" if scale != 1 else ""),
        (
            "disk (SQLite + WAL)",
            f"{size / 2**20:.1f} MiB",
            f"{size * scale / 2**20:.0f} MiB" if scale != 1 else "",
        ),
        ("disk per article", f"{size / stored:.0f} B", ""),
        ("RSS growth while filling", f"{rss_after - rss_before:.1f} MiB", "flat (capped cache)"),
        ("RSS after filling", f"{rss_after:.1f} MiB", ""),
        ("tracemalloc peak (Python objects)", f"{traced_peak / 2**20:.1f} MiB", ""),
        ("fill time", f"{fill_seconds:.1f} s", f"{fill_seconds * scale:.0f} s"),
        *((f"lookup {name}", f"{us:.0f} µs", "") for name, us in timings.items()),
        ("minhash of a 1000-word body", f"{minhash_us / 1000:.1f} ms", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"De-duplication state, measured with {measured} (pid {os.getpid()})")
    print(f"{'':<{width}}  {'measured':>14}  {'per million':>22}")
    for name, value, million in rows:
        print(f"{name:<{width}}  {value:>14}  {million:>22}")


if __name__ == "__main__":
    main()
