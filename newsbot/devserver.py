"""A local stand-in for nytimes.com: serves the bundled sample site (or any directory) over HTTP.

Every *.nytimes.com host maps onto this one origin with the same path, so one document tree holds
the section front, the articles, the RSS feed, the news sitemap and robots.txt:

    /section/world/americas             -> <root>/section/world/americas/index.html
    /2019/05/14/world/americas/x.html   -> <root>/2019/05/14/world/americas/x.html
    /services/xml/rss/nyt/Americas.xml  -> <root>/services/xml/rss/nyt/Americas.xml
    /sitemaps/new/news.xml.gz           -> <root>/sitemaps/new/news.xml, gzipped on the fly
    /robots.txt                         -> <root>/robots.txt

Query strings never affect which file is served (tracking-parameter URLs still get the page) but
are kept in the request log. Tests can script behaviour at runtime (redirects, transient
failures, slow answers, changed content, removed pages):

    with SampleSiteServer() as server:
        server.fail("/section/world/americas", status=503, times=1)
        ...crawl server.url...
        assert server.paths() == [...]

`GeneratedArchive` answers a whole generated archive from code instead of files: a sitemap index
with one sitemap per month (gzipped and plain, in two file-name shapes), article pages, off-section
URLs, a front, and a news sitemap of many missing or slow URLs; `server.add_route(archive)`.

Command line (runs until Ctrl-C):

    python -m newsbot.devserver [--root DIR] [--host 127.0.0.1] [--port 0] [--log FILE]

Standard library only.
"""

from __future__ import annotations

import argparse
import calendar
import gzip
import hashlib
import json
import posixpath
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, NamedTuple
from urllib.parse import unquote, urlsplit

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "sample_site"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".gz": "application/gzip",
}
RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"


class RequestRecord(NamedTuple):
    """One answered request, in arrival order."""

    method: str
    path: str  # path with query string, exactly as requested
    status: int
    user_agent: str


@dataclass
class _Override:
    body: bytes
    content_type: str
    status: int = 200


@dataclass
class _Failure:
    status: int
    remaining: int


def _normalise_path(target: str) -> str:
    """The path part of a request target, percent-decoded, without query or fragment.

    Accepts origin-form (``/a/b?x``), absolute-form (``http://host/a/b``) and bare paths."""
    if target.startswith(("http://", "https://")):
        target = urlsplit(target).path
    target = target.split("#", 1)[0].split("?", 1)[0]
    return unquote(target) or "/"


class SampleSiteServer:
    """A threaded HTTP server over a document root, with runtime scripting for tests.

    Use as a context manager (``with SampleSiteServer() as s: ... s.url``) or call
    ``start()``/``stop()``. Rule methods take a path (a query string, if given, is ignored) and
    may be called while the server runs; they are thread-safe.
    """

    def __init__(
        self,
        root: str | Path | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        log_file: str | Path | None = None,
    ) -> None:
        self.root = Path(root if root is not None else DEFAULT_ROOT).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"document root {self.root} is not a directory")
        self.host = host
        self._port = port
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._redirects: dict[str, tuple[str, int]] = {}
        self._failures: dict[str, _Failure] = {}
        self._overrides: dict[str, _Override] = {}
        self._removed: set[str] = set()
        self._delays: dict[str, float] = {}
        self._routes: list[Route] = []
        self._log_path = Path(log_file) if log_file else None
        self._log_fh: IO[str] | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> SampleSiteServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        if self._log_path is not None:
            self._log_fh = self._log_path.open("a", encoding="utf-8")
        handler = type("_BoundHandler", (_Handler,), {"site": self})
        self._httpd = ThreadingHTTPServer((self.host, self._port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="sample-site-server", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (CLI mode)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._httpd = None
        self._thread = None
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def __enter__(self) -> SampleSiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server is not running")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Origin to crawl, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        """Local URL for a site path or for a full https://*.nytimes.com URL (host dropped)."""
        parts = urlsplit(path)
        local = parts.path or "/"
        if parts.query:
            local += "?" + parts.query
        return self.url + local

    # --- request log --------------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot copy of every answered request so far, in order."""
        with self._lock:
            return list(self._requests)

    def paths(self, method: str | None = None) -> list[str]:
        """Requested paths (with query strings) in order, optionally for one method."""
        return [r.path for r in self.requests if method is None or r.method == method]

    def hits(self, path: str) -> int:
        """How many requests asked for ``path`` (query strings ignored)."""
        wanted = _normalise_path(path)
        return sum(1 for r in self.requests if _normalise_path(r.path) == wanted)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)
            if self._log_fh is not None:
                entry = {"time": time.time(), **record._asdict()}
                self._log_fh.write(json.dumps(entry) + "\n")
                self._log_fh.flush()

    # --- scripting ----------------------------------------------------------------------------
    def redirect(self, path: str, to: str, code: int = 301) -> None:
        """Answer ``path`` with a redirect to ``to`` (a path or an absolute URL)."""
        with self._lock:
            self._redirects[_normalise_path(path)] = (to, code)

    def fail(self, path: str, status: int = 503, times: int = 1) -> None:
        """Answer ``status`` for the next ``times`` requests of ``path``, then serve normally."""
        with self._lock:
            self._failures[_normalise_path(path)] = _Failure(status, times)

    def override(
        self,
        path: str,
        body: bytes | str,
        content_type: str | None = None,
        status: int = 200,
    ) -> None:
        """Serve ``body`` for ``path`` instead of the file (which need not exist).

        The content type defaults to the one the path's extension implies."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        norm = _normalise_path(path)
        with self._lock:
            self._overrides[norm] = _Override(data, content_type or _guess_type(norm), status)
            self._removed.discard(norm)

    def hang(self, path: str, seconds: float) -> None:
        """Wait ``seconds`` before answering ``path`` (to make a client time out)."""
        with self._lock:
            self._delays[_normalise_path(path)] = seconds

    def remove(self, path: str) -> None:
        """Answer 404 for ``path`` from now on."""
        with self._lock:
            self._removed.add(_normalise_path(path))

    def add_route(self, route: Route) -> None:
        """Answer paths no rule or override covers from ``route(path)``, before files; a route
        returns (status, headers, body), or None to pass. Routes run outside the lock."""
        with self._lock:
            self._routes.append(route)

    def reset(self) -> None:
        """Drop every scripted rule (the request log is kept)."""
        with self._lock:
            self._redirects.clear()
            self._failures.clear()
            self._overrides.clear()
            self._removed.clear()
            self._delays.clear()

    # --- resolution ---------------------------------------------------------------------------
    def resolve(self, path: str) -> Path | None:
        """The file a request path maps to, or None (missing, a directory, or outside root)."""
        parts = [p for p in _normalise_path(path).split("/") if p]
        # No "..", ".", backslashes or NULs at all: nothing outside the root, no aliases inside.
        if any(p in {"..", "."} or "\\" in p or "\x00" in p for p in parts):
            return None
        candidate = self.root.joinpath(*parts)
        try:
            candidate = candidate.resolve()
            candidate.relative_to(self.root)
        except (ValueError, OSError):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if candidate.is_file():
            return candidate
        return None

    def _answer(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for a GET of ``raw_path``."""
        path = _normalise_path(raw_path)
        with self._lock:
            delay = self._delays.get(path, 0.0)
        if delay:
            time.sleep(delay)
        with self._lock:
            failure = self._failures.get(path)
            if failure is not None and failure.remaining > 0:
                failure.remaining -= 1
                status = failure.status
                return status, _text_headers(), f"{status} scripted failure\n".encode()
            if path in self._removed:
                return 404, _text_headers(), b"404 not found\n"
            redirect = self._redirects.get(path)
            override = self._overrides.get(path)
            routes = list(self._routes)
        if redirect is not None:
            to, code = redirect
            return code, {"Location": to, **_text_headers()}, f"moved to {to}\n".encode()
        if override is not None:
            return override.status, {"Content-Type": override.content_type}, override.body
        for route in routes:
            answer = route(path)
            if answer is not None:
                return answer
        found = self.resolve(path)
        if found is not None:
            return 200, {"Content-Type": _guess_type(path)}, found.read_bytes()
        if path.endswith(".gz"):
            plain = self.resolve(path[: -len(".gz")])
            if plain is not None:
                body = gzip.compress(plain.read_bytes(), mtime=0)
                return 200, {"Content-Type": "application/x-gzip"}, body
        return 404, _text_headers(), b"404 not found\n"


Answer = tuple[int, dict[str, str], bytes]
Route = Callable[[str], "Answer | None"]

_WORDS = (
    "harbor",
    "council",
    "river",
    "ministry",
    "vote",
    "drought",
    "canal",
    "farmers",
    "strike",
    "court",
    "border",
    "mayor",
    "election",
    "budget",
    "protest",
    "bridge",
    "port",
    "mine",
    "forest",
    "rain",
    "coast",
    "senate",
    "police",
    "school",
    "clinic",
    "market",
    "copper",
    "coffee",
    "festival",
    "railway",
    "island",
    "fishing",
    "storm",
    "road",
    "tunnel",
    "airport",
    "museum",
)
_SITE = "https://www.nytimes.com"
_EST = timezone(timedelta(hours=-5))


@dataclass
class GeneratedArchive:
    """A generated archive: per month, `per_month` section articles and `off_section` others.

    The sitemap index (`index_path`) names one sitemap per month. Months in `gzip_months` (by
    default every other one) are `/sitemaps/new/sitemap-YYYY-MM.xml.gz`, gzipped; the others are
    `/sitemaps/new/monthly/YYYY/MM/urls.xml`, plain, so only a crawler that follows the index's
    `<loc>`s finds them. Every listed URL has a page. `touch(path)` makes a new revision of an
    article: a later lastmod in its sitemap and a changed page.

    With `by_year`, the index names one index per year (`/sitemaps/new/year/YYYY.xml`), which
    names that year's months. `front` articles (paths) appear on the section front;
    the news sitemap lists the `news` articles (paths), then `news_missing` in-section URLs
    that answer 404, every `slow_every`-th of them after `slow_seconds`.
    """

    months: list[str]  # "YYYY-MM"
    per_month: int = 10
    off_section: int = 3
    section: str = "world/americas"
    gzip_months: set[str] | None = None
    index_path: str = "/sitemaps/new/sitemap.xml.gz"
    front: list[str] = field(default_factory=list)
    news: list[str] = field(default_factory=list)
    news_missing: int = 0
    slow_every: int = 0
    slow_seconds: float = 0.0
    by_year: bool = False
    revisions: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.gzip_months is None:
            self.gzip_months = set(self.months[::2])
        self._lock = threading.Lock()
        self._pages: dict[str, set[str]] = {}  # month -> every article path listed for it

    # -- what is there --------------------------------------------------------------------------

    def sitemap_path(self, month: str) -> str:
        year, number = month.split("-")
        assert self.gzip_months is not None
        if month in self.gzip_months:
            return f"/sitemaps/new/sitemap-{year}-{number}.xml.gz"
        return f"/sitemaps/new/monthly/{year}/{number}/urls.xml"

    def article_paths(self, month: str, section: bool = True) -> list[str]:
        year, number = (int(part) for part in month.split("-"))
        days = calendar.monthrange(year, number)[1]
        where = self.section if section else "sports/soccer"
        count = self.per_month if section else self.off_section
        kind = "story" if section else "match"
        return [
            f"/{year:04d}/{number:02d}/{1 + n * 5 % days:02d}/{where}/{kind}-{month}-{n:05d}.html"
            for n in range(count)
        ]

    def all_article_paths(self) -> list[str]:
        return [p for month in self.months for p in self.article_paths(month)]

    def news_paths(self) -> list[str]:
        return [
            f"/2021/06/11/{self.section}/missing-{n:06d}.html" for n in range(self.news_missing)
        ]

    def touch(self, path: str) -> None:
        with self._lock:
            self.revisions[path] = self.revisions.get(path, 0) + 1

    def published(self, path: str) -> str:
        """The article's first version: a minute after 08:00 New York on its day, from its path."""
        year, month, day = (int(part) for part in path.split("/")[1:4])
        minute = int(hashlib.sha256(path.encode()).hexdigest()[:4], 16) % 600
        return datetime(year, month, day, 8 + minute // 60, minute % 60, tzinfo=_EST).isoformat()

    def lastmod(self, path: str) -> str:
        """The article's latest version: a day after `published` per revision."""
        first = datetime.fromisoformat(self.published(path))
        return (first + timedelta(days=self.revisions.get(path, 0))).isoformat()

    # -- answering ------------------------------------------------------------------------------

    def __call__(self, path: str) -> Answer | None:
        if path == self.index_path:
            if self.by_year:
                years = sorted({m[:4] for m in self.months})
                locs = [(f"/sitemaps/new/year/{y}.xml", None) for y in years]
                return _gz(_index_doc(locs))
            return _gz(self._index(self.months))
        if self.by_year and path.startswith("/sitemaps/new/year/"):
            year = path.rsplit("/", 1)[1].split(".")[0]
            return 200, _XML, self._index([m for m in self.months if m.startswith(year)])
        for month in self.months:
            if path == self.sitemap_path(month):
                body = self._urlset(month)
                return _gz(body) if path.endswith(".gz") else (200, _XML, body)
        if path == "/robots.txt":
            return 200, _TEXT, b"User-agent: *\nDisallow: /search\n"
        if path == f"/section/{self.section}":
            return 200, _HTML, self._front()
        if path == "/sitemaps/new/news.xml.gz" and (self.news or self.news_missing):
            return _gz(self._news())
        if "/missing-" in path:
            number = int(path.rsplit("-", 1)[1].split(".")[0])
            if self.slow_every and number % self.slow_every == 0:
                time.sleep(self.slow_seconds)
            return None
        if path.endswith(".html") and self._listed(path):
            return 200, _HTML, self._article(path)
        return None

    def _listed(self, path: str) -> bool:
        parts = path.split("/")
        month = f"{parts[1]}-{parts[2]}" if len(parts) > 3 else ""
        if month not in self.months:
            return False
        with self._lock:
            if month not in self._pages:
                listed = self.article_paths(month) + self.article_paths(month, section=False)
                self._pages[month] = set(listed)
            return path in self._pages[month]

    def _index(self, months: list[str]) -> bytes:
        locs = [
            (self.sitemap_path(m), max(self.lastmod(p) for p in self.article_paths(m)))
            for m in months
        ]
        return _index_doc(locs)

    def _urlset(self, month: str) -> bytes:
        paths = self.article_paths(month) + self.article_paths(month, section=False)
        entries = [
            f"<url><loc>{_SITE}{p}</loc><lastmod>{self.lastmod(p)}</lastmod></url>" for p in paths
        ]
        return _xml_doc("urlset", entries)

    def _news(self) -> bytes:
        entries = [
            f"<url><loc>{_SITE}{p}</loc><lastmod>2021-06-11T09:00:00-04:00</lastmod></url>"
            for p in [*self.news, *self.news_paths()]
        ]
        return _xml_doc("urlset", entries)

    def _front(self) -> bytes:
        items = ",".join(
            f'{{"@type":"ListItem","position":{n},"url":"{_SITE}{p}"}}'
            for n, p in enumerate(self.front, start=1)
        )
        links = "".join(
            f'<li><article><h2><a href="{p}">Story {n}</a></h2></article></li>'
            for n, p in enumerate(self.front, 1)
        )
        page = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Americas</title>'
            '<script type="application/ld+json">{"@context":"https://schema.org",'
            '"@type":"CollectionPage","mainEntity":{"@type":"ItemList","itemListElement":['
            f'{items}]}}}}</script></head><body><section id="stream-panel"><ol>{links}</ol>'
            "</section></body></html>"
        )
        return page.encode()

    def _article(self, path: str) -> bytes:
        revision = self.revisions.get(path, 0)
        rng = random.Random(f"{path}#{revision}")
        headline = " ".join(rng.choice(_WORDS) for _ in range(6)).capitalize()
        paragraphs = "".join(
            '<p class="css-at9mc1 evys1bk0">'
            + " ".join(rng.choice(_WORDS) for _ in range(40)).capitalize()
            + ".</p>"
            for _ in range(3)
        )
        page = (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{headline}</title>'
            f'<link rel="canonical" href="{_SITE}{path}">'
            f'<meta property="article:published_time" content="{self.published(path)}">'
            f'<meta property="article:modified_time" content="{self.lastmod(path)}">'
            '<meta property="article:section" content="World"></head><body><article>'
            f'<h1 data-testid="headline">{headline}</h1><section name="articleBody">'
            f'{paragraphs}<p class="css-at9mc1 evys1bk0">Revision {revision}.</p>'
            "</section></article></body></html>"
        )
        return page.encode()


_XML = {"Content-Type": "application/xml; charset=utf-8"}
_HTML = {"Content-Type": "text/html; charset=utf-8"}
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def _gz(body: bytes) -> Answer:
    return 200, {"Content-Type": "application/x-gzip"}, gzip.compress(body, mtime=0)


def _index_doc(locs: list[tuple[str, str | None]]) -> bytes:
    entries = [
        f"<sitemap><loc>{_SITE}{path}</loc>"
        + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
        + "</sitemap>"
        for path, lastmod in locs
    ]
    return _xml_doc("sitemapindex", entries)


def _xml_doc(root: str, entries: list[str]) -> bytes:
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    return (head + "\n".join(entries) + f"\n</{root}>\n").encode()


def _guess_type(name: str) -> str:
    lowered = name.lower()
    if (lowered.endswith(".xml") and "/rss/" in lowered) or lowered.endswith(".rss"):
        return RSS_CONTENT_TYPE
    suffix = posixpath.splitext(lowered)[1]
    if not suffix:
        return CONTENT_TYPES[".html"]
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def _text_headers() -> dict[str, str]:
    return {"Content-Type": "text/plain; charset=utf-8"}


class _Handler(BaseHTTPRequestHandler):
    site: SampleSiteServer  # set on the per-server subclass
    server_version = "newsbot-devserver/1"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        try:
            status, headers, body = self.site._answer(self.path)
        except Exception as exc:  # pragma: no cover - a server bug, not a scripted answer
            status, headers, body = 500, _text_headers(), f"500 {exc!r}\n".encode()
        # Log before answering, so a client that has its response can rely on the log entry.
        self.site._record(
            RequestRecord(self.command, self.path, status, self.headers.get("User-Agent", ""))
        )
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting (see `hang`)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Unsupported methods and malformed requests: answer plainly and keep them in the log.
        body = f"{code} {message or HTTPStatus(code).phrase}\n".encode()
        if getattr(self, "command", None) and getattr(self, "path", None):
            headers = getattr(self, "headers", None)
            user_agent = headers.get("User-Agent", "") if headers else ""
            self.site._record(RequestRecord(self.command, self.path, code, user_agent))
        self.send_response(code, message)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the request log replaces stderr chatter


def local_crawl_command(
    site_url: str, index_dir: Path, feed: Path | None = None, *extra: str, spider: str = "americas"
) -> list[str]:
    """`scrapy crawl` against a local copy of the site (the demo, tests): NEWSBOT_SITE points at
    it, and there is no delay between requests, because the server is ours. Later `-s` options in
    `extra` override these."""
    command = [
        sys.executable, "-m", "scrapy", "crawl", spider,
        "-s", f"NEWSBOT_SITE={site_url}",
        "-s", f"NEWSBOT_INDEX_DIR={index_dir}",
        "-s", "DOWNLOAD_DELAY=0",
        "-s", "AUTOTHROTTLE_ENABLED=False",
    ]  # fmt: skip
    if feed is not None:
        command += ["-O", str(feed)]
    return [*command, *extra]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsbot.devserver",
        description="Serve the bundled NYT-shaped sample site (or DIR) on a local port.",
    )
    parser.add_argument(
        "--root", default=str(DEFAULT_ROOT), help="document root (default: %(default)s)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    parser.add_argument("--log", metavar="FILE", help="append every request to FILE as JSON lines")
    args = parser.parse_args(argv)
    try:
        server = SampleSiteServer(root=args.root, port=args.port, host=args.host, log_file=args.log)
    except FileNotFoundError as exc:
        print(f"devserver: {exc}", file=sys.stderr)
        return 2
    server.start()
    print(f"Serving {server.root} on {server.url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
