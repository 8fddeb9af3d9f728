"""Build the WARC records newsbot writes, each framed as its own gzip member.

One gzip member per record is what readers expect of `.warc.gz` (they can seek to any record's
offset), and it is what makes a file crash-safe: a member is either whole, with its CRC, or it is
the cut-off last one.

The records are framed here, and ISA-L (`isal`) compresses them. A WARC 1.1 record is a version
line, named fields, a blank line, the block and two CRLFs (ISO 28500 section 4); what costs is
the block, which goes to SHA-1 (for the digests) and to ISA-L as it is, never copied, and both
let go of the GIL while they work on it. fastwarc, which framed them before, held the GIL for
0.2 ms per 300 KB page (building the record, copying the block, its own SHA-1), time the crawl's
main thread waited; its gzip writer held it for the whole deflate (3.2 ms at level 6). ISA-L's
level 2 deflates a page in 0.34 ms and on the real pages of ../shared/nyt-corpus makes 0.179 of
the HTML against level 6's 0.153 (docs/crawl-throughput.md). fastwarc still reads (reader.py).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

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


def warc_date(when: datetime | None = None) -> str:
    """WARC-Date form: UTC, to the microsecond, with a Z."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _sha1(*parts: bytes) -> str:
    """`sha1:<base32>`, the digest form every WARC tool uses, of the parts run together."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def payload_digest(payload: bytes) -> str:
    """WARC-Payload-Digest: the digest of the HTTP body."""
    return _sha1(payload)


def _member(kind: str, record_id: str, fields: Iterable[tuple[str, str]], *block: bytes) -> bytes:
    """One record as a gzip member; its block is the `block` parts run together."""
    lines = [
        "WARC/1.1",
        f"WARC-Type: {kind}",
        *(f"{name}: {value}" for name, value in _fields(record_id, fields, block)),
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, _GZIP_WBITS)
    deflated = [compressor.compress(head)]
    deflated += [compressor.compress(part) for part in block]
    deflated += [compressor.compress(b"\r\n\r\n"), compressor.flush()]
    return b"".join(deflated)


def _fields(
    record_id: str, fields: Iterable[tuple[str, str]], block: tuple[bytes, ...]
) -> list[tuple[str, str]]:
    fields = list(fields)
    for name, value in fields:
        # A CR or LF in a value would end the header early and let it inject fields.
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"WARC field {name!r} has a line break in it")
    # WARC-Date first, then the record's identity and length, as other writers order them.
    return [
        *fields[:1],
        ("WARC-Record-ID", record_id),
        ("Content-Length", str(sum(len(part) for part in block))),
        *fields[1:],
        ("WARC-Block-Digest", _sha1(*block)),
    ]


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
    return record_id, _member("warcinfo", record_id, headers, block)


def exchange_members(exchange: Exchange, warcinfo_id: str | None) -> bytes:
    """The response record, then the request record that asked for it, as gzip members."""
    response_id, request_id = new_record_id(), new_record_id()
    common = [("WARC-Date", exchange.date), ("WARC-Target-URI", exchange.url)]
    if warcinfo_id:
        common.append(("WARC-Warcinfo-ID", warcinfo_id))
    status_line = f"{exchange.protocol} {exchange.status} {exchange.reason}".rstrip()
    http_head = status_line.encode("latin-1") + b"\r\n" + exchange.response_headers + b"\r\n"
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
    return _member("response", response_id, response_headers, http_head, exchange.body) + _member(
        "request", request_id, request_headers, request_block
    )


def _request_line(exchange: Exchange) -> bytes:
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = f"Host: {parts.netloc}\r\n"
    return f"{exchange.method} {target} {exchange.protocol}\r\n{host}".encode("latin-1")
