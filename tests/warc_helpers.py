"""WARC files the WARC tests write with warcio, the reference library, as other tools write them."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SITE = "https://www.nytimes.com"


def chunked(body: bytes, size: int = 4000) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


class Warc:
    """A WARC file written with warcio, record by record."""

    def __init__(self, path: Path, compress: bool = True) -> None:
        self.path = path
        self.handle = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.writer = WARCWriter(self.handle, gzip=compress, warc_version="1.0")
        self.digests: dict[str, str] = {}

    def response(
        self,
        path: str,
        body: bytes,
        date: str,
        headers: list[tuple[str, str]] | None = None,
        status: str = "200 OK",
    ) -> None:
        headers = headers or [("Content-Type", "text/html; charset=utf-8")]
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        record = self.writer.create_warc_record(
            SITE + path,
            "response",
            payload=io.BytesIO(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": date},
        )
        self.writer.write_record(record)
        self.digests[path] = record.rec_headers.get_header("WARC-Payload-Digest")

    def revisit(self, path: str, date: str, original_date: str) -> None:
        record = self.writer.create_revisit_record(
            SITE + path, self.digests[path], SITE + path, original_date
        )
        record.rec_headers.replace_header("WARC-Date", date)
        self.writer.write_record(record)

    def other(self, kind: str, path: str, content_type: str) -> None:
        record = self.writer.create_warc_record(
            SITE + path,
            kind,
            payload=io.BytesIO(b"GET / HTTP/1.1\r\nHost: www.nytimes.com\r\n\r\n"),
            warc_content_type=content_type,
        )
        self.writer.write_record(record)

    def close(self, cut_last: int = 0) -> None:
        self.handle.close()
        if cut_last:
            data = self.path.read_bytes()
            self.path.write_bytes(data[:-cut_last])
