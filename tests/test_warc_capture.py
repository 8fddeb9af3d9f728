"""WARC capture during a crawl: site URLs through a mirror, raw bytes, rotation, SIGKILL, and
files that the standard tools (warcio check / index) accept."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy.http import Headers, HtmlResponse, Request
from warcio.archiveiterator import ArchiveIterator

from newsbot.devserver import local_crawl_command
from newsbot.parsers.version import PARSER_VERSION
from newsbot.warc.capture import OPEN_SUFFIX, complete_prefix, exchange_of, recover_abandoned
from newsbot.warc.records import Exchange, exchange_members, payload_digest

ROOT = Path(__file__).resolve().parent.parent


def crawl(server, work: Path, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    command = local_crawl_command(server.url, work / "index", work / "feed.jsonl", *extra)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def records(path: Path) -> list:
    """(type, headers dict, payload bytes) of every record, read by warcio."""
    out = []
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle, no_record_parse=False):
            headers = dict(record.rec_headers.headers)
            status = record.http_headers.get_statuscode() if record.http_headers else None
            http = dict(record.http_headers.headers) if record.http_headers else {}
            out.append((record.rec_type, headers, status, http, record.raw_stream.read()))
    return out


def warcio_passes(*paths: Path) -> None:
    for tool in ("check", "index"):
        done = subprocess.run(
            [sys.executable, "-m", "warcio.cli", tool, *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"warcio {tool}: {done.stdout[-2000:]} {done.stderr[-2000:]}"


def test_a_crawl_captures_every_response_under_the_site_url(site_server, manifest, tmp_path):
    crawl(site_server, tmp_path)
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(files) == 1 and files[0].name.startswith("newsbot-americas-")
    assert not list((tmp_path / "warc").glob(f"*{OPEN_SUFFIX}"))
    warcio_passes(*files)
    found = records(files[0])

    kind, headers, _, _, payload = found[0]
    assert kind == "warcinfo"
    info = payload.decode()
    assert "software: newsbot/" in info and f"newsbot-parser-version: {PARSER_VERSION}" in info
    settings = json.loads(info.split("newsbot-settings: ", 1)[1].splitlines()[0])
    assert settings["NEWSBOT_SITE"] == site_server.url and settings["ROBOTSTXT_OBEY"] is True

    responses = {
        h["WARC-Target-URI"]: (h, s, http, p) for k, h, s, http, p in found if k == "response"
    }
    requests = {h["WARC-Concurrent-To"]: h for k, h, *_ in found if k == "request"}
    for url, (headers, *_rest) in responses.items():
        # The site's own URLs, never the mirror's.
        assert url.startswith(("https://www.nytimes.com/", "https://rss.nytimes.com/")), url
        assert requests[headers["WARC-Record-ID"]]["WARC-Target-URI"] == url
    expected = {a["url"] for a in manifest["articles"]} | {
        manifest["front_url"],
        manifest["rss_url"],
        manifest["sitemap_url"],
        manifest["robots_url"],
    }
    assert expected <= set(responses)
    # The sitemap is stored exactly as served: still gzip, as the server sent it.
    sitemap = responses[manifest["sitemap_url"]]
    assert sitemap[3].startswith(b"\x1f\x8b") and b"<urlset" in gzip.decompress(sitemap[3])
    # A served page is stored byte for byte.
    article = manifest["articles"][0]
    stored = responses[article["url"]][3]
    assert stored == (ROOT / "sample_site" / article["path"].lstrip("/")).read_bytes()


def test_capture_can_be_switched_off(site_server, tmp_path):
    crawl(site_server, tmp_path, "-s", "NEWSBOT_WARC_ENABLED=False")
    assert not (tmp_path / "warc").exists()


def test_files_rotate_at_the_size_limit(site_server, tmp_path):
    warc_dir = tmp_path / "elsewhere"
    crawl(
        site_server,
        tmp_path,
        "-s",
        "NEWSBOT_WARC_MAX_BYTES=20000",
        "-s",
        f"NEWSBOT_WARC_DIR={warc_dir}",
    )
    files = sorted(warc_dir.glob("*.warc.gz"))
    assert len(files) >= 3
    warcio_passes(*files)
    for path in files:
        assert records(path)[0][0] == "warcinfo"
        # A file ends at the first record that takes it past the limit.
        assert path == files[-1] or path.stat().st_size >= 20000


def test_stored_headers_describe_the_stored_body(tmp_path) -> None:
    """Twisted has undone chunking before Scrapy sees the body, so the record must not claim it;
    the Content-Encoding stays, with the body still encoded."""
    body = gzip.compress(b"<html><body>hello</body></html>")
    request = Request("https://www.nytimes.com/2021/01/01/world/americas/x.html")
    response = HtmlResponse(
        url=request.url,
        body=body,
        headers=Headers({"Content-Encoding": "gzip", "Transfer-Encoding": "chunked"}),
        request=request,
    )
    exchange = exchange_of(request, response)
    assert b"Transfer-Encoding" not in exchange.response_headers
    assert b"Content-Encoding: gzip\r\n" in exchange.response_headers
    assert f"Content-Length: {len(body)}\r\n".encode() in exchange.response_headers
    path = tmp_path / "one.warc.gz"
    path.write_bytes(exchange_members(exchange, None))
    found = records(path)
    assert [kind for kind, *_ in found] == ["response", "request"]
    assert found[0][4] == body  # the payload, still gzip
    warcio_passes(path)


def test_a_cut_off_file_keeps_its_whole_records(tmp_path) -> None:
    request = Request("https://www.nytimes.com/2021/01/01/world/americas/x.html")
    response = HtmlResponse(url=request.url, body=b"<html>" + b"x" * 5000, request=request)
    member = exchange_members(exchange_of(request, response), None)
    path = tmp_path / f"a.warc.gz{OPEN_SUFFIX}"
    path.write_bytes(member * 3 + member[: len(member) // 2])
    assert complete_prefix(path) == (3 * len(member), 6)
    assert recover_abandoned(tmp_path) == 1
    finished = tmp_path / "a.warc.gz"
    assert finished.stat().st_size == 3 * len(member) and not path.exists()
    warcio_passes(finished)


def test_sigkill_leaves_readable_records_and_the_next_crawl_starts_a_new_file(
    site_server, manifest, tmp_path
) -> None:
    warc_dir = tmp_path / "warc"
    slow = ("-s", "DOWNLOAD_DELAY=0.3", "-s", "CONCURRENT_REQUESTS=1", "-s", "LOG_LEVEL=WARNING")
    command = local_crawl_command(site_server.url, tmp_path / "index", tmp_path / "f1.jsonl", *slow)
    killed = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            open_files = list(warc_dir.glob(f"*{OPEN_SUFFIX}")) if warc_dir.exists() else []
            if open_files and open_files[0].stat().st_size > 30_000:
                break
            time.sleep(0.05)
        os.kill(killed.pid, signal.SIGKILL)
    finally:
        killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    (abandoned,) = warc_dir.glob(f"*{OPEN_SUFFIX}")
    kept, whole = complete_prefix(abandoned)
    assert whole >= 5
    # Every record before the cut reads back with the reference reader.
    prefix = tmp_path / "prefix.warc.gz"
    prefix.write_bytes(abandoned.read_bytes()[:kept])
    assert len(records(prefix)) == whole
    warcio_passes(prefix)

    done = crawl(site_server, tmp_path)
    assert "left unfinished by a crawl that did not stop cleanly" in done.stderr
    files = sorted(warc_dir.glob("*.warc.gz"))
    assert len(files) == 2 and not list(warc_dir.glob(f"*{OPEN_SUFFIX}"))
    assert files[0].name == abandoned.name[: -len(OPEN_SUFFIX)]
    warcio_passes(*files)
    urls = {h["WARC-Target-URI"] for k, h, *_ in records(files[1]) if k == "response"}
    assert {a["url"] for a in manifest["articles"]} <= urls


def an_exchange(**fields: object) -> Exchange:
    defaults: dict[str, object] = {
        "url": "https://www.nytimes.com/2026/01/02/world/americas/rio.html?smid=x",
        "date": "2026-01-02T03:04:05.678901Z",
        "method": "GET",
        "request_headers": b"Accept: text/html\r\n",
        "protocol": "HTTP/1.1",
        "status": 200,
        "reason": "OK",
        "response_headers": b"Content-Type: text/html; charset=utf-8\r\n",
        "body": b"x",
    }
    return Exchange(**(defaults | fields))  # type: ignore[arg-type]


def test_records_are_framed_as_iso_28500_has_them(monkeypatch) -> None:
    """The framing is newsbot's own (to keep the GIL free, see records.py); fastwarc, a WARC
    library, must frame the same record into the same bytes, digests included."""
    from fastwarc.warc import WarcRecord, WarcRecordType

    ids = iter(
        [
            "<urn:uuid:00000000-0000-4000-8000-000000000001>",
            "<urn:uuid:00000000-0000-4000-8000-000000000002>",
        ]
    )
    monkeypatch.setattr("newsbot.warc.records.new_record_id", lambda: next(ids))
    body = "<html><p>Señal débil en el río</p></html>\r\n".encode() * 500
    exchange = an_exchange(body=body, ip_address="127.0.0.1")
    ours = gzip.decompress(exchange_members(exchange, "<urn:uuid:warcinfo>"))

    def framed(kind: WarcRecordType, record_id: str, fields: list, block: bytes) -> bytes:
        record = WarcRecord()
        record.init_headers(kind, record_id[len("<urn:") : -1].encode("ascii"))
        for name, value in fields:
            record.headers.set(name, value)
        record.set_bytes_content(block)
        out = io.BytesIO()
        record.write(out, checksum_data=True)
        return out.getvalue()

    common = [
        ("WARC-Date", exchange.date),
        ("WARC-Target-URI", exchange.url),
        ("WARC-Warcinfo-ID", "<urn:uuid:warcinfo>"),
    ]
    response_id, request_id = (
        "<urn:uuid:00000000-0000-4000-8000-000000000001>",
        "<urn:uuid:00000000-0000-4000-8000-000000000002>",
    )
    reference = framed(
        WarcRecordType.response,
        response_id,
        [
            *common,
            ("Content-Type", "application/http; msgtype=response"),
            ("WARC-Payload-Digest", payload_digest(body)),
            ("WARC-Concurrent-To", request_id),
            ("WARC-IP-Address", "127.0.0.1"),
        ],
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body,
    ) + framed(
        WarcRecordType.request,
        request_id,
        [
            *common,
            ("Content-Type", "application/http; msgtype=request"),
            ("WARC-Concurrent-To", response_id),
        ],
        b"GET /2026/01/02/world/americas/rio.html?smid=x HTTP/1.1\r\nHost: www.nytimes.com\r\n"
        b"Accept: text/html\r\n\r\n",
    )
    assert ours == reference


def test_a_line_break_in_a_field_is_refused_not_written() -> None:
    exchange = an_exchange(url="https://www.nytimes.com/a.html\r\nWARC-Type: revisit")
    with pytest.raises(ValueError, match="line break"):
        exchange_members(exchange, None)
