"""MinHash speed: newsbot's numpy MinHash against plain loops over Python ints.

    .venv/bin/python bench/bench_minhash.py [--articles 200]

All run over the same generated 800-1,200-word articles (bench/corpus.py). The loops are in
tests/test_minhash.py: the scheme-2 one is the reference the numpy version must match bit for
bit, the scheme-1 one is the loop stores were first signed with. Prints ms per article (best of
3 rounds) and the speed-up over the scheme-1 loop.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from corpus import Corpus
from test_minhash import reference_minhash, scheme_1_minhash

from newsbot.state.minhash import minhash


def ms_per_article(function: Callable[[str], bytes], bodies: list[str]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for body in bodies:
            function(body)
        best = min(best, time.perf_counter() - start)
    return 1000 * best / len(bodies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    args = parser.parse_args(argv)
    bodies = [item["body"] for item in Corpus().articles(args.articles)]
    words = sum(len(b.split()) for b in bodies) / len(bodies)
    numpy_ms = ms_per_article(minhash, bodies)
    sample = bodies[: max(1, len(bodies) // 10)]
    loop_1_ms = ms_per_article(scheme_1_minhash, sample)
    loop_2_ms = ms_per_article(reference_minhash, sample)
    print(f"{len(bodies)} articles, {words:.0f} words on average")
    print(f"{'MinHash':34} {'ms/article':>10}")
    print(f"{'scheme 1, pure-Python loop (first)':34} {loop_1_ms:10.2f}")
    print(f"{'scheme 2, pure-Python loop':34} {loop_2_ms:10.2f}")
    print(f"{'scheme 2, numpy (newsbot)':34} {numpy_ms:10.2f}")
    print(f"{'speed-up over the first':34} {loop_1_ms / numpy_ms:9.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
