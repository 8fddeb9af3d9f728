"""Benchmark newsbot's search against SQLite FTS5 on the same synthetic corpus and queries.

One run measures, for both engines: indexing throughput, index size against the raw text, and
search latency (p50/p95) for one-term, two-term and phrase queries, each with and without a
one-year date filter. Whoosh is measured through newsbot's own code (`reindex`, `search`, with
snippets), FTS5 through plain SQL with bm25() and snippet(), each returning the top 10 with the
stored item.

    python bench/bench_search.py --docs 100000          # the full run (long: use nohup)
    python bench/bench_search.py --docs 2000 --procs 1 2  # quick, and compare writer processes

Targets: search p95 <= 50 ms, reindex >= 250 docs/s, index size <= 1.5x raw text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from corpus import SEED, Corpus, raw_text_bytes, write_feed

from newsbot.search.query import Filters
from newsbot.search.reindex import reindex
from newsbot.search.schema import utc_naive
from newsbot.search.searcher import open_searcher, search
from newsbot.search.stats import index_size

TARGET_P95_MS = 50.0
TARGET_DOCS_PER_S = 250.0
TARGET_SIZE_RATIO = 1.5
DATE_FILTER = (dt.date(2017, 1, 1), dt.date(2017, 12, 31))
KINDS = ("one term", "two terms", "phrase")


def make_queries(corpus: Corpus, docs: int, per_kind: int) -> dict[str, list[str]]:
    """Deterministic queries: mid-frequency words, pairs of them, and phrases that occur."""
    rng = random.Random(SEED)
    mid = corpus.words[200:5000]
    phrases = []
    while len(phrases) < per_kind:
        words = corpus.article(rng.randrange(docs))["body"].replace(".", "").split()
        start = rng.randrange(len(words) - 1)
        pair = [w.lower() for w in words[start : start + 2]]
        # Two-letter words are mostly stop words for Whoosh; a phrase of them tests nothing.
        if all(len(w) > 3 for w in pair):
            phrases.append('"' + " ".join(pair) + '"')
    return {
        "one term": rng.sample(mid, per_kind),
        "two terms": [" ".join(rng.sample(mid, 2)) for _ in range(per_kind)],
        "phrase": phrases,
    }


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples), cuts[18]


def timed(run: Callable[[str], object], queries: list[str]) -> tuple[float, float]:
    for text in queries[:5]:  # warm caches, as a long-running searcher would have them
        run(text)
    samples = []
    for text in queries:
        started = time.perf_counter()
        run(text)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def bench_whoosh(
    feed: Path,
    workdir: Path,
    procs_list: list[int],
    queries: dict[str, list[str]],
    reuse: bool = False,
) -> dict[str, object]:
    results: dict[str, object] = {"rate": {}, "size": {}}
    index_dir = workdir / "whoosh"
    if reuse and _whoosh_docs(index_dir) == _count_lines(feed):
        # Timing only searches: keep the index a previous run built (rate unknown).
        print(f"whoosh: reusing {index_dir}", file=sys.stderr)
        results["rate"][0] = float("nan")
        results["size"][0] = index_size(index_dir)
        procs_list = []
    for procs in procs_list:
        shutil.rmtree(index_dir, ignore_errors=True)
        started = time.perf_counter()
        report = reindex([feed], index_dir, procs=procs)
        results["rate"][procs] = report.documents / (time.perf_counter() - started)
        results["size"][procs] = index_size(index_dir)
        print(f"whoosh reindex procs={procs}: {results['rate'][procs]:.0f} docs/s", file=sys.stderr)
    dated = Filters(since=DATE_FILTER[0], until=DATE_FILTER[1])
    with open_searcher(index_dir) as searcher:
        for kind in KINDS:
            for label, filters in (("", Filters()), (" + dates", dated)):
                results[kind + label] = timed(
                    lambda text, f=filters: search(searcher, text, f, limit=10), queries[kind]
                )
    return results


FTS_COLUMNS = ("headline", "summary", "body", "byline", "caption")
# The same emphasis as the Whoosh schema: headline x3.
FTS_WEIGHTS = "3.0, 1.0, 1.0, 1.0, 1.0"


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _whoosh_docs(index_dir: Path) -> int | None:
    """Articles in a finished index from an earlier run, or None."""
    try:
        with open_searcher(index_dir, allow_empty=True) as searcher:
            return searcher.doc_count()
    except Exception:
        return None


def _fts5_docs(path: Path) -> int | None:
    if not path.exists():
        return None
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT count(*) FROM meta").fetchone()[0]
    except sqlite3.Error:
        return None


def bench_fts5(
    feed: Path, workdir: Path, queries: dict[str, list[str]], reuse: bool = False
) -> dict[str, object]:
    path = workdir / "fts5.sqlite"
    if reuse and _fts5_docs(path) == _count_lines(feed):
        print(f"fts5: reusing {path}", file=sys.stderr)
        return _time_fts5(sqlite3.connect(path), queries, float("nan"), path.stat().st_size)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(
        f"""
        CREATE TABLE meta(id INTEGER PRIMARY KEY, url TEXT UNIQUE, published TEXT, item TEXT);
        CREATE INDEX meta_published ON meta(published);
        CREATE VIRTUAL TABLE fts USING fts5({", ".join(FTS_COLUMNS)},
                                            tokenize='porter unicode61');
        """
    )
    started = time.perf_counter()
    count = 0
    with db, feed.open(encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            count += 1
            published = utc_naive(item["published"]).isoformat()
            db.execute(
                "INSERT INTO meta(id, url, published, item) VALUES (?, ?, ?, ?)",
                (count, item["url"], published, line),
            )
            captions = "\n".join(c["text"] or "" for c in item["captions"])
            db.execute(
                "INSERT INTO fts(rowid, headline, summary, body, byline, caption) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (count, item["headline"], item["summary"], item["body"], item["byline"], captions),
            )
        db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    rate = count / (time.perf_counter() - started)
    print(f"fts5 insert: {rate:.0f} docs/s", file=sys.stderr)
    db.execute("VACUUM")
    return _time_fts5(db, queries, rate, path.stat().st_size)


def _time_fts5(
    db: sqlite3.Connection, queries: dict[str, list[str]], rate: float, size: int
) -> dict[str, object]:
    results: dict[str, object] = {"rate": {1: rate}, "size": size}
    select = (
        "SELECT meta.item, snippet(fts, 2, '[', ']', '…', 24) FROM fts "
        "JOIN meta ON meta.id = fts.rowid WHERE fts MATCH ? {dates}"
        f"ORDER BY bm25(fts, {FTS_WEIGHTS}) LIMIT 10"
    )
    plain = select.format(dates="")
    dated = select.format(dates="AND meta.published >= ? AND meta.published < ? ")
    since = dt.datetime.combine(DATE_FILTER[0], dt.time()).isoformat()
    until = dt.datetime.combine(DATE_FILTER[1] + dt.timedelta(days=1), dt.time()).isoformat()
    for kind in KINDS:
        results[kind] = timed(lambda text: db.execute(plain, (text,)).fetchall(), queries[kind])
        results[kind + " + dates"] = timed(
            lambda text: db.execute(dated, (text, since, until)).fetchall(), queries[kind]
        )
    db.close()
    return results


def print_tables(docs: int, raw: int, per_kind: int, whoosh: dict, fts: dict) -> None:
    print(f"\nSearch latency, {docs:,} articles, {per_kind} queries per row, top 10 with snippets")
    print(f"{'query':<22}{'whoosh p50':>11}{'p95':>9}{'fts5 p50':>10}{'p95':>9}{'p95 ratio':>11}")
    for kind in KINDS:
        for label in ("", " + dates"):
            w50, w95 = whoosh[kind + label]
            f50, f95 = fts[kind + label]
            flag = "" if w95 <= TARGET_P95_MS else "  over target"
            print(
                f"{kind + label:<22}{w50:>9.1f}ms{w95:>7.1f}ms{f50:>8.1f}ms{f95:>7.1f}ms"
                f"{w95 / f95:>10.1f}x{flag}"
            )
    print(f"\nIndexing {docs:,} articles, raw text {raw / 2**20:,.1f} MiB")
    print(f"{'engine':<22}{'docs/s':>9}{'index MiB':>11}{'size/raw':>10}")
    for procs, rate in whoosh["rate"].items():
        print(
            f"{f'whoosh procs={procs}':<22}{rate:>9.0f}{whoosh['size'][procs] / 2**20:>11.1f}"
            f"{whoosh['size'][procs] / raw:>9.2f}x"
        )
    print(
        f"{'sqlite fts5':<22}{fts['rate'][1]:>9.0f}{fts['size'] / 2**20:>11.1f}"
        f"{fts['size'] / raw:>9.2f}x"
    )
    best = max(whoosh["rate"], key=whoosh["rate"].get)
    rate, size = whoosh["rate"][best], whoosh["size"][best]
    print(
        f"\nwhoosh/fts5 (procs={best}): indexing {rate / fts['rate'][1]:.2f}x the speed, "
        f"{size / fts['size']:.2f}x the size"
    )
    worst = max(whoosh[k + label][1] for k in KINDS for label in ("", " + dates"))
    print(
        f"targets: search p95 {worst:.1f} ms (<= {TARGET_P95_MS:.0f}), "
        f"reindex {rate:.0f} docs/s (>= {TARGET_DOCS_PER_S:.0f}), "
        f"size {size / raw:.2f}x raw (<= {TARGET_SIZE_RATIO})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="articles (default 100,000)")
    parser.add_argument("--queries", type=int, default=50, help="queries per kind (default 50)")
    parser.add_argument(
        "--procs", type=int, nargs="+", default=[2], help="writer processes to compare"
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path("/tmp/newsbot-bench"), help="scratch directory"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the Whoosh index and FTS5 database a previous run built for this many "
        "articles in --workdir, and time only the searches (indexing rates show as nan)",
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    feed = args.workdir / f"corpus-{args.docs}.jsonl"
    corpus = Corpus()
    if not feed.exists():
        print(f"generating {args.docs:,} articles into {feed}", file=sys.stderr)
        write_feed(feed, args.docs)
    with feed.open(encoding="utf-8") as handle:
        raw = sum(raw_text_bytes(json.loads(line)) for line in handle)
    queries = make_queries(corpus, args.docs, args.queries)
    whoosh = bench_whoosh(feed, args.workdir, args.procs, queries, args.reuse)
    fts = bench_fts5(feed, args.workdir, queries, args.reuse)
    print_tables(args.docs, raw, args.queries, whoosh, fts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
