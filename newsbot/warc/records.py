"""Build the WARC records newsbot writes, each framed as its own gzip member.

One gzip member per record is what readers expect of `.warc.gz` (they can seek to any record's
offset), and it is what makes a file crash-safe: a member is either whole, with its CRC, or it is
the cut-off last one.

fastwarc builds and frames the records: in bench/bench_ingest.py it writes about three times as
fast as warcio, which matters because the crawl's process pays for every byte (docs/warc.md).
ISA-L (`isal`) compresses them: fastwarc's own gzip writer holds the GIL while it deflates, so
the capture thread took the crawl's main thread with it, 3.2 ms per 300 KB page at level 6.
ISA-L's level 2 deflates the same page in 0.4 ms with the GIL let go, and on the real pages of
../shared/nyt-corpus makes 0.177 of the HTML against level 6's 0.153 (docs/crawl-throughput.md).
"""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastwarc.warc import WarcRecord, WarcRecordType
from isal import isal_zlib

# ISA-L's levels 1 and 2 take the same time (0.32-0.33 ms per real page); 2 is 1% smaller.
GZIP_LEVEL = 2
# wbits for a gzip header and trailer around the deflate stream.
_GZIP_WBITS = 31


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and the response it got, as the crawl saw them on the wire."""

    url: str  # the site's own URL (never a mirror's)
    date: str  # when the response arrived, WARC-Date form (UTC, microseconds, Z)
    method: str
    request_headers: bytes  # "Name: value\r\n" lines
    protocol: str  # e.g. HTTP/1.1
    status: int
    reason: str
    response_headers: bytes  # "Name: value\r\n" lines, as they should be stored
    body: bytes
    ip_address: str | None = None


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def payload_digest(payload: bytes) -> str:
    """`sha1:<base32>`, the WARC-Payload-Digest form every WARC tool uses."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def gzip_member(record: WarcRecord) -> bytes:
    buffer = io.BytesIO()
    record.write(buffer, checksum_data=True)
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, _GZIP_WBITS)
    return compressor.compress(buffer.getbuffer()) + compressor.flush()


def _record(
    kind: WarcRecordType, record_id: str, headers: Iterable[tuple[str, str]], block: bytes
) -> WarcRecord:
    record = WarcRecord()
    record.init_headers(kind, record_id[len("<urn:") : -1].encode("ascii"))
    for name, value in headers:
        record.headers.set(name, value)
    record.set_bytes_content(block)
    return record


def warcinfo_member(
    filename: str, date: str, fields: Iterable[tuple[str, str]]
) -> tuple[str, bytes]:
    """The warcinfo record that opens a file: (its WARC-Record-ID, gzip member)."""
    record_id = new_record_id()
    block = "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8")
    headers = [
        ("WARC-Date", date),
        ("WARC-Filename", filename),
        ("Content-Type", "application/warc-fields"),
    ]
    return record_id, gzip_member(_record(WarcRecordType.warcinfo, record_id, headers, block))


def exchange_members(exchange: Exchange, warcinfo_id: str | None) -> bytes:
    """The response record, then the request record that asked for it, as gzip members."""
    response_id, request_id = new_record_id(), new_record_id()
    common = [("WARC-Date", exchange.date), ("WARC-Target-URI", exchange.url)]
    if warcinfo_id:
        common.append(("WARC-Warcinfo-ID", warcinfo_id))
    status_line = f"{exchange.protocol} {exchange.status} {exchange.reason}".rstrip()
    response_block = (
        status_line.encode("latin-1") + b"\r\n" + exchange.response_headers + b"\r\n"
    ) + exchange.body
    response_headers = [
        *common,
        ("Content-Type", "application/http; msgtype=response"),
        ("WARC-Payload-Digest", payload_digest(exchange.body)),
        ("WARC-Concurrent-To", request_id),
    ]
    if exchange.ip_address:
        response_headers.append(("WARC-IP-Address", exchange.ip_address))
    request_block = _request_line(exchange) + exchange.request_headers + b"\r\n"
    request_headers = [
        *common,
        ("Content-Type", "application/http; msgtype=request"),
        ("WARC-Concurrent-To", response_id),
    ]
    return gzip_member(
        _record(WarcRecordType.response, response_id, response_headers, response_block)
    ) + gzip_member(_record(WarcRecordType.request, request_id, request_headers, request_block))


def _request_line(exchange: Exchange) -> bytes:
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = f"Host: {parts.netloc}\r\n"
    return f"{exchange.method} {target} {exchange.protocol}\r\n{host}".encode("latin-1")
