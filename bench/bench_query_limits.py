"""Benchmark the queries that used to freeze search: wildcards, ranges over text, `*`.

Builds (or reuses) a generated index with bench/corpus.py, then times each attack query
through newsbot's own `search()` (top 10 with snippets, as `newsbot search` does), next to a
one-word query as the reference in the same run. Every query must answer in under 1 s or be
refused with a UsageError (exit 2). A second table times prefixes by how many indexed words
they stand for, which is what `MAX_EXPANDED_TERMS` is set from. A third times `newsbot search`
start-up as a subprocess against `python -c pass`.

    python bench/bench_query_limits.py --docs 3000
    python bench/bench_query_limits.py --docs 100000 --workdir /tmp/newsbot-bench --reuse
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from corpus import write_feed

from newsbot.errors import UsageError
from newsbot.search import query
from newsbot.search.query import Filters, parse_query
from newsbot.search.reindex import reindex
from newsbot.search.searcher import open_searcher, search

# The attacks of issue #12 item 6, and their relatives.
ATTACKS: list[tuple[str, dict[str, object]]] = [
    ("?*?*?*?*", {}),
    ("*a*", {}),
    ("*", {"sort": "newest"}),
    ("*", {"facets": True}),
    (" OR ".join(f"{letter}*" for letter in "bcdfghkl"), {}),
    ("b*", {}),
    ("br*", {}),
    ("bra*", {}),
    ("brai*", {}),
    ("b?a*", {}),
    ("body:[a TO z]", {}),
    ("body:[bra TO brb]", {}),
    ("url:[a TO z]", {}),
    ("headline:*", {}),
]


def best_of(run: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def outcome(run: Callable[[], object]) -> str:
    try:
        result = run()
    except UsageError as error:
        return f"refused: {error}"[:70]
    return f"{result.total:,} hits"  # type: ignore[attr-defined]


def build(docs: int, workdir: Path, reuse: bool) -> Path:
    index_dir = workdir / f"limits-{docs}"
    if reuse and index_dir.is_dir():
        return index_dir
    feed = workdir / f"corpus-{docs}.jsonl"
    if not feed.exists():
        print(f"generating {docs:,} articles into {feed}", file=sys.stderr)
        write_feed(feed, docs)
    print(f"indexing into {index_dir}", file=sys.stderr)
    reindex([feed], index_dir, procs=1)
    return index_dir


def attack_table(index_dir: Path, repeat: int) -> None:
    with open_searcher(index_dir) as searcher:
        reference = best_of(lambda: search(searcher, "brai", Filters()), repeat)
        print(f"\n{'query':<40} {'options':<16} {'ms':>8} {'x ref':>6}  outcome")
        print(f"{'brai (reference)':<40} {'':<16} {reference * 1000:>8.1f} {1:>6.1f}")
        for text, options in ATTACKS:

            def run(text: str = text, options: dict[str, object] = options) -> object:
                return search(searcher, text, Filters(), **options)  # type: ignore[arg-type]

            seconds = best_of(lambda run=run: outcome(run), repeat)
            shown = ", ".join(f"{k}={v}" for k, v in options.items())
            print(
                f"{text[:40]:<40} {shown:<16} {seconds * 1000:>8.1f} "
                f"{seconds / reference:>6.1f}  {outcome(run)}"
            )


def _expansion(reader: object, q: object) -> tuple[int, int]:
    terms = postings = 0
    for leaf in q.leaves():  # type: ignore[attr-defined]
        for text in leaf._btexts(reader):
            terms += 1
            postings += reader.doc_frequency(leaf.field(), text)  # type: ignore[attr-defined]
    return terms, postings


def expansion_table(index_dir: Path, repeat: int) -> None:
    """Prefixes by how many words and postings they expand to, searched with the limits off:
    what the limits are set from."""
    with open_searcher(index_dir) as searcher:
        reader = searcher.reader()
        words = [w.decode() for w in itertools.islice(reader.lexicon("body"), 200_000)]
        prefixes = sorted({w[:n] for w in words for n in (2, 3, 4) if len(w) > n})
        rows = []
        for prefix in random.Random(5).sample(prefixes, min(40, len(prefixes))):
            q = parse_query(f"{prefix}*")
            rows.append((*_expansion(reader, q), prefix))
        rows.sort()
        limits = query.MAX_EXPANDED_TERMS, query.MAX_EXPANDED_POSTINGS
        query.MAX_EXPANDED_TERMS = query.MAX_EXPANDED_POSTINGS = 10**12
        try:
            print(
                f"\nprefixes with the limits off (limits: {limits[0]:,} words, "
                f"{limits[1]:,} postings)"
            )
            print(f"{'words':>7} {'postings':>9} {'prefix':<10} {'ms':>8} {'us/posting':>11}")
            for terms, postings, prefix in rows[:: max(1, len(rows) // 12)]:
                seconds = best_of(lambda p=prefix: search(searcher, f"{p}*", Filters()), repeat)
                print(
                    f"{terms:>7,} {postings:>9,} {prefix + '*':<10} {seconds * 1000:>8.1f} "
                    f"{seconds * 1e6 / max(postings, 1):>11.1f}"
                )
        finally:
            query.MAX_EXPANDED_TERMS, query.MAX_EXPANDED_POSTINGS = limits


def startup_table(index_dir: Path, repeat: int) -> None:
    newsbot = [sys.executable, "-m", "newsbot", "search", "brai", "--index", str(index_dir)]
    command: list[str]
    print(f"\n{'start-up':<40} {'ms':>8}")
    for name, command in (
        ("python -c pass (reference)", [sys.executable, "-c", "pass"]),
        ("newsbot search brai", newsbot),
    ):
        seconds = best_of(
            lambda command=command: subprocess.run(command, capture_output=True, check=True),
            repeat,
        )
        print(f"{name:<40} {seconds * 1000:>8.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3_000, help="articles (default 3,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (median)")
    parser.add_argument(
        "--workdir", type=Path, default=Path("/tmp/newsbot-bench"), help="scratch directory"
    )
    parser.add_argument("--reuse", action="store_true", help="keep an index a run built")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    index_dir = build(args.docs, args.workdir, args.reuse)
    print(f"{args.docs:,} articles; median of {args.repeat} runs")
    attack_table(index_dir, args.repeat)
    expansion_table(index_dir, args.repeat)
    startup_table(index_dir, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
