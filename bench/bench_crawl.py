"""Crawl throughput: a bare Scrapy spider against `scrapy crawl americas`, on one local mirror.

    .venv/bin/python bench/bench_crawl.py [--pages 1000] [--no-bare] [--keep DIR]
                                          [--set NAME=VALUE ...] [--server memory|files]

Serves a generated mirror of `--pages` article pages on 127.0.0.1 (from a separate process, so
the server does not share the crawl's core; from memory, or with `--server files` written to
disk and served by `python -m http.server`, as a user's own mirror may well be): article
pages in the 2021+ `data-testid` markup shape of tests/fixtures/articles/testid.html, with
800-1,200 words of generated text
(bench/corpus.py) and about 280 KB of inline scripts, as a real 2021+ page carries; a news
sitemap that lists them all; robots.txt. Then, in the same run and with the same Scrapy settings
(`DOWNLOAD_DELAY=0`, `AUTOTHROTTLE_ENABLED=False`):

1. a bare spider that reads the sitemap and fetches every page, doing nothing with it;
2. `scrapy crawl americas` (extraction, every pipeline, the index) into a fresh index.

Prints pages/s for both and their ratio, each crawl's peak RSS, the time from the last article
response to the end of the crawl, and where the full crawl's time goes: `StageTimer` (below) is
added to the crawl as an extension and times the spider's article callback, every pipeline, the
index commits and the crawl state, with the rest (download, Scrapy's engine, waiting) as the
remainder of the wall time. Timings are noisy on a shared machine: compare rows of one run.
"""

from __future__ import annotations

import argparse
import functools
import gc
import gzip
import importlib
import json
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
SITE = "https://www.nytimes.com"
SCRIPT_BYTES = 280_000
_ARTICLE_NUMBER = re.compile(r"-(\d+)\.html$")
# The vocabulary of the generated app state (see Mirror._script_chunk).
_BLOCK_TYPES = (
    "ParagraphBlock", "TextInline", "Heading2Block", "ImageBlock", "Byline", "Person", "Image",
    "ImageCrop", "ImageRendition", "Timestamp", "Section", "Tag", "Url", "Promo",
)  # fmt: skip
_BLOCK_KEYS = (
    "id", "text", "formats", "url", "width", "height", "name", "displayName", "uri", "credit",
    "caption", "crops", "renditions", "firstPublished", "lastModified", "sourceId", "headline",
    "summary", "kicker",
)  # fmt: skip
_RENDITIONS = ("articleLarge", "superJumbo", "thumbStandard", "mediumThreeByTwo440")
_CONSTANTS = ("[]", "null", "true", "false", '"LEFT"', '""', '"CENTER"', "0")

# What StageTimer times, in the order printed: label -> "module:attribute[.method]". Labels
# starting with "  " are parts of the stage above them (not added to the total). Targets that
# do not exist in the checkout under test are skipped, so the same bench runs on old and new code.
STAGES = {
    "parse (response.text + parse_article)": "newsbot.spiders.section:SectionSpider.parse_article",
    "clean pipeline": "newsbot.pipelines.clean:CleanPipeline.process_item",
    "  of which strip_controls": "newsbot.pipelines.clean:strip_controls",
    "validate pipeline": "newsbot.pipelines.validate:ValidatePipeline.process_item",
    "dedupe pipeline": "newsbot.pipelines.dedupe:DedupePipeline.process_item",
    "  of which minhash": "newsbot.pipelines.dedupe:minhash",
    "index pipeline (queue the document)": "newsbot.search.writer:ArchiveWriter.put",
    "index commit (Whoosh)": "newsbot.search.writer:ArchiveWriter.commit",
    "index commit (Whoosh, in its own process)": "newsbot.search.commit_worker:CommitWorker.write",
    "dedupe store commit": "newsbot.state.dedupe_store:DedupeStore.commit",
    "crawl state (record + commit)": "newsbot.crawlstate:CrawlState.record",
    "crawl state commit": "newsbot.crawlstate:CrawlState.commit",
    "WARC capture (the hand-over to its process)": "newsbot.warc.capture:CaptureWriter.submit",
}


# -- the mirror ------------------------------------------------------------------------------


class Mirror:
    """Pages of the generated site, made on request: page n is the same bytes in every run."""

    def __init__(self, pages: int) -> None:
        sys.path.insert(0, str(BENCH_DIR))
        from corpus import Corpus

        self.pages = pages
        self.corpus = Corpus()
        rng = random.Random(7)
        # A pool of script chunks; each page strings a different selection of them together.
        self.chunks = [self._script_chunk(rng) for _ in range(32)]
        self.sitemap = gzip.compress(self._sitemap().encode(), compresslevel=1)
        # Generated up front, so that serving a page costs the server little CPU: it shares
        # the machine with the crawls it serves.
        self.items = [self.corpus.article(n) for n in range(pages)]

    def path(self, number: int) -> str:
        month, day = 1 + number % 12, 1 + number % 28
        return f"/2026/{month:02d}/{day:02d}/world/americas/story-{number}.html"

    def _script_chunk(self, rng: random.Random) -> str:
        """App state shaped like a 2021+ page's `__preloadedData`: typed blocks whose fields are
        mostly structure (ids and image URLs that recur within the page, constants) and partly
        text. Its gzip ratio is what matters here, since capture compresses every page: level
        6 makes about 0.18 of these pages and 0.15 of the real pages of ../shared/nyt-corpus
        (random words and numbers, as this bench had before, made 0.44 and cost gzip 2.4 times
        the time a real page does). docs/crawl-throughput.md has the measurements."""
        text = self.corpus._text
        ids = [f'"{rng.choice(_BLOCK_TYPES)}:{rng.randrange(16**8):08x}"' for _ in range(24)]
        urls = [
            f'"https://static01.nyt.com/images/2026/{rng.randint(1, 12):02d}/'
            f'{rng.randint(1, 28):02d}/{text(rng, 1)}-{rng.choice(_RENDITIONS)}.jpg"'
            for _ in range(12)
        ]
        blocks = []
        size = 0
        while size < SCRIPT_BYTES // 4:
            fields = []
            for key in rng.sample(_BLOCK_KEYS, rng.randint(2, 6)):
                draw = rng.random()
                if draw < 0.1:
                    value = '"' + text(rng, rng.randint(3, 10)) + '"'
                elif draw < 0.2:
                    value = str(rng.randrange(10 ** rng.randint(1, 4)))
                elif draw < 0.35:
                    value = rng.choice(ids)
                elif draw < 0.45:
                    value = rng.choice(urls)
                else:
                    value = rng.choice(_CONSTANTS)
                fields.append(f'"{key}":{value}')
            block = f'{{"__typename":"{rng.choice(_BLOCK_TYPES)}",' + ",".join(fields) + "}"
            blocks.append(block)
            size += len(block) + 1
        return '"blocks":[' + ",".join(blocks) + "]"

    def _sitemap(self) -> str:
        urls = "".join(
            f"<url><loc>{SITE}{self.path(n)}</loc><lastmod>2026-01-01T00:00:00Z</lastmod></url>\n"
            for n in range(self.pages)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{urls}</urlset>\n"
        )

    def article(self, number: int) -> bytes:
        item = self.items[number]
        url = SITE + self.path(number)
        headline, summary = item["headline"], item["summary"]
        paragraphs = "\n".join(
            f'<p class="css-at9mc1 evys1bk0">{p}</p>' for p in item["body"].split("\n\n")
        )
        authors = item["authors"]
        jsonld = json.dumps(
            {
                "@context": "http://schema.org",
                "@type": "NewsArticle",
                "headline": headline,
                "description": summary,
                "url": url,
                "mainEntityOfPage": url,
                "inLanguage": "en",
                "datePublished": item["published"],
                "author": [{"@type": "Person", "name": name} for name in authors],
                "keywords": item["tags"],
            }
        )
        chunks = [self.chunks[(number * 7 + k * 3) % len(self.chunks)] for k in range(4)]
        scripts = "\n".join(
            f"<script>window.__chunk{k} = {{{chunk}}};</script>" for k, chunk in enumerate(chunks)
        )
        bylines = " and ".join(f'<span itemprop="name">{a}</span>' for a in authors)
        caption = item["captions"][0]
        page = f"""<!DOCTYPE html>
<html lang="en" class="story nytapp-vi-article">
<head>
<meta charset="utf-8">
<title>{headline} - The New York Times</title>
<link data-rh="true" rel="canonical" href="{url}">
<meta data-rh="true" property="og:url" content="{url}">
<meta data-rh="true" property="og:type" content="article">
<meta data-rh="true" property="og:title" content="{headline}">
<meta data-rh="true" name="description" content="{summary}">
<meta data-rh="true" property="article:published_time" content="{item["published"]}">
<meta data-rh="true" name="byl" content="{item["byline"]}">
<meta data-rh="true" property="article:section" content="World">
<meta data-rh="true" name="CG" content="world">
<meta data-rh="true" name="SCG" content="americas">
<meta data-rh="true" name="PT" content="article">
<script data-rh="true" type="application/ld+json">{jsonld}</script>
</head>
<body>
<div id="app"><main id="site-content"><div>
<article id="story">
<header>
<h1 data-testid="headline">{headline}</h1>
<p id="article-summary">{summary}</p>
<figure class="sizeLarge" aria-label="media" role="group">
<figcaption><span>{caption["text"]}</span>
<span itemprop="copyrightHolder"><span>Credit...</span><span>{caption["credit"]}</span></span>
</figcaption>
</figure>
<p><span class="byline-prefix">By </span>{bylines}</p>
<time datetime="{item["published"]}">{item["published"][:10]}</time>
</header>
<section class="meteredContent" name="articleBody" itemprop="articleBody">
<div class="StoryBodyCompanionColumn" data-testid="companionColumn-0"><div>
{paragraphs}
</div></div>
</section>
</article>
</div></main></div>
{scripts}
</body>
</html>
"""
        return page.encode("utf-8")

    def answer(self, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nDisallow: /search\n"
        if path == "/sitemaps/new/news.xml.gz":
            return 200, "application/gzip", self.sitemap
        match = _ARTICLE_NUMBER.search(path)
        if match and int(match[1]) < self.pages and path == self.path(int(match[1])):
            return 200, "text/html; charset=utf-8", self.article(int(match[1]))
        return 404, "text/plain", b"not found\n"


def write_mirror(pages: int, root: Path) -> None:
    """The mirror as files under `root`, for a file server (`--server files`)."""
    mirror = Mirror(pages)
    paths = ["/robots.txt", "/sitemaps/new/news.xml.gz", *map(mirror.path, range(pages))]
    for path in paths:
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(mirror.answer(path)[2])


def serve_files(root: Path) -> tuple[subprocess.Popen, int]:
    """`python -m http.server` over `root`, the mirror a user is likely to put up: one thread
    per connection, every page read from disk, a connection per request (HTTP/1.0)."""
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    found = re.search(r"port (\d+)", server.stdout.readline()) if server.stdout else None
    if not found:
        server.kill()
        raise SystemExit("python -m http.server did not start")
    return server, int(found[1])


def serve(pages: int, port_queue: Any) -> None:
    """Run the mirror until killed (the target of the server process)."""
    mirror = Mirror(pages)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, content_type, body = mirror.answer(self.path.split("?", 1)[0])
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


# -- the crawls ------------------------------------------------------------------------------


def run_bare_spider(site_url: str, out: Path) -> None:
    """The reference: the project's download settings, no pipelines, no extensions, no parsing."""
    import scrapy
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    last_response = [0.0]

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self) -> Any:
            yield scrapy.Request(site_url + "/sitemaps/new/news.xml.gz", callback=self.sitemap)

        def sitemap(self, response: scrapy.http.Response) -> Any:
            body = gzip.decompress(response.body).decode()
            for loc in re.findall(r"<loc>([^<]+)</loc>", body):
                yield scrapy.Request(loc.replace(SITE, site_url), callback=self.page)

        def page(self, response: scrapy.http.Response) -> None:
            last_response[0] = time.time()

    settings = get_project_settings()
    settings.setdict(
        {
            "ITEM_PIPELINES": {},
            "EXTENSIONS": {},
            "DOWNLOADER_MIDDLEWARES": {},
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "FEEDS": {},
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)

    def closed(spider: scrapy.Spider) -> None:
        stats = crawler.stats.get_stats()
        out.write_text(
            json.dumps(
                {
                    "pages": stats.get("response_received_count", 0) - 2,  # robots, sitemap
                    "started": stats["start_time"].timestamp(),
                    "last_response": last_response[0],
                    "closed": time.time(),
                }
            )
        )

    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler)
    process.start()


class StageTimer:
    """Scrapy extension (bench only): wraps each `STAGES` target, and writes the totals and the
    crawl's timeline to `BENCH_STAGES_PATH` when the spider closes.

    It patches classes and functions when the extension is built, which is before Scrapy builds
    the pipelines, so their bound methods are the timed ones. A generator (the article
    callback) is consumed inside the timing, so parsing is counted where it happens."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.threads: dict[str, set[str]] = defaultdict(set)
        self.started = time.time()
        self.last_article_response = 0.0
        for label, target in STAGES.items():
            self._patch(label, target)
        self._gc_started = 0.0
        gc.callbacks.append(self._collecting)

    def _collecting(self, phase: str, info: dict[str, Any]) -> None:
        # Garbage collections run inside whatever stage allocated last: "of which", not a stage.
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        label = f"  of which garbage collection (gen {info['generation']})"
        self.totals[label] += time.perf_counter() - self._gc_started
        self.calls[label] += 1
        self.threads[label].add(threading.current_thread().name)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StageTimer:
        from scrapy import signals

        timer = cls(Path(crawler.settings.get("BENCH_STAGES_PATH")))
        crawler.signals.connect(timer.response_received, signal=signals.response_received)
        crawler.signals.connect(timer.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(timer.spider_closed, signal=signals.spider_closed)
        timer.crawler = crawler
        return timer

    def _patch(self, label: str, target: str) -> None:
        module_name, _, attribute = target.partition(":")
        try:
            owner: Any = importlib.import_module(module_name)
        except ModuleNotFoundError:  # a checkout from before that module
            return
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        original = getattr(owner, name, None) if owner is not None else None
        if original is None:
            return
        is_generator = name == "parse_article"

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                result = original(*args, **kwargs)
                return list(result) if is_generator else result
            finally:
                self.totals[label] += time.perf_counter() - start
                self.calls[label] += 1
                self.threads[label].add(threading.current_thread().name)

        setattr(owner, name, timed)

    def spider_opened(self, spider: Any) -> None:
        self.started = time.time()

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        if response.url.endswith(".html"):
            self.last_article_response = time.time()

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        self.out.write_text(
            json.dumps(
                {
                    "pages": stats.get("newsbot/articles/parsed", 0),
                    "stored": stats.get("item_scraped_count", 0),
                    "reason": reason,
                    "started": self.started,
                    "last_response": self.last_article_response,
                    "closed": time.time(),
                    "totals": self.totals,
                    "calls": self.calls,
                    "threads": {k: sorted(v) for k, v in self.threads.items()},
                }
            )
        )


# The mirror's server process, whose CPU time each crawl is charged with (see run_measured).
_SERVER_PID: list[int] = []


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_measured(command: list[str], env: dict[str, str]) -> tuple[int, float, float, float]:
    """Run `command`; return its exit status, its peak RSS in MiB, the CPU seconds it used
    (with the children it waited for: the commit process), and the server's CPU seconds."""
    server_before = sum(process_cpu_seconds(pid) for pid in _SERVER_PID)
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    stderr = threading.Thread(target=_tail, args=(process.stderr,), daemon=True)
    stderr.start()
    _, status, usage = os.wait4(process.pid, 0)
    server_cpu = sum(process_cpu_seconds(pid) for pid in _SERVER_PID) - server_before
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr.join()
    cpu = usage.ru_utime + usage.ru_stime
    return process.returncode, usage.ru_maxrss / 1024, cpu, server_cpu


_TAILS: list[bytes] = []


def _tail(stream: Any) -> None:
    # Keep the end of the log for an error report, without holding all of it.
    for line in stream:
        _TAILS.append(line)
        del _TAILS[:-40]


def crawl_full(
    site_url: str, work: Path, extra: list[str] | None = None
) -> tuple[dict[str, Any], float]:
    from newsbot import settings as project_settings

    extensions = {**project_settings.EXTENSIONS, "bench_crawl.StageTimer": 900}
    out = work / "stages.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(ROOT)])}
    command = [
        sys.executable, "-m", "scrapy", "crawl", "americas",
        "-s", f"NEWSBOT_SITE={site_url}",
        "-s", f"NEWSBOT_INDEX_DIR={work / 'index'}",
        "-s", f"NEWSBOT_FEED_DIR={work / 'feeds'}",
        "-s", "NEWSBOT_DISCOVER_FRONT=False",
        "-s", "NEWSBOT_DISCOVER_RSS=False",
        "-s", "DOWNLOAD_DELAY=0",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "LOG_LEVEL=WARNING",
        "-s", f"EXTENSIONS={json.dumps(extensions)}",
        "-s", f"BENCH_STAGES_PATH={out}",
    ]  # fmt: skip
    for setting in extra or []:
        command += ["-s", setting]
    status, rss, cpu, server_cpu = run_measured(command, env)
    if status != 0 or not out.exists():
        sys.stderr.write(b"".join(_TAILS).decode(errors="replace"))
        raise SystemExit(f"the full crawl failed (exit {status})")
    return {**json.loads(out.read_text()), "cpu": cpu, "server_cpu": server_cpu}, rss


def crawl_bare(site_url: str, work: Path) -> tuple[dict[str, Any], float]:
    out = work / "bare.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(ROOT)])}
    command = [sys.executable, __file__, "--bare-spider", site_url, "--bare-out", str(out)]
    status, rss, cpu, server_cpu = run_measured(command, env)
    if status != 0 or not out.exists():
        sys.stderr.write(b"".join(_TAILS).decode(errors="replace"))
        raise SystemExit(f"the bare spider failed (exit {status})")
    return {**json.loads(out.read_text()), "cpu": cpu, "server_cpu": server_cpu}, rss


def rate(result: dict[str, Any]) -> float:
    return result["pages"] / max(1e-9, result["closed"] - result["started"])


def print_cpu(rows: list[tuple[str, tuple[dict[str, Any], float] | None]]) -> None:
    """CPU per page, by process, against what the machine's cores offer in the crawl's time.

    The crawl's CPU includes its start-up and its commit process; "cores' worth" is the CPU
    of crawl and server over the crawl's wall time, which the core count bounds."""
    cores = os.cpu_count() or 1
    print(f"CPU ms per page ({cores} cores)   crawl process  server   total  cores' worth")
    for name, measured in rows:
        if measured is None:
            continue
        result = measured[0]
        pages = max(1, result["pages"])
        wall = max(1e-9, result["closed"] - result["started"])
        crawl, server = result["cpu"], result["server_cpu"]
        print(
            f"{name:30} {1000 * crawl / pages:14.2f} {1000 * server / pages:7.2f} "
            f"{1000 * (crawl + server) / pages:7.2f} {(crawl + server) / wall:13.2f}"
        )


def print_report(
    pages: int,
    bare: tuple[dict[str, Any], float] | None,
    full: tuple[dict[str, Any], float],
    server: str = "memory",
) -> None:
    full_result = full[0]
    by = "from memory" if server == "memory" else "by python -m http.server, from files"
    print(f"{pages} pages of about {SCRIPT_BYTES // 1000 + 20} KB, served {by} on 127.0.0.1")
    print()
    print(f"{'crawl':34} {'pages':>6} {'pages/s':>8} {'peak RSS MiB':>13} {'tail s':>7}")
    rows = [("bare Scrapy spider", bare), ("scrapy crawl americas", full)]
    for name, measured in rows:
        if measured is None:
            continue
        result, rss = measured
        tail = result["closed"] - result["last_response"]
        print(f"{name:34} {result['pages']:6d} {rate(result):8.1f} {rss:13.0f} {tail:7.2f}")
    if bare is not None:
        print(f"{'ratio full / bare':34} {'':6} {rate(full_result) / rate(bare[0]):8.2f}")
    print(f"(stored {full_result['stored']} articles; finish reason {full_result['reason']};")
    print(" tail = from the last article response to the end of the crawl)")
    print()
    print_cpu(rows)
    print()
    wall = full_result["closed"] - full_result["started"]
    print(f"where the full crawl's {wall:.1f} s go")
    print(f"{'stage':40} {'s':>7} {'ms/page':>8} {'% wall':>7} {'calls':>6}  thread")
    counted = 0.0
    n = max(1, full_result["pages"])
    for label in STAGES:
        if label not in full_result["totals"]:
            continue
        seconds = full_result["totals"][label]
        threads = ",".join(sorted({t.split("_")[0] for t in full_result["threads"][label]}))
        on_reactor = threads == "MainThread"
        if not label.startswith(" ") and on_reactor:
            counted += seconds
        print(
            f"{label:40} {seconds:7.2f} {1000 * seconds / n:8.2f} "
            f"{100 * seconds / wall:6.1f}% {full_result['calls'][label]:6d}  {threads}"
        )
    for label in sorted(label for label in full_result["totals"] if "garbage" in label):
        seconds = full_result["totals"][label]
        print(
            f"{label:40} {seconds:7.2f} {1000 * seconds / n:8.2f} "
            f"{100 * seconds / wall:6.1f}% {full_result['calls'][label]:6d}  (any thread)"
        )
    rest = wall - counted
    print(
        f"{'download, engine, waiting (the rest)':40} {rest:7.2f} {1000 * rest / n:8.2f} "
        f"{100 * rest / wall:6.1f}%"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--no-bare", action="store_true", help="run the full crawl only")
    parser.add_argument("--keep", type=Path, help="keep the index and feed in DIR")
    parser.add_argument(
        "--set",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="a Scrapy setting for the full crawl, e.g. NEWSBOT_WARC_ENABLED=False (repeatable)",
    )
    parser.add_argument(
        "--server",
        choices=("memory", "files"),
        default="memory",
        help="memory: pages from memory, HTTP/1.1 keep-alive (the default, and the strictest"
        " reference); files: `python -m http.server` over the mirror written to disk",
    )
    parser.add_argument("--bare-spider", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--bare-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_spider:
        run_bare_spider(args.bare_spider, args.bare_out)
        return 0

    work = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    server: Any
    if args.server == "files":
        write_mirror(args.pages, work / "site")
        server, port = serve_files(work / "site")
        _SERVER_PID.append(server.pid)
    else:
        ports: Any = multiprocessing.Queue()
        server = multiprocessing.Process(target=serve, args=(args.pages, ports), daemon=True)
        server.start()
        port = ports.get(timeout=120)
        _SERVER_PID.append(server.pid)
    try:
        site_url = f"http://127.0.0.1:{port}"
        bare = None if args.no_bare else crawl_bare(site_url, work)
        full = crawl_full(site_url, work, args.set)
        print_report(args.pages, bare, full, args.server)
    finally:
        server.terminate()
        server.wait() if isinstance(server, subprocess.Popen) else server.join()
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
