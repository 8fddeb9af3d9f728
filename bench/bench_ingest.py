"""WARC speed and size: ingest against reading+parsing, crawl throughput with capture on and
off, WARC bytes against raw HTML bytes, and the two WARC libraries side by side.

    .venv/bin/python bench/bench_ingest.py [--pages N] [--rounds R] [--repeat K]

Generates N article pages of realistic size (~300 KB: a sample-site article in the 2021 markup,
with its own body text and the head a news page carries: preload links, CSS, app state JSON),
all in one run:

1. read+parse: locate every capture in a WARC of those pages and parse each, one process,
   nothing else (the reference);
2. `newsbot ingest` of the same file, the whole command (start-up, pipelines, index), with
   --procs 1 and 2; the three take turns K times, and each keeps its best;
3. `scrapy crawl` of the same pages from the local dev server, NEWSBOT_WARC_ENABLED off then on,
   R rounds; the cost is given best against best and as the median of the rounds' pairs (the
   machine's speed drifts by a fifth within a minute, and a round's two crawls are adjacent);
4. the WARC files' size against the HTML they hold;
5. newsbot's record writer (its own framing, ISA-L), warcio's, and fastwarc and warcio reading
   the same records.

Targets (issue 14): ingest >= 0.5x read+parse; capture costs <= 10% of crawl throughput;
WARC bytes <= 0.35x raw HTML bytes.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsbot.devserver import SampleSiteServer, local_crawl_command
from newsbot.urls import is_article_url
from newsbot.warc.capture import CaptureWriter
from newsbot.warc.parse import parse_located
from newsbot.warc.reader import CaptureReader
from newsbot.warc.records import Exchange, exchange_members

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = "/2021/06/07/world/americas/cuba-havana-blackouts-power-plants.html"
_TEXT = (
    "the government said on Tuesday that power would return to most districts by the end "
    "of the week but residents of the capital have heard such promises before and many "
    "now keep candles water and a radio within reach engineers at the plant described "
    "worn turbines missing parts and a fuel supply that arrives late if it arrives at all "
    "economists warn that the shortages will weigh on tourism which the island depends on"
)
WORDS = _TEXT.split(" ")


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 28))).capitalize() + "."


def head_blob(rng: random.Random, target: int) -> str:
    """What a news page's head carries besides the article: script preloads, CSS, app state."""
    parts: list[str] = []
    size = 0
    while size < target:
        token = f"{rng.randrange(16**8):08x}"
        chunk = (
            f'<link rel="preload" href="/vi-assets/static-assets/main-{token}.js" as="script">'
            f".css-{token[:6]}{{display:flex;margin:0 auto;max-width:{rng.randint(300, 900)}px}}"
            f'{{"__typename":"Article","id":"{token}","url":"/2021/06/07/{token}.html",'
            f'"headline":{{"default":"{sentence(rng)}"}},"promotionalMedia":null}},'
        )
        parts.append(chunk)
        size += len(chunk)
    return "<script>window.__preloadedData=[" + "".join(parts) + "];</script>"


def generate_pages(count: int, size: int = 300_000) -> dict[str, bytes]:
    """path -> page: distinct articles, each under its own URL in world/americas."""
    template = (ROOT / "sample_site" / TEMPLATE_PATH.lstrip("/")).read_bytes().decode()
    lead = re.search(r'<p class="[^"]*evys1bk0[^"]*">([^<]{40,})</p>', template)
    assert lead, "the template lost its body paragraphs"
    rng = random.Random(14)
    pages = {}
    for number in range(count):
        path = f"/2021/06/07/world/americas/bench-story-{number:05d}.html"
        body = " ".join(sentence(rng) for _ in range(60))
        page = template.replace(TEMPLATE_PATH, path).replace(lead.group(1), body, 1)
        page = page.replace("</head>", head_blob(rng, size - len(page)) + "</head>", 1)
        pages[path] = page.encode()
    return pages


def write_warc(pages: dict[str, bytes], directory: Path) -> Path:
    """One WARC of the pages, written by newsbot's own capture writer."""
    writer = CaptureWriter(directory, "bench", info=[("software", "bench_ingest")])
    writer.start()
    for path, page in pages.items():
        headers = b"Content-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n" % len(page)
        writer.submit(
            Exchange(
                url=f"https://www.nytimes.com{path}",
                date="2021-06-07T12:00:00.000000Z",
                method="GET",
                request_headers=b"User-Agent: bench\r\n",
                protocol="HTTP/1.1",
                status=200,
                reason="OK",
                response_headers=headers,
                body=page,
            )
        )
    writer.close()
    (path,) = directory.glob("*.warc.gz")
    return path


def read_and_parse(warc: Path) -> tuple[int, float]:
    start = time.perf_counter()
    located = CaptureReader([warc], is_article_url).locate()
    parsed = sum(isinstance(parse_located(capture), dict) for capture in located)
    return parsed, time.perf_counter() - start


def read_and_parse_apart(warc: Path) -> tuple[int, float]:
    """`read_and_parse` in a fresh process, as each ingest runs: in this one, which holds
    every generated page, the same work took up to a third longer. Imports are not timed."""
    done = subprocess.run(
        [sys.executable, __file__, "--read-and-parse", str(warc)],
        capture_output=True,
        text=True,
        check=True,
    )
    parsed, seconds = done.stdout.split()
    return int(parsed), float(seconds)


def _seconds(run: tuple[int, float]) -> float:
    return run[1]


def ingest(warc: Path, work: Path, procs: int, run: int = 0) -> tuple[int, float]:
    index_dir = work / f"ingest-index-{procs}-{run}"
    env = {**os.environ, "NEWSBOT_FEED_DIR": str(work / "feeds")}
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsbot",
            "ingest",
            str(warc),
            "--section",
            "all",
            "--index",
            str(index_dir),
            "--procs",
            str(procs),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"newsbot ingest failed: {done.stderr[-2000:]}")
    stored = re.search(r"(\d+) new", done.stderr)
    return int(stored.group(1)) if stored else 0, elapsed


def site_of(pages: dict[str, bytes], root: Path) -> None:
    """A document root the dev server can serve: robots.txt, a news sitemap, the pages."""
    shutil.copy(ROOT / "sample_site" / "robots.txt", root / "robots.txt")
    entries = "".join(
        f"<url><loc>https://www.nytimes.com{path}</loc><lastmod>2021-06-07T12:00:00Z</lastmod>"
        "</url>"
        for path in pages
    )
    sitemap = root / "sitemaps" / "new" / "news.xml"
    sitemap.parent.mkdir(parents=True)
    sitemap.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    )
    for path, page in pages.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page)


def crawl(server: SampleSiteServer, work: Path, capture: bool, run: int) -> tuple[int, float]:
    run_dir = work / f"crawl-{'on' if capture else 'off'}-{run}"
    command = local_crawl_command(
        server.url,
        run_dir / "index",
        run_dir / "feed.jsonl",
        "-s",
        f"NEWSBOT_WARC_ENABLED={capture}",
        "-s",
        "CONCURRENT_REQUESTS=16",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s",
        "NEWSBOT_ZERO_ALARM=False",
        "-s",
        "LOG_LEVEL=INFO",
        # Both runs alike: commit by count, and do not sit out the last batch's 5 s timer.
        "-s",
        "NEWSBOT_INDEX_COMMIT_SECONDS=1",
    )
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"crawl failed: {done.stderr[-2000:]}")
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", done.stderr).group(1))
    items = int(re.search(r"'item_scraped_count': (\d+)", done.stderr).group(1))
    return items, elapsed


def library_rates(pages: dict[str, bytes], work: Path) -> list[tuple[str, float]]:
    """MB/s of HTML through each library, writing gzip-per-record files and reading them."""
    from fastwarc.warc import ArchiveIterator
    from warcio.archiveiterator import ArchiveIterator as WarcioIterator
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    raw = sum(map(len, pages.values()))
    rows = []
    start = time.perf_counter()
    fast_file = work / "fastwarc.warc.gz"
    with open(fast_file, "wb") as handle:
        for path, page in pages.items():
            exchange = Exchange(
                f"https://www.nytimes.com{path}",
                "2021-06-07T12:00:00Z",
                "GET",
                b"",
                "HTTP/1.1",
                200,
                "OK",
                b"Content-Type: text/html\r\n",
                page,
            )
            handle.write(exchange_members(exchange, None))
    rows.append(("newsbot.warc.records write (ISA-L)", raw / (time.perf_counter() - start)))
    start = time.perf_counter()
    warcio_file = work / "warcio.warc.gz"
    with open(warcio_file, "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        for path, page in pages.items():
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            request = b"GET " + path.encode() + b" HTTP/1.1\r\nHost: www.nytimes.com\r\n\r\n"
            for kind, payload in (("response", page), ("request", request)):
                record = writer.create_warc_record(
                    f"https://www.nytimes.com{path}",
                    kind,
                    payload=io.BytesIO(payload),
                    http_headers=http if kind == "response" else None,
                )
                writer.write_record(record)
    rows.append(("warcio write", raw / (time.perf_counter() - start)))
    start = time.perf_counter()
    for record in ArchiveIterator(str(warcio_file), parse_http=False):
        record.reader.read()
    rows.append(("fastwarc read", raw / (time.perf_counter() - start)))
    start = time.perf_counter()
    with open(warcio_file, "rb") as handle:
        for record in WarcioIterator(handle):
            record.content_stream().read()
    rows.append(("warcio read (HTTP parsed)", raw / (time.perf_counter() - start)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="article pages (default 1000)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="crawls with each setting (default 5)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of read+parse and of each ingest (best kept)"
    )
    parser.add_argument("--read-and-parse", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.read_and_parse:
        print(*read_and_parse(args.read_and_parse))
        return 0

    work = Path(tempfile.mkdtemp(prefix="newsbot-bench-ingest-"))
    try:
        pages = generate_pages(args.pages)
        raw = sum(map(len, pages.values()))
        print(f"{len(pages)} pages, {raw / len(pages) / 1000:.0f} KB each on average\n")
        warc = write_warc(pages, work / "generated")

        # The machine's speed drifts by a fifth over seconds: the runs take turns, and each
        # keeps its best.
        runs: dict[str, list[tuple[int, float]]] = {}
        for run in range(args.repeat):
            runs.setdefault("read+parse (reference)", []).append(read_and_parse_apart(warc))
            for procs in (1, 2):
                done = ingest(warc, work, procs, run)
                runs.setdefault(f"newsbot ingest --procs {procs}", []).append(done)
        rows = [(name, *min(measured, key=_seconds)) for name, measured in runs.items()]
        print(f"(best of {args.repeat} runs each, taking turns)")
        print(f"{'run':<32}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'x ref':>7}")
        base = rows[0][1] / rows[0][2]  # the reference's pages/s
        for name, count, seconds in rows:
            rate = count / seconds
            print(f"{name:<32}{count:>7}{seconds:>9.2f}{rate:>9.1f}{rate / base:>7.2f}")

        root = work / "site"
        root.mkdir()
        site_of(pages, root)
        rates: dict[bool, list[float]] = {False: [], True: []}
        with SampleSiteServer(root=root, port=0) as server:
            for run in range(args.rounds):
                for capture in (False, True):
                    items, elapsed = crawl(server, work, capture, run)
                    rates[capture].append(items / elapsed)
        off, on = rates[False], rates[True]
        title = f"crawl ({args.rounds} rounds, off then on)"
        print(f"\n{title:<32}{'best':>9}{'median':>9}")
        print(f"{'capture off (pages/s)':<32}{max(off):>9.1f}{statistics.median(off):>9.1f}")
        print(f"{'capture on (pages/s)':<32}{max(on):>9.1f}{statistics.median(on):>9.1f}")
        # Each round's two crawls ran back to back, so their ratio is the least drifted figure.
        paired = statistics.median(1 - b / a for a, b in zip(off, on, strict=True))
        print(
            f"capture costs {1 - max(on) / max(off):.1%} of crawl throughput (best against "
            f"best), {paired:.1%} (median of the rounds' pairs)"
        )

        captured = sum(p.stat().st_size for p in (work / "crawl-on-0" / "warc").glob("*.warc.gz"))
        generated = warc.stat().st_size
        print(f"\nWARC bytes / raw HTML bytes: {generated / raw:.3f} (ingest file)")
        print(f"  crawl capture incl. requests, robots.txt, sitemap: {captured / raw:.3f}")

        print(f"\n{'library':<40}{'MB/s of HTML':>13}")
        for name, rate in library_rates(pages, work):
            print(f"{name:<40}{rate / 1e6:>13.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
