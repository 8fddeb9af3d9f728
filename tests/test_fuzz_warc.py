"""Fuzz the WARC reader with mutated copies of WARC files written here, and check that nothing
but its documented outcomes escape:

    CaptureReader.locate     nothing: damage goes to its report (truncated, unreadable, skipped)
    parse_located            nothing: an item, or the reason there is none
    read_capture             OSError, UndecodableBody
    parse_http               nothing (None when it is no HTTP response)
    dechunk                  nothing (a body that is not validly chunked comes back as it is)
    decode_content           UndecodableBody, and never more than its max_size

An ingest meets WARC files from any tool, cut short, bit-rotted or written by a broken one: one
bad record must not end the run, and whatever is found must be what a crawl would store (a
wanted URL, dates that survive the index's UTC conversion).

The seeds are files of newsbot's own capture format and files warcio writes (gzip per record
and plain), holding responses (plain, chunked, gzip-encoded), a revisit, a request and
metadata. Mutations work on the decompressed records (header values, lengths, types, dates,
status lines, codings, chunk sizes, splices of whole records) and on the compressed bytes
(flips, cuts, repeats). Case `i` of a target comes from `random.Random(f"{SEED}:{target}:{i}")`;
`NEWSBOT_FUZZ_CASE=target:i` replays one case, `NEWSBOT_FUZZ_ITERATIONS=N` runs N per target.
"""

from __future__ import annotations

import contextlib
import gzip
import random
import re
import tempfile
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from fuzz_helpers import assert_no_crashes, case_numbers, run_case
from warc_helpers import SITE, Warc, chunked

from newsbot.search.schema import item_to_document, utc_naive
from newsbot.urls import is_article_url
from newsbot.warc.parse import parse_located
from newsbot.warc.reader import (
    CaptureReader,
    UndecodableBody,
    dechunk,
    decode_content,
    parse_http,
    read_capture,
)
from newsbot.warc.records import Exchange, exchange_members

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is optional
    brotli = None

SEED = 20261202
ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "/2021/06/07/world/americas/cuba-havana-blackouts-power-plants.html",
    "/2021/06/08/world/americas/canada-saskatchewan-wildfire-evacuation.html",
    "/2019/05/14/world/americas/mexico-monarch-butterfly-reserve.html",
]
# Cases per target in the suite: a few seconds in all.
SUITE_CASES = {"file": 700, "block": 2500}


def page(path: str) -> bytes:
    return (ROOT / "sample_site" / path.lstrip("/")).read_bytes()


WARCINFO_ID = "<urn:uuid:7b3e1c52-0d7a-4c1e-9a55-2f0f3f0d6a11>"


def newsbot_file() -> bytes:
    """Our own capture format: a response and request member per page, one gzip-encoded."""
    members = []
    for number, path in enumerate(PAGES):
        body, headers = page(path), b"Content-Type: text/html; charset=utf-8\r\n"
        if number == 1:
            body, headers = gzip.compress(body), headers + b"Content-Encoding: gzip\r\n"
        exchange = Exchange(
            url=SITE + path,
            date=f"2021-06-0{number + 1}T10:00:00.000000Z",
            method="GET",
            request_headers=b"Accept: text/html\r\n",
            protocol="HTTP/1.1",
            status=200,
            reason="OK",
            response_headers=headers + b"Content-Length: %d\r\n" % len(body),
            body=body,
        )
        members.append(exchange_members(exchange, WARCINFO_ID))
    return b"".join(members)


def warcio_file(compress: bool) -> bytes:
    """A file as other tools write them: chunked and gzip bodies, a revisit, other records."""
    with tempfile.TemporaryDirectory() as directory:
        warc = Warc(Path(directory) / "seed.warc", compress=compress)
        html = [("Content-Type", "text/html; charset=utf-8")]
        warc.response(PAGES[0], page(PAGES[0]), "2021-06-07T10:00:00Z", html)
        warc.response(
            PAGES[1],
            chunked(page(PAGES[1]), 3000),
            "2021-06-08Z",
            [*html, ("Transfer-Encoding", "chunked")],
        )
        packed = gzip.compress(page(PAGES[2]))
        warc.response(
            PAGES[2], packed, "2021-06-09T10:00:00Z", [*html, ("Content-Encoding", "gzip")]
        )
        warc.revisit(PAGES[0], "2021-06-10T10:00:00Z", "2021-06-07T10:00:00Z")
        for kind in ("request", "metadata"):
            warc.other(kind, PAGES[0], "application/http; msgtype=request")
        warc.close()
        return warc.path.read_bytes()


@cache
def seeds() -> list[tuple[bytes, bool]]:
    """(the records, decompressed; whether the file was gzip per record)."""
    return [
        (gzip.decompress(newsbot_file()), True),
        (gzip.decompress(warcio_file(compress=True)), True),
        (warcio_file(compress=False), False),
    ]


def records_of(data: bytes) -> list[bytes]:
    """Split decompressed WARC bytes at each version line (roughly, as a mutation may have it)."""
    starts = [m.start() for m in re.finditer(rb"WARC/1\.[01]\r\n", data)] or [0]
    return [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]


# --- mutations of the records -----------------------------------------------------------------

NASTY_VALUES = [
    b"", b"-1", b"0", b"1", b"99999999999999999999", b"18446744073709551617", b" 12 ", b"abc",
    b"0x10", b"\x00", b"\xff\xfe", b"x" * 5000, b"0001-01-01T00:00:00+05:00",
    b"9999-12-31T23:59:59-05:00", b"2021-13-45T99:99:99Z", b"2021-06-07", b"yesterday",
    b"gzip", b"br", b"deflate", b"gzip, gzip", b"identity", b"zstd", b"chunked", b"chunked, gzip",
    b"text/html", b"application/pdf", b"text/html; charset=bogus", b"<urn:uuid:x>",
    b"https://www.nytimes.com/2021/06/07/world/americas/x.html?a=%zz#\x01",
    b"https://[::1/2021/06/07/world/americas/y.html", b"http://127.0.0.1:0/",
    b"sha1:AAAA", b"revisit", b"response", b"resource", b"conversion", b"continuation",
]  # fmt: skip
_FIELD = re.compile(rb"(?m)^([A-Za-z][A-Za-z0-9-]*): ?([^\r\n]*)\r?$")


def field_value(rng: random.Random, data: bytes) -> bytes:
    """A WARC or HTTP header's value swapped for an odd one."""
    fields = list(_FIELD.finditer(data))
    if not fields:
        return data
    match = rng.choice(fields)
    return data[: match.start(2)] + rng.choice(NASTY_VALUES) + data[match.end(2) :]


ACTED_ON = [
    b"Content-Length", b"WARC-Type", b"WARC-Date", b"WARC-Target-URI", b"Content-Type",
    b"Content-Encoding", b"Transfer-Encoding", b"WARC-Payload-Digest",
    b"WARC-Refers-To-Target-URI", b"WARC-Refers-To-Date",
]  # fmt: skip
STATUS_LINES = [
    b"HTTP/1.1 200", b"HTTP/1.1 abc OK", b"HTTP/1.1", b"HTTP/9 200 OK", b"ICY 200 OK",
    b"HTTP/1.1 -200 OK", b"HTTP/1.1 304 Not Modified", b"HTTP/1.1 200 OK\x00", b"",
]  # fmt: skip


def named_field(rng: random.Random, data: bytes) -> bytes:
    """One of the fields the reader acts on given an odd value, or dropped."""
    name = rng.choice(ACTED_ON)
    pattern = re.compile(rb"(?mi)^" + re.escape(name) + rb": ?[^\r\n]*\r?\n")
    found = list(pattern.finditer(data))
    if not found:
        return data
    match = rng.choice(found)
    line = b"" if rng.random() < 0.2 else name + b": " + rng.choice(NASTY_VALUES) + b"\r\n"
    return data[: match.start()] + line + data[match.end() :]


ODD_DATES = [
    b"0001-01-01T00:00:00+05:00", b"9999-12-31T23:59:59-05:00", b"0001-01-01", b"2021-02-30",
    b"2021-06-07T10:00:00", b"2021-06-07T10:00:00.123456789Z", b"20210607100000", b"",
    b"2021-06-07T25:00:00Z", b"-2021-06-07", "\u0661\u0669".encode(), b"2021-06-07T10:00:00+99:00",
]  # fmt: skip


def warc_date(rng: random.Random, data: bytes) -> bytes:
    """A record's WARC-Date (the article's crawled_at) made odd."""
    dates = list(re.finditer(rb"(?m)^WARC-Date: ?([^\r\n]*)", data))
    if not dates:
        return data
    match = rng.choice(dates)
    return data[: match.start(1)] + rng.choice(ODD_DATES) + data[match.end(1) :]


def status_line(rng: random.Random, data: bytes) -> bytes:
    line = rng.choice(STATUS_LINES)
    return re.sub(rb"HTTP/1\.[01] \d{3}[^\r\n]*", line, data, count=1)


def chunk_sizes(rng: random.Random, data: bytes) -> bytes:
    """A chunk-size line made odd: huge, negative, not hex, with extensions."""
    sizes = list(re.finditer(rb"\r\n([0-9a-f]{1,6})\r\n", data))
    if not sizes:
        return data
    match = rng.choice(sizes)
    odd = rng.choice([b"ffffffffffffffff", b"-5", b"zz", b"0", b"bb8;ext=1", b"", b"7fffffff"])
    return data[: match.start(1)] + odd + data[match.end(1) :]


def shuffle_records(rng: random.Random, data: bytes) -> bytes:
    records = records_of(data)
    choice = rng.random()
    if choice < 0.4:
        rng.shuffle(records)
    elif choice < 0.7:
        records.insert(rng.randrange(len(records) + 1), rng.choice(records))
    else:
        other = records_of(rng.choice(seeds())[0])
        records.insert(rng.randrange(len(records) + 1), rng.choice(other))
    return b"".join(records)


def flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def cut(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def junk_between(rng: random.Random, data: bytes) -> bytes:
    records = records_of(data)
    at = rng.randrange(len(records) + 1)
    junk = rng.choice([b"\r\n", b"\x00" * 64, b"garbage\r\n\r\n", b"WARC/1.1\r\n\r\n", b"\x1f\x8b"])
    return b"".join([*records[:at], junk, *records[at:]])


RECORD_MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    field_value,
    warc_date,
    named_field,
    named_field,
    status_line,
    chunk_sizes,
    shuffle_records,
    flip,
    cut,
    junk_between,
]


def compressed(rng: random.Random, data: bytes, per_record: bool, applied: list[str]) -> bytes:
    """The records written out again: gzip per record, one gzip member, or plain; and then
    sometimes damaged as bytes."""
    how = rng.choice(["members", "one member", "plain"] if per_record else ["plain", "members"])
    applied.append(how)
    if how == "members":
        out = b"".join(gzip.compress(record, compresslevel=1) for record in records_of(data))
    elif how == "one member":
        out = gzip.compress(data, compresslevel=1)
    else:
        out = data
    if how != "plain" and rng.random() < 0.3:
        damage = rng.choice([flip, cut])
        applied.append(f"gzip-{damage.__name__}")
        out = damage(rng, out)
    return out


# --- the targets -------------------------------------------------------------------------------


def check_item(item: dict) -> None:
    """What parse_located returns is what the pipelines can store."""
    assert is_article_url(item["source_url"]), item["source_url"]
    if item.get("crawled_at"):
        utc_naive(item["crawled_at"])
    document = dict(item)
    document["url"] = document.get("url") or item["source_url"]
    item_to_document(document)


def run_file(rng: random.Random, applied: list[str], workdir: Path) -> None:
    data, per_record = rng.choice(seeds())
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice(RECORD_MUTATIONS)
        data = mutation(rng, data)
        applied.append(mutation.__name__)
    path = workdir / f"case.warc{'.gz' if rng.random() < 0.8 else ''}"
    path.write_bytes(compressed(rng, data, per_record, applied))
    reader = CaptureReader([path], is_article_url)
    located = reader.locate()
    assert reader.report.captures == len(located)
    for capture in located:
        assert is_article_url(capture.url)
        if capture.date is not None:
            utc_naive(capture.date)
        outcome = parse_located(capture)
        if isinstance(outcome, dict):
            check_item(outcome)
        else:
            assert isinstance(outcome, str) and outcome
        with contextlib.suppress(OSError, UndecodableBody):
            read_capture(capture)


def run_block(rng: random.Random, applied: list[str], workdir: Path) -> None:
    """parse_http, dechunk and decode_content on one mutated response block."""
    data, _ = rng.choice(seeds())
    blocks = [r.split(b"\r\n\r\n", 1)[-1] for r in records_of(data) if b"msgtype=response" in r]
    block = rng.choice(blocks)
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice([field_value, named_field, status_line, chunk_sizes, flip, cut])
        block = mutation(rng, block)
        applied.append(mutation.__name__)
    http = parse_http(block)
    if http is None:
        return
    body = dechunk(http.body)
    assert isinstance(body, bytes) and len(body) <= len(http.body)
    coding = rng.choice(["gzip", "br", "deflate", "gzip, br", "", "x-odd", "identity, gzip"])
    if rng.random() < 0.3:
        body = rng.choice(_PACKERS)(body)
        applied.append("packed")
    limit = rng.choice([1, 1000, 10**5, 10**7])
    try:
        out = decode_content(body, coding, max_size=limit)
    except UndecodableBody:
        return
    assert isinstance(out, bytes)
    assert out == body or len(out) <= limit, (len(out), limit)


_PACKERS: list[Callable[[bytes], bytes]] = [
    gzip.compress,
    zlib.compress,
    lambda data: zlib.compress(data)[2:-4],  # raw deflate
    *([brotli.compress] if brotli is not None else []),
]

TARGETS: dict[str, Callable[[random.Random, list[str], Path], None]] = {
    "file": run_file,
    "block": run_block,
}


@pytest.mark.parametrize("target", list(TARGETS))
def test_only_documented_outcomes_escape_the_warc_reader(target: str, tmp_path: Path) -> None:
    numbers = case_numbers(target, SUITE_CASES[target])
    crashes = [c for i in numbers if (c := run_case(SEED, target, i, TARGETS[target], tmp_path))]
    assert_no_crashes(crashes, len(numbers))


def test_a_brotli_bomb_is_refused_not_unpacked() -> None:
    if brotli is None:
        pytest.skip("brotli is not installed")
    bomb = brotli.compress(b"\0" * 20_000_000, quality=1)
    with pytest.raises(UndecodableBody):
        decode_content(bomb, "br", max_size=1_000_000)


def test_a_warc_date_beyond_the_calendar_in_utc_is_no_date(tmp_path: Path) -> None:
    # fromisoformat read it, and the conversion to UTC raised OverflowError: the whole ingest
    # stopped at that record.
    for number, date in enumerate(("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00")):
        warc = Warc(tmp_path / f"{number}.warc.gz")
        warc.response(PAGES[0], page(PAGES[0]), date, [("Content-Type", "text/html")])
        warc.close()
        (capture,) = CaptureReader([warc.path], is_article_url).locate()
        assert capture.date is None
