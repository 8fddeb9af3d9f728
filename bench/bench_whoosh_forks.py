"""Compare Whoosh forks on newsbot's own code: tests, warnings, speed, index and install size.

Give it the Python of one throwaway venv per fork (each with the fork, pytest and newsbot's
other dependencies installed); it runs itself inside each and prints one table:

    python bench/bench_whoosh_forks.py /tmp/wf-orig/bin/python /tmp/wf-reloaded/bin/python \\
        /tmp/wf-ng/bin/python --docs 2000

Per fork: newsbot's search/export/reindex/stats tests; SyntaxWarnings and DeprecationWarnings
when its modules are compiled (what `python -W error::SyntaxWarning` would trip on); reindex
speed with 1 and 2 processes and search latency on the same synthetic corpus; index size; and
the installed size of the fork and its dependencies.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["tests/test_search.py", "tests/test_export.py", "tests/test_reindex.py",
         "tests/test_stats.py"]  # fmt: skip
WORKER_TIMEOUT_S = 1800


def _install_bytes(dist_name: str, seen: set[str]) -> int:
    """Bytes of the distribution's files and its unconditional dependencies', bytecode aside."""
    if dist_name.lower() in seen:
        return 0
    seen.add(dist_name.lower())
    dist = importlib.metadata.distribution(dist_name)
    total = sum(
        f.locate().stat().st_size
        for f in dist.files or []
        if f.suffix != ".pyc" and f.locate().is_file()
    )
    for requirement in dist.requires or []:
        if ";" in requirement:
            continue
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group()
        total += _install_bytes(name, seen)
    return total


def _compile_warnings(package_dir: Path) -> int:
    count = 0
    for path in package_dir.rglob("*.py"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            compile(path.read_bytes(), str(path), "exec")
        count += sum(issubclass(w.category, SyntaxWarning | DeprecationWarning) for w in caught)
    return count


def worker(docs: int, queries_per_kind: int, workdir: Path) -> dict[str, object]:
    """Runs inside the fork's venv; returns the measurements as a dict."""
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    import whoosh
    from bench_search import KINDS, make_queries, timed
    from corpus import Corpus, write_feed

    from newsbot.search.query import Filters
    from newsbot.search.reindex import reindex
    from newsbot.search.searcher import open_searcher, search
    from newsbot.search.stats import index_size

    dist_name = importlib.metadata.packages_distributions()["whoosh"][0]
    result: dict[str, object] = {
        "fork": dist_name,
        "version": whoosh.versionstring(),
        "install_bytes": _install_bytes(dist_name, set()),
        "compile_warnings": _compile_warnings(Path(whoosh.__file__).parent),
    }
    feed = workdir / f"corpus-{docs}.jsonl"
    if not feed.exists():
        write_feed(feed, docs)
    for procs in (1, 2):
        index_dir = workdir / f"index-{procs}"
        shutil.rmtree(index_dir, ignore_errors=True)
        started = time.perf_counter()
        reindex([feed], index_dir, procs=procs)
        result[f"docs_per_s_{procs}"] = docs / (time.perf_counter() - started)
        result[f"index_bytes_{procs}"] = index_size(index_dir)
    queries = make_queries(Corpus(), docs, queries_per_kind)
    with open_searcher(workdir / "index-2") as searcher:
        for kind in KINDS:
            result[kind] = timed(lambda q: search(searcher, q, Filters(), limit=10), queries[kind])
    return result


def _run_tests(python: str) -> str:
    completed = subprocess.run(
        [python, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider", *TESTS],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    counts = re.findall(r"(\d+) (passed|failed|error)", summary)
    return ", ".join(f"{n} {word}" for n, word in counts) or "did not run"


def _strict_import(python: str) -> str:
    """Import whoosh from source (fresh bytecode cache) with SyntaxWarning as an error."""
    with tempfile.TemporaryDirectory() as cache:
        completed = subprocess.run(
            [
                python,
                "-W",
                "error::SyntaxWarning",
                "-c",
                "import whoosh.index, whoosh.qparser, whoosh.highlight, whoosh.sorting, "
                "whoosh.multiproc, whoosh.spelling, whoosh.analysis",
            ],
            env={**os.environ, "PYTHONPYCACHEPREFIX": cache},
            capture_output=True,
            text=True,
        )
    return "ok" if completed.returncode == 0 else "fails"


def measure(python: str, docs: int, queries: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="wf-bench-") as workdir:
        completed = subprocess.run(
            [
                python,
                __file__,
                "--worker",
                "--docs",
                str(docs),
                "--queries",
                str(queries),
                "--workdir",
                workdir,
            ],
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT_S,
        )
    if completed.returncode != 0:
        # A fork that crashes on our workload is a result too: show why, keep measuring others.
        error = completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "?"
        print(f"{python}: benchmark failed: {error}", file=sys.stderr)
        result = {"fork": python, "failed": error}
    else:
        result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["tests"] = _run_tests(python)
    result["strict_import"] = _strict_import(python)
    return result


def print_table(rows: list[dict[str, object]], docs: int) -> None:
    print(
        f"\nWhoosh forks on newsbot's code, {docs:,} synthetic articles, Python {sys.version[:4]}"
    )
    header = (
        f"{'fork':<17}{'version':>8}  {'tests':<11}{'warnings':>9}{'-W error':>9}"
        f"{'docs/s 1p':>10}{'2p':>6}{'one-term p50/p95':>18}{'two-term p95':>13}{'phrase p95':>11}"
        f"{'index MiB':>10}{'install KiB':>12}"
    )
    print(header)
    for row in rows:
        if "failed" in row:
            print(f"{row['fork']}  tests {row['tests']}  benchmark FAILED: {row['failed']}")
            continue
        p50, p95 = row["one term"]
        print(
            f"{row['fork']:<17}{row['version']:>8}  {row['tests']:<11}"
            f"{row['compile_warnings']:>9}{row['strict_import']:>9}"
            f"{row['docs_per_s_1']:>10.0f}{row['docs_per_s_2']:>6.0f}"
            f"{f'{p50:.1f}/{p95:.1f} ms':>18}"
            f"{row['two terms'][1]:>10.1f} ms{row['phrase'][1]:>8.1f} ms"
            f"{row['index_bytes_2'] / 2**20:>10.1f}{row['install_bytes'] / 1024:>12.0f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pythons", nargs="*", help="python of each fork's venv")
    parser.add_argument("--docs", type=int, default=2000, help="articles (default 2,000)")
    parser.add_argument("--queries", type=int, default=30, help="queries per kind (default 30)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.docs, args.queries, args.workdir)))
        return 0
    if not args.pythons:
        parser.error("give the python of at least one fork's venv")
    rows = []
    for python in args.pythons:
        print(f"measuring {python} ...", file=sys.stderr, flush=True)
        rows.append(measure(python, args.docs, args.queries))
    print_table(rows, args.docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
