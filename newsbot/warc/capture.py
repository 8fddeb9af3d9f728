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

The middleware formats the headers and writes the exchange into a spool in memory; the capture
process (`capture_worker`, at the lowest CPU priority) builds, digests, compresses and appends
the records, so the crawl's reactor never waits on gzip, SHA-1 or the disk, nor for the GIL,
unless `NEWSBOT_WARC_QUEUE_SIZE` responses are waiting (then it waits rather than lose one).
Each record is its own gzip member, written and flushed whole: after a SIGKILL every record but
possibly the last is readable. The file being written is named `*.warc.gz.open`; a finished file
loses the suffix, and the next crawl in the directory cuts an abandoned `.open` file back to its
last whole record and finishes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import mmap
import os
import pickle
import select
import subprocess
import sys
import tempfile
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsbot import PROJECT_URL, __version__
from newsbot.parsers.version import PARSER_VERSION
from newsbot.pipes import LENGTH, send_message
from newsbot.warc.capture_worker import SPOOLED, CaptureReport, exchange_fields
from newsbot.warc.files import OPEN_SUFFIX, default_warc_dir
from newsbot.warc.records import Exchange, warc_date

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

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


def warc_dir_from(settings: BaseSettings) -> Path:
    """`NEWSBOT_WARC_DIR`, else `default_warc_dir(NEWSBOT_INDEX_DIR)`."""
    configured = settings.get("NEWSBOT_WARC_DIR") or ""
    if configured:
        return Path(configured)
    return default_warc_dir(Path(settings.get("NEWSBOT_INDEX_DIR") or "index"))


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


# The spool's size at start. It grows when a backlog or one large response needs more; past
# SPOOL_KEEP_BYTES it goes back to the start size the next time the capture process has caught
# up. Below that it keeps its size: shrinking after every backlog and growing again at the next
# cost a 2-4 ms stall each time, zeroing the new pages.
SPOOL_START_BYTES = 8 << 20
SPOOL_KEEP_BYTES = 64 << 20


class Spool:
    """The memory file the crawl copies exchanges into and the capture process reads them from.

    Each exchange goes to the lowest place no unread one holds, so the same few pages are
    written over again and again: through `pwritev`, a page of fresh memory cost the kernel an
    allocation, 130 us against 25 for 300 KB, and a copy into the mapped file costs less still
    (docs/warc.md, sixth round). Its size is reserved with `posix_fallocate`, so a lack of
    memory is an OSError here and never a SIGBUS on a write into the map.
    """

    def __init__(self) -> None:
        self.fd = _memory_file()
        self._reserve(SPOOL_START_BYTES)
        # Mapped in at once: a first write into each page would otherwise fault it in.
        populate = getattr(mmap, "MAP_POPULATE", 0)
        self._map = mmap.mmap(self.fd, SPOOL_START_BYTES, flags=mmap.MAP_SHARED | populate)
        self._taken: deque[tuple[int, int]] = deque()  # (start, end) of each unread, oldest first

    def put(self, *parts: bytes) -> int:
        """Copy the parts in, one after another; the offset of the first."""
        size = sum(len(part) for part in parts)
        if not self._taken and len(self._map) > SPOOL_KEEP_BYTES:
            self._map.resize(SPOOL_START_BYTES)  # caught up after a long backlog: memory back
        offset = first_gap(self._taken, size)
        if offset + size > len(self._map):
            grown = max(offset + size, 2 * len(self._map))
            self._reserve(grown)
            self._map.resize(grown)
        at = offset
        for part in parts:
            self._map[at : at + len(part)] = part
            at += len(part)
        self._taken.append((offset, at))
        return offset

    def read(self, count: int) -> None:
        """The capture process has read the `count` oldest exchanges: their room is free."""
        for _ in range(min(count, len(self._taken))):
            self._taken.popleft()

    def unread(self) -> int:
        return len(self._taken)

    def size(self) -> int:
        return len(self._map)

    def close(self) -> None:
        self._map.close()
        os.close(self.fd)

    def _reserve(self, size: int) -> None:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(self.fd, 0, size)
        else:
            os.ftruncate(self.fd, size)


class CaptureWriter:
    """The crawl's handle on its capture process (`newsbot.warc.capture_worker`), which appends
    the exchanges to `<dir>/<prefix>-<time>-<serial>-<crawl pid>.warc.gz`."""

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
        self.queue_size = max(1, queue_size)
        self.report = CaptureReport()
        self.waits = 0  # submits that found `queue_size` responses waiting, and waited
        self._process: subprocess.Popen[bytes] | None = None
        self._spool: Spool | None = None
        self._written = 0  # exchanges the process has dealt with, as it last said
        self._answers = bytearray()  # what the process said, not yet read as messages
        self._failed = False
        self._reported = False

    @property
    def pid(self) -> int | None:
        """The capture process's pid, while it runs."""
        return self._process.pid if self._process is not None else None

    def written(self) -> int:
        """How many exchanges the process has dealt with so far (written, refused or lost)."""
        if self._process is not None:
            self._hear()
        return self._written

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.report.recovered = recover_abandoned(self.directory)
        self._spool = spool = Spool()
        arguments = [self.prefix, str(self.max_bytes), str(os.getpid()), str(spool.fd)]
        process = subprocess.Popen(
            [sys.executable, "-m", "newsbot.warc.capture_worker", str(self.directory), *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=(spool.fd,),
        )
        assert process.stdin is not None and process.stdout is not None
        send_message(process.stdin, self.info)
        # Its answers are read whenever the crawl hands an exchange over, never waited for
        # unless `queue_size` exchanges are waiting.
        os.set_blocking(process.stdout.fileno(), False)
        self._process = process

    def submit(self, exchange: Exchange) -> None:
        if self._process is not None:
            self._hear()
        if self._failed or self._process is None:
            self.report.lost += 1
            return
        assert self._process.stdin is not None and self._spool is not None
        spool = self._spool
        if spool.unread() >= self.queue_size:
            self.waits += 1
            self._wait(lambda: spool.unread() < self.queue_size or self._failed)
            if self._failed:
                self.report.lost += 1
                return
        fields, body = exchange_fields(exchange), exchange.body
        try:
            offset = self._spool.put(fields, body)
            place = SPOOLED.pack(offset, len(fields), len(body))
            # A pipe holds 4,096 places or more, and at most `queue_size` are ever in it.
            os.write(self._process.stdin.fileno(), place)
        except BrokenPipeError:
            self._gone()  # counts this exchange too: it is in the spool, unread
        except OSError as error:  # memory ran out
            self.report.lost += 1
            self._fail(f"cannot spool a response: {error.strerror or error}")

    def close(self) -> CaptureReport:
        if self._process is None:
            return self.report
        assert self._process.stdin is not None and self._process.stdout is not None
        with contextlib.suppress(OSError):
            self._process.stdin.close()  # the end of input: the process writes the rest, reports
        self._wait(lambda: False)  # the report comes last
        self._process.stdout.close()
        self._process.wait()
        self._process = None
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        return self.report

    def _hear(self) -> bool:
        """Take in what the process has said so far, without waiting; False once it ended."""
        assert self._process is not None and self._process.stdout is not None
        try:
            while chunk := os.read(self._process.stdout.fileno(), 1 << 16):
                self._answers += chunk
                self._take_answers()
        except BlockingIOError:
            return True
        if not self._reported:
            self._gone()
        return False

    def _gone(self) -> None:
        """The process ended before its report: what it had not written is lost."""
        assert self._process is not None
        try:
            status: int | None = self._process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            status = None
        if self._spool is not None:
            self.report.lost += self._spool.unread()
            self._spool.read(self._spool.unread())
        self._fail(f"the capture process stopped (exit status {status})")

    def _wait(self, done: Callable[[], bool]) -> None:
        """Hear the process until `done()`, or until it ends."""
        assert self._process is not None and self._process.stdout is not None
        answers = select.poll()  # not select(): a crawl may hold more than 1,024 descriptors
        answers.register(self._process.stdout.fileno(), select.POLLIN)
        while self._hear():
            if done():
                return
            answers.poll()

    def _take_answers(self) -> None:
        while len(self._answers) >= LENGTH.size:
            (length,) = LENGTH.unpack_from(self._answers)
            if len(self._answers) < LENGTH.size + length:
                return
            kind, *details = pickle.loads(self._answers[LENGTH.size : LENGTH.size + length])
            del self._answers[: LENGTH.size + length]
            if kind == "written":
                if self._spool is not None:
                    self._spool.read(details[0] - self._written)
                self._written = details[0]
            elif kind == "error":
                logger.error("%s", details[0])
            elif kind == "failed":
                self._fail(details[0])
            elif kind == "report":
                self.report.records, self.report.files, self.report.bytes, lost = details
                self.report.lost += lost
                self._reported = True

    def _fail(self, reason: str) -> None:
        if self._failed:
            return
        self._failed = True
        logger.error("WARC capture stopped, the crawl goes on without it: %s", reason)


def first_gap(taken: Iterable[tuple[int, int]], size: int) -> int:
    """The lowest offset where `size` bytes overlap none of the `taken` (start, end) ranges."""
    at = 0
    for start, end in sorted(taken):
        if start - at >= size:
            return at
        at = max(at, end)
    return at


def _memory_file() -> int:
    """A file in memory for the spool (memfd on Linux; elsewhere an unlinked temporary file)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("newsbot-warc-spool", os.MFD_CLOEXEC)
    handle, path = tempfile.mkstemp(prefix="newsbot-warc-spool-")
    os.unlink(path)
    return handle


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
