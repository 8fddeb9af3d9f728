"""Writes every response a crawl fetched, with its request, to rotating WARC 1.1 files.

`WarcCaptureMiddleware` sits at 920 in DOWNLOADER_MIDDLEWARES: its `process_response` runs after
SiteMirrorMiddleware (950) has put the site's own URL back, and before HttpCompression (590),
Redirect (600) and Retry (550) change or replace the response. So a record holds:

- `WARC-Target-URI`: the site URL (`https://www.nytimes.com/...`), even when the crawl fetched a
  mirror; a capture of a mirror is byte for byte a capture of the site. A `Location` header
  naming the mirror was already mapped back by SiteMirrorMiddleware.
- the body as received, still in its Content-Encoding (gzip, br), with that header kept: the
  record is what the server sent. Twisted has already undone chunked Transfer-Encoding by then,
  so that header is dropped and `Content-Length` states the stored body's length.
- redirects, errors and retries too: every answer the crawl got (responses the HTTP cache
  replayed are not fetches and are skipped).

The middleware only copies references into a bounded queue; a writer thread builds, compresses
and appends the records, so the crawl's reactor never waits on gzip or the disk unless the queue
is full (then it waits rather than lose a capture). Each record is its own gzip member, written
and flushed whole: after a SIGKILL every record but possibly the last is readable. The file being
written is named `*.warc.gz.open`; a finished file loses the suffix, and the next crawl in the
directory cuts an abandoned `.open` file back to its last whole record and finishes it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import queue
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsbot import PROJECT_URL, __version__
from newsbot.parsers.version import PARSER_VERSION
from newsbot.warc.files import default_warc_dir
from newsbot.warc.records import Exchange, exchange_members, warcinfo_member

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
STAT = "newsbot/warc"
# Scrapy settings that say how the pages were fetched; they go into every file's warcinfo with
# all NEWSBOT_* settings.
_FETCH_SETTINGS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "AUTOTHROTTLE_ENABLED",
    "RETRY_TIMES",
    "DOWNLOAD_TIMEOUT",
    "COOKIES_ENABLED",
)
_DROPPED_HEADERS = {b"Transfer-Encoding"}
_STOP = object()


def warc_dir_from(settings: BaseSettings) -> Path:
    """`NEWSBOT_WARC_DIR`, else `default_warc_dir(NEWSBOT_INDEX_DIR)`."""
    configured = settings.get("NEWSBOT_WARC_DIR") or ""
    if configured:
        return Path(configured)
    return default_warc_dir(Path(settings.get("NEWSBOT_INDEX_DIR") or "index"))


def warc_date(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def crawl_description(settings: BaseSettings, spider_name: str) -> list[tuple[str, str]]:
    """The warcinfo fields: who made the file, with which parser, and the crawl's settings."""
    chosen = {name: settings.get(name) for name in _FETCH_SETTINGS}
    chosen.update({name: value for name, value in settings.items() if name.startswith("NEWSBOT_")})
    return [
        ("software", f"newsbot/{__version__} (+{PROJECT_URL})"),
        ("format", "WARC File Format 1.1"),
        ("conformsTo", "https://iso.org/standard/68004.html"),
        ("isPartOf", spider_name),
        ("robots", "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"),
        ("http-header-user-agent", str(settings.get("USER_AGENT") or "")),
        ("newsbot-parser-version", PARSER_VERSION),
        ("newsbot-settings", json.dumps(chosen, sort_keys=True, default=str)),
    ]


def _header_lines(headers: Headers, body_length: int | None = None) -> bytes:
    """Headers as `Name: value\r\n` lines; with `body_length`, a Content-Length that matches
    the stored body (chunked framing is gone by the time Scrapy hands the body over)."""
    lines = []
    dechunked = has_length = False
    for name, values in headers.items():
        if name in _DROPPED_HEADERS:
            dechunked = True
            continue
        has_length = has_length or name == b"Content-Length"
        lines.extend(name + b": " + value + b"\r\n" for value in values)
    if body_length is not None and (dechunked or not has_length):
        lines = [line for line in lines if not line.startswith(b"Content-Length:")]
        lines.append(b"Content-Length: %d\r\n" % body_length)
    return b"".join(lines)


def exchange_of(request: Request, response: Response) -> Exchange:
    status = response.status
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return Exchange(
        url=response.url,
        date=warc_date(),
        method=request.method,
        request_headers=_header_lines(request.headers),
        protocol=response.protocol or "HTTP/1.1",
        status=status,
        reason=reason,
        response_headers=_header_lines(response.headers, len(response.body)),
        body=response.body,
        ip_address=str(response.ip_address) if response.ip_address else None,
    )


@dataclass
class CaptureReport:
    records: int = 0  # responses written (each with its request)
    files: int = 0
    bytes: int = 0
    lost: int = 0  # responses not written because writing failed
    recovered: int = 0  # abandoned .open files finished at start


class CaptureWriter:
    """Appends exchanges to `<dir>/<prefix>-<time>-<serial>-<pid>.warc.gz` from a thread."""

    def __init__(
        self,
        directory: Path,
        prefix: str,
        info: list[tuple[str, str]],
        max_bytes: int = 1_000_000_000,
        queue_size: int = 64,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.info = info
        self.max_bytes = max(1, max_bytes)
        self.report = CaptureReport()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, queue_size))
        self._thread: threading.Thread | None = None
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._warcinfo_id: str | None = None
        self._good_size = 0
        self._serial = 0
        self._failed = False
        self.waits = 0

    # -- reactor side ---------------------------------------------------------------------------

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.report.recovered = recover_abandoned(self.directory)
        self._thread = threading.Thread(target=self._run, name="newsbot-warc", daemon=True)
        self._thread.start()

    def submit(self, exchange: Exchange) -> None:
        if self._failed:
            self.report.lost += 1
            return
        if self._queue.full():
            self.waits += 1
        self._queue.put(exchange)

    def close(self) -> CaptureReport:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None
        return self.report

    # -- writer thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            exchange = self._queue.get()
            if exchange is _STOP:
                break
            if self._failed:
                self.report.lost += 1
                continue
            try:
                self._write(exchange)
            except OSError as error:
                self._fail(error)
        self._finish_file()

    def _write(self, exchange: Exchange) -> None:
        if self._file is None:
            self._open_file()
        data = exchange_members(exchange, self._warcinfo_id)
        self._append(data)
        self.report.records += 1
        if self._good_size >= self.max_bytes:
            self._finish_file()

    def _append(self, data: bytes) -> None:
        assert self._file is not None
        self._file.write(data)
        # Into the kernel now: a SIGKILL after this line cannot lose the record.
        self._file.flush()
        self._good_size += len(data)
        self.report.bytes += len(data)

    def _open_file(self) -> None:
        self._serial += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{os.getpid()}.warc.gz"
        self._path = self.directory / (name + OPEN_SUFFIX)
        handle = open(self._path, "xb")  # noqa: SIM115 - held open across records
        # Tells a crawl starting beside this one that the file is alive, not abandoned.
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file = handle
        self._good_size = 0
        self._warcinfo_id, member = warcinfo_member(name, warc_date(), self.info)
        self._append(member)
        self.report.files += 1

    def _finish_file(self) -> None:
        if self._file is None or self._path is None:
            return
        handle, path = self._file, self._path
        self._file = self._path = None
        try:
            # Cut whatever a failed write left after the last whole record.
            handle.truncate(self._good_size)
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as error:
            logger.error("Could not finish the WARC file %s: %s", path, error)
        finally:
            handle.close()
        os.replace(path, path.with_name(path.name[: -len(OPEN_SUFFIX)]))

    def _fail(self, error: OSError) -> None:
        self._failed = True
        self.report.lost += 1
        logger.error(
            "WARC capture stopped, the crawl goes on without it: cannot write %s: %s",
            self._path or self.directory,
            error.strerror or error,
        )


def complete_prefix(path: Path) -> tuple[int, int]:
    """(bytes, records) of the whole gzip members at the start of `path`: where a file cut
    off mid-record must end so every standard reader accepts it."""
    kept = records = 0
    offset = 0
    decompressor = zlib.decompressobj(wbits=31)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            data = chunk
            while data:
                try:
                    decompressor.decompress(data)
                except zlib.error:
                    return kept, records
                if not decompressor.eof:
                    offset += len(data)
                    break
                tail = decompressor.unused_data
                offset += len(data) - len(tail)
                kept, records = offset, records + 1
                decompressor = zlib.decompressobj(wbits=31)
                data = tail
    return kept, records


def recover_abandoned(directory: Path) -> int:
    """Finish every `.open` file no live crawl holds: cut it to its whole records, rename it."""
    recovered = 0
    for path in sorted(directory.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        with open(path, "r+b") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # another crawl is writing it
            size = os.fstat(handle.fileno()).st_size
            kept, records = complete_prefix(path)
            handle.truncate(kept)
            finished = path.with_name(path.name[: -len(OPEN_SUFFIX)])
            os.replace(path, finished)
        logger.warning(
            "WARC file %s was left unfinished by a crawl that did not stop cleanly: kept its "
            "%d whole records, cut %d bytes of a partial one",
            finished,
            records,
            size - kept,
        )
        recovered += 1
    return recovered


class WarcCaptureMiddleware:
    """Downloader middleware: hand every fetched response to a `CaptureWriter`."""

    def __init__(self, writer: CaptureWriter, crawler: Crawler | None = None) -> None:
        self.writer = writer
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_WARC_ENABLED", True):
            raise NotConfigured("NEWSBOT_WARC_ENABLED is off")
        name = getattr(crawler.spidercls, "name", None) or "crawl"
        writer = CaptureWriter(
            warc_dir_from(settings),
            prefix=f"newsbot-{name}",
            info=crawl_description(settings, name),
            max_bytes=settings.getint("NEWSBOT_WARC_MAX_BYTES", 1_000_000_000),
            queue_size=settings.getint("NEWSBOT_WARC_QUEUE_SIZE", 64),
        )
        middleware = cls(writer, crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.writer.start()
        logger.info("Capturing every response to WARC files in %s", self.writer.directory)

    def spider_closed(self, spider: Spider) -> None:
        report = self.writer.close()
        if self.crawler is not None and self.crawler.stats is not None:
            stats = self.crawler.stats
            for name in ("records", "files", "bytes", "lost", "recovered"):
                stats.set_value(f"{STAT}/{name}", getattr(report, name))
            stats.set_value(f"{STAT}/queue_full_waits", self.writer.waits)
        if report.lost:
            logger.error("%d responses were not captured to WARC (see above)", report.lost)

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags or not response.url.startswith(("http://", "https://")):
            return response
        self.writer.submit(exchange_of(request, response))
        return response
