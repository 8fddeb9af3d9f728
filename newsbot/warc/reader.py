"""Read captures out of WARC files made by anyone: newsbot, wget, Browsertrix, Common Crawl.

Two passes, so that captures can be put in date order and parsed anywhere: `CaptureReader.locate()`
finds every HTML response worth parsing (URL from WARC-Target-URI, date from WARC-Date, file and
offset); `read_capture(located)` reads one back, its HTTP body de-chunked and decoded of its
Content-Encoding, in whichever process parses it. Everything not located is counted in
`ReadReport`, never silently dropped:

- `revisit` records (a later visit that found the same payload) are resolved to the response
  they point at, by payload digest or by WARC-Refers-To target and date, among the files read;
  they yield that response's body with the revisit's own date.
- responses that are not HTML, not 200, or not an article URL the caller wants are skipped and
  counted by reason; request, metadata, warcinfo and other records are counted by type.
- a record shorter than its Content-Length (a file cut off mid-write) ends that file; what came
  before it is kept, and the cut is reported. A file that cannot be read at all is reported.

fastwarc reads: about twice as fast as warcio in bench/bench_ingest.py. It only frames records
(`parse_http=False`); the HTTP part is parsed here, so a length check can see truncation, which
fastwarc itself passes over in silence.
"""

from __future__ import annotations

import contextlib
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from newsbot.dates import utc_now_iso
from newsbot.parsers.feeds import DEFAULT_MAX_UNPACKED, FeedError, gunzip

try:  # Scrapy asks servers for br only when brotli is installed; read it on the same terms.
    import brotli
except ImportError:  # pragma: no cover - brotli is optional
    brotli = None

_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Located:
    """Where an HTML capture worth parsing is."""

    date: str | None  # UTC ISO 8601 with Z, to the second: the item's crawled_at
    url: str
    path: Path
    offset: int  # of the response record holding the body (a revisit's original)


@dataclass(frozen=True)
class Capture:
    """One HTML page as fetched: what an article can be parsed from."""

    url: str
    date: str | None
    body: bytes  # decoded HTTP payload
    content_type: str


@dataclass
class ReadReport:
    """What the files held, by record type and by why a record was not used."""

    files: int = 0
    records: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    truncated: list[str] = field(default_factory=list)  # "path@offset" of each cut record
    unreadable: list[str] = field(default_factory=list)  # "path: why"
    captures: int = 0

    @property
    def damaged(self) -> bool:
        return bool(self.truncated or self.unreadable)


@dataclass(frozen=True)
class _Http:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes


def parse_http(block: bytes) -> _Http | None:
    """Status, headers and body of an HTTP response block, or None if it is not one."""
    end, gap = block.find(b"\r\n\r\n"), 4
    if end < 0:
        end, gap = block.find(b"\n\n"), 2
    if end < 0:
        return None
    lines = block[:end].decode("latin-1").splitlines()
    status_line = lines[0].split(None, 2) if lines else []
    if len(status_line) < 2 or not status_line[0].startswith("HTTP/"):
        return None
    try:
        status = int(status_line[1])
    except ValueError:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return _Http(status, headers, block[end + gap :])


def dechunk(body: bytes) -> bytes:
    """Undo chunked transfer coding; a body that is not validly chunked is returned as it is
    (some tools store the de-chunked body and keep the header)."""
    out = bytearray()
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            return body
        size_text = body[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return body
        if size == 0:
            return bytes(out)
        start = line_end + 2
        if start + size > len(body):
            return body
        out += body[start : start + size]
        position = start + size + 2


class UndecodableBody(ValueError):
    """A Content-Encoding we cannot undo, or a body that does not decode with it."""


def decode_content(body: bytes, encoding: str, max_size: int = DEFAULT_MAX_UNPACKED) -> bytes:
    """Undo a Content-Encoding list (applied in order, so undone in reverse).

    A body that is already markup is left as it is when its coding fails: browser-based
    capture tools record the body the browser decoded, and some keep the server's
    Content-Encoding header beside it."""
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding in {"identity", "none"}:
            continue
        try:
            body = _undo(coding, body, max_size)
        except UndecodableBody:
            if not _is_markup(body):
                raise
    return body


def _is_markup(body: bytes) -> bool:
    """Starts with `<` (after a byte-order mark and white space), which no gzip, zlib or
    brotli stream of a page does."""
    return body.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<"


def _undo(coding: str, body: bytes, max_size: int) -> bytes:
    if coding in {"gzip", "x-gzip"}:
        try:
            return gunzip(body, max_size)
        except FeedError as error:
            raise UndecodableBody(str(error)) from error
    if coding == "deflate":
        return _inflate(body, max_size)
    if coding == "br" and brotli is not None:
        return _unbrotli(body, max_size)
    raise UndecodableBody(f"unsupported Content-Encoding {coding!r}")


def _unbrotli(body: bytes, max_size: int) -> bytes:
    """Brotli, unpacked a bounded buffer at a time: a small body can unpack to gigabytes."""
    decompressor = brotli.Decompressor()
    try:
        out = bytearray(decompressor.process(body, output_buffer_limit=max_size + 1))
        while len(out) <= max_size and not decompressor.is_finished():
            more = decompressor.process(b"", output_buffer_limit=max_size + 1 - len(out))
            if not more:
                break
            out += more
    except brotli.error as error:
        raise UndecodableBody(f"bad brotli body: {error}") from error
    if len(out) > max_size:
        raise UndecodableBody(f"brotli body unpacks to more than {max_size} bytes")
    if not decompressor.is_finished():
        raise UndecodableBody("brotli body cut short")
    return bytes(out)


def _inflate(body: bytes, max_size: int) -> bytes:
    # "deflate" is zlib-wrapped by the RFC and raw deflate on some servers: try both.
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        decompressor = zlib.decompressobj(wbits)
        try:
            out = decompressor.decompress(body, max_size + 1)
        except zlib.error:
            continue
        if len(out) > max_size:
            raise UndecodableBody(f"deflate body unpacks to more than {max_size} bytes")
        return out
    raise UndecodableBody("bad deflate body")


def _is_html(content_type: str, body: bytes) -> bool:
    if content_type:
        return content_type.split(";", 1)[0].strip().lower() in _HTML_TYPES
    start = body[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _target(record: WarcRecord) -> str:
    return (record.headers.get("WARC-Target-URI") or "").strip().strip("<>")


def _crawled_at(warc_date: str | None) -> str | None:
    try:
        when = datetime.fromisoformat((warc_date or "").strip())
        return utc_now_iso(when if when.tzinfo else when.replace(tzinfo=UTC))
    except (ValueError, OverflowError):  # no date, or one beyond the calendar in UTC
        return None


class CaptureReader:
    """Locate the HTML captures of WARC files whose URL `wanted(url)` accepts."""

    def __init__(self, paths: Iterable[Path], wanted: Callable[[str], bool]) -> None:
        self.paths = list(paths)
        self.wanted = wanted
        self.report = ReadReport()
        # payload digest -> where its response is; (url, WARC-Date) -> same, for revisits.
        self._by_digest: dict[str, tuple[Path, int]] = {}
        self._by_visit: dict[tuple[str, str], tuple[Path, int]] = {}

    def locate(self) -> list[Located]:
        found: list[Located] = []
        for path in self.paths:
            self.report.files += 1
            try:
                found.extend(self._file(path))
            except OSError as error:
                self.report.unreadable.append(f"{path}: {error.strerror or error}")
        self.report.captures = len(found)
        return found

    def _file(self, path: Path) -> Iterator[Located]:
        with open(path, "rb") as handle:
            seen = 0
            for record in ArchiveIterator(handle, parse_http=False):
                seen += 1
                located = self._record(path, record)
                if located is _TRUNCATED:
                    return
                if isinstance(located, Located):
                    yield located
            if seen == 0 and path.stat().st_size:
                self.report.unreadable.append(f"{path}: not a WARC file")

    def _record(self, path: Path, record: WarcRecord) -> Located | object | None:
        kind = str(record.record_type)
        block = record.reader.read()
        declared = record.headers.get("Content-Length")
        if declared is None or not declared.strip().isdigit() or len(block) < int(declared):
            self.report.truncated.append(f"{path}@{record.stream_pos}")
            return _TRUNCATED
        self.report.records[kind] += 1
        url, date = _target(record), record.headers.get("WARC-Date") or ""
        if record.record_type == WarcRecordType.response:
            where = (path, record.stream_pos)
            digest = record.headers.get("WARC-Payload-Digest")
            if digest:
                self._by_digest.setdefault(digest, where)
            self._by_visit[(url, date)] = where
            return self._usable(parse_http(block), url, date, where)
        if record.record_type == WarcRecordType.revisit:
            return self._revisit(record, url, date)
        return None

    def _usable(
        self, http: _Http | None, url: str, date: str, where: tuple[Path, int]
    ) -> Located | None:
        if http is None:
            self.report.skipped["not_http"] += 1
            return None
        if not _is_html(http.headers.get("content-type", ""), http.body):
            self.report.skipped["not_html"] += 1
            return None
        if not self.wanted(url):
            self.report.skipped["not_wanted_url"] += 1
            return None
        if http.status != 200:
            self.report.skipped[f"http_{http.status}"] += 1
            return None
        return Located(_crawled_at(date), url, *where)

    def _revisit(self, record: WarcRecord, url: str, date: str) -> Located | None:
        if not self.wanted(url):
            self.report.skipped["not_wanted_url"] += 1
            return None
        digest = record.headers.get("WARC-Payload-Digest") or ""
        refers = (
            (record.headers.get("WARC-Refers-To-Target-URI") or url).strip().strip("<>"),
            record.headers.get("WARC-Refers-To-Date") or "",
        )
        where = self._by_digest.get(digest) or self._by_visit.get(refers)
        original = _read_at(*where) if where else None
        if where is None or original is None:
            self.report.skipped["revisit_unresolved"] += 1
            return None
        self.report.skipped["revisit_resolved"] += 1
        return self._usable(parse_http(original), url, date, where)


_TRUNCATED = object()


def _read_at(path: Path, offset: int) -> bytes | None:
    """The block of the record at `offset` of `path`."""
    with open(path, "rb") as handle, contextlib.suppress(OSError, StopIteration):
        handle.seek(offset)
        return next(iter(ArchiveIterator(handle, parse_http=False))).reader.read()
    return None


def read_capture(located: Located) -> Capture:
    """The page at `located`, decoded. Raises OSError if the file changed since `locate`, and
    UndecodableBody for a Content-Encoding that cannot be undone."""
    block = _read_at(located.path, located.offset)
    http = parse_http(block) if block is not None else None
    if http is None:
        raise OSError(f"no HTTP response at {located.path}@{located.offset} any more")
    body = http.body
    if "chunked" in http.headers.get("transfer-encoding", "").lower():
        body = dechunk(body)
    body = decode_content(body, http.headers.get("content-encoding", ""))
    return Capture(located.url, located.date, body, http.headers.get("content-type", ""))
