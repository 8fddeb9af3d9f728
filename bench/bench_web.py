"""Benchmark `newsbot serve`: latency of the search, article and fronts pages over HTTP.

The archive is bench/corpus.py's generated corpus, indexed with `reindex` as bench_search.py
does; 100 of its articles are then crawled again with a changed headline and paragraph, so
their pages carry a revision and a diff. A generated front snapshot file holds a year of crawls
every three hours, 40 stories each. The server is the real one (Werkzeug, threaded) on a free
loopback port; each page is fetched over one keep-alive HTTP connection.

Reference rows in the same run: the search the CLI runs for the same queries (`search()`, ten
hits, no facets), and reading the article's history as `newsbot history` does.

    python bench/bench_web.py --docs 100000 --workdir /tmp/newsbot-bench   # long the first time
    python bench/bench_web.py --docs 5000                                  # quick

Target: p95 <= 100 ms for the search page at 100,000 articles, and for the article page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import logging
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench_search import DATE_FILTER, KINDS, _count_lines, _whoosh_docs, make_queries, timed
from corpus import SEED, Corpus, write_feed
from werkzeug.serving import make_server

from newsbot.search.history import find
from newsbot.search.query import Filters
from newsbot.search.reindex import reindex
from newsbot.search.searcher import open_searcher, search
from newsbot.search.writer import ArchiveWriter
from newsbot.web.app import ArchiveApp

TARGET_P95_MS = 100.0
REVISED = 100
FRONT = "https://www.nytimes.com/section/world/americas"
FRONT_CARDS = 40
FRONT_EVERY = dt.timedelta(hours=3)
FRONT_START = dt.datetime(2017, 1, 1, tzinfo=dt.UTC)


def build_archive(workdir: Path, docs: int) -> tuple[Path, Path]:
    """The index (with REVISED revised articles) and the fronts file, reused when present."""
    feed = workdir / f"corpus-{docs}.jsonl"
    index_dir = workdir / f"index-{docs}"
    revised_marker = index_dir / "bench-web-revised"
    if not feed.exists() or _count_lines(feed) != docs:
        print(f"generating {docs:,} articles into {feed}", file=sys.stderr)
        write_feed(feed, docs)
    if _whoosh_docs(index_dir) != docs:
        print(f"indexing {feed} into {index_dir} (minutes at 100,000)", file=sys.stderr)
        revised_marker.unlink(missing_ok=True)
        reindex([feed], index_dir)
    if not revised_marker.exists():
        corpus = Corpus(SEED)
        with ArchiveWriter(index_dir) as writer:
            for number in range(REVISED):
                item = corpus.article(number)
                paragraphs = item["body"].split("\n\n")
                paragraphs[1] = "A paragraph the editors added later. " + paragraphs[1]
                item.update(
                    headline=item["headline"] + " (Updated)",
                    body="\n\n".join(paragraphs),
                    content_hash=f"revised-{number}",
                    crawled_at="2026-11-02T08:00:00Z",
                )
                writer.put(item)
            writer.commit()
        revised_marker.write_text("revised\n")
    fronts = workdir / "bench-fronts.jsonl"
    if not fronts.exists():
        _write_fronts(fronts, docs)
    return index_dir, fronts


def _write_fronts(path: Path, docs: int) -> None:
    corpus = Corpus(SEED)
    rng = random.Random(SEED)
    crawls = int(dt.timedelta(days=365) / FRONT_EVERY)
    with path.open("w", encoding="utf-8") as handle:
        for crawl in range(crawls):
            when = (FRONT_START + crawl * FRONT_EVERY).isoformat().replace("+00:00", "Z")
            for rank, number in enumerate(rng.sample(range(docs), FRONT_CARDS), start=1):
                item = corpus.article(number)
                card = {
                    "crawled_at": when,
                    "spider": "americas",
                    "front_url": FRONT,
                    "rank": rank,
                    "url": item["url"],
                    "headline": item["headline"],
                    "summary": item["summary"],
                    "block": "stream",
                }
                handle.write(json.dumps(card) + "\n")


class Fetcher:
    """GETs over one keep-alive connection, each read to its last byte."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> None:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="articles (default 100,000)")
    parser.add_argument("--queries", type=int, default=40, help="queries per kind (default 40)")
    parser.add_argument("--articles", type=int, default=200, help="article pages (default 200)")
    parser.add_argument(
        "--workdir", type=Path, default=Path("/tmp/newsbot-bench"), help="scratch directory"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    index_dir, fronts = build_archive(args.workdir, args.docs)

    started = time.perf_counter()
    app = ArchiveApp(index_dir, [fronts])
    startup = time.perf_counter() - started
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fetcher = Fetcher(server.port)

    corpus = Corpus(SEED)
    queries = make_queries(corpus, args.docs, args.queries)
    since, until = (day.isoformat() for day in DATE_FILTER)
    dated = Filters(since=DATE_FILTER[0], until=DATE_FILTER[1])
    rows: list[tuple[str, tuple[float, float], tuple[float, float] | None, bool]] = []
    with open_searcher(index_dir) as searcher:
        fetcher.get("/?q=warm")  # the first request pays for the templates' compilation
        for kind in KINDS:
            for label, extra, filters in (("", {}, Filters()), (" + dates", {}, dated)):
                if filters is dated:
                    extra = {"since": since, "until": until}
                paths = ["/?" + urlencode({"q": q, **extra}) for q in queries[kind]]
                page = timed(fetcher.get, paths)
                reference = timed(
                    lambda q, f=filters: search(searcher, q, f, limit=10), queries[kind]
                )
                rows.append((f"search page: {kind}{label}", page, reference, True))

        rng = random.Random(SEED)
        numbers = rng.sample(range(REVISED, args.docs), args.articles)
        urls = [corpus.article(n)["url"] for n in numbers]
        page = timed(fetcher.get, ["/article?" + urlencode({"url": url}) for url in urls])
        reference = timed(lambda url: find(searcher, url), urls)
        rows.append(("article page", page, reference, True))
        # Two words of the article's own first sentence, so there is something to mark.
        words = [" ".join(corpus.article(n)["body"].split()[:2]) for n in numbers]
        marked = [
            "/article?" + urlencode({"url": url, "q": q})
            for url, q in zip(urls, words, strict=True)
        ]
        page = timed(fetcher.get, marked)
        rows.append(("article page, two query words marked", page, reference, True))
        revised = [corpus.article(n)["url"] for n in range(min(REVISED, args.articles))]
        page = timed(fetcher.get, ["/article?" + urlencode({"url": url}) for url in revised])
        reference = timed(lambda url: find(searcher, url), revised)
        rows.append(("article page with a revision diff", page, reference, True))

    started = time.perf_counter()
    fetcher.get("/fronts")
    fronts_load = time.perf_counter() - started
    moments = [
        (FRONT_START + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))).strftime(
            "%Y-%m-%dT%H:%M"
        )
        for _ in range(args.articles)
    ]
    page = timed(fetcher.get, ["/fronts?" + urlencode({"at": at}) for at in moments])
    rows.append(("fronts page, nearest crawl", page, None, False))
    server.shutdown()

    crawls = int(dt.timedelta(days=365) / FRONT_EVERY)
    print(f"\n## newsbot serve at {args.docs:,} articles\n")
    print(
        f"{args.queries} queries per kind (bench_search's), {args.articles} article pages, "
        f"fronts: {crawls:,} crawls x {FRONT_CARDS} stories. Times in ms; the reference is the "
        "CLI's work for the same input (search(): ten hits, no facets; find(): the history).\n"
    )
    print("| page | p50 | p95 | reference p50 | reference p95 | target p95 <= 100 ms |")
    print("|---|---:|---:|---:|---:|---|")
    for name, (p50, p95), reference, targeted in rows:
        ref = f"{reference[0]:.1f} | {reference[1]:.1f}" if reference else "- | -"
        verdict = ("met" if p95 <= TARGET_P95_MS else "MISSED") if targeted else "-"
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {ref} | {verdict} |")
    print(
        f"\nServer start (opening the index, reading the facet tables): {startup * 1000:,.0f} ms."
        f" First /fronts (reading {crawls * FRONT_CARDS:,} snapshot lines): "
        f"{fronts_load * 1000:,.0f} ms."
    )
    all_p95 = [p95 for _, (_, p95), _, targeted in rows if targeted]
    print(f"Median of the page p95s: {statistics.median(all_p95):.1f} ms.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
