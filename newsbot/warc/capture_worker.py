"""The capture process: builds, digests, compresses and appends a crawl's WARC records.

Why a process and not a thread: the record work is about 0.6 ms of CPU per 300 KB page (two
SHA-1s and ISA-L's deflate, mostly with the GIL released). In a thread it still took the GIL
back after each of those calls, and the reactor thread, which paces a crawl, waited for it:
capture cost the crawl 8-12% of its throughput. A process shares no GIL, and it runs at the
lowest CPU priority (nice 19), so that on a busy machine its work fills the time the crawl
leaves idle instead of taking time from the crawl (docs/warc.md, sixth round, has the numbers).

    python -m newsbot.warc.capture_worker DIRECTORY PREFIX MAX_BYTES CRAWL_PID SPOOL_FD

The spool. The crawl writes each exchange (its pickled fields, then its body) into the spool, a
file in memory (memfd) both processes hold, and sends its place over stdin: `SPOOLED`, the
offset and the two lengths. A pipe would hold three pages at most, and a crawl writing into a
full one stopped until this process, at nice 19, got a core. The crawl bounds the responses
waiting here (the queue size) and starts again at offset 0 whenever this process has caught up.

Protocol on stdin: a first message (a `newsbot.pipes` pickle) with the warcinfo fields; then
`SPOOLED` records. On stdout, `newsbot.pipes` messages: ("written", n) after each exchange,
("error", text) for a line the crawl should log, ("failed", text) once if writing stopped, and
("report", records, files, bytes, lost) when stdin ends.

The process dies with the crawl (a SIGKILL of the crawl kills it too, so the file it was
writing stays `.open` for the next crawl to finish) and ignores Ctrl-C: the crawl stops, then
closes stdin, and the process writes what is spooled and finishes its file.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import signal
import struct
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from io import FileIO
from pathlib import Path
from typing import IO

from newsbot.lifeline import die_with_parent
from newsbot.pipes import read_exactly, receive_message, send_message
from newsbot.warc.files import OPEN_SUFFIX
from newsbot.warc.records import Exchange, exchange_members, warc_date, warcinfo_member

# Where an exchange is in the spool: offset, length of its pickled fields, length of its body.
SPOOLED = struct.Struct("!QQQ")


def exchange_fields(exchange: Exchange) -> bytes:
    """Everything of an exchange but its body, pickled; the body goes on as it is."""
    return pickle.dumps(
        (
            exchange.url,
            exchange.date,
            exchange.method,
            exchange.request_headers,
            exchange.protocol,
            exchange.status,
            exchange.reason,
            exchange.response_headers,
            exchange.ip_address,
        ),
        protocol=pickle.HIGHEST_PROTOCOL,
    )


def _read_at(spool: int, size: int, offset: int) -> bytes:
    data = os.pread(spool, size, offset)
    while len(data) < size:  # a regular file gives it all at once; this is for the odd one
        more = os.pread(spool, size - len(data), offset + len(data))
        if not more:
            raise EOFError
        data += more
    return data


def spooled_exchange(spool: int, offset: int, fields_length: int, body_length: int) -> Exchange:
    fields = pickle.loads(_read_at(spool, fields_length, offset))
    body = _read_at(spool, body_length, offset + fields_length)
    url, date, method, request_headers, protocol, status, reason, response_headers, ip = fields
    return Exchange(
        url, date, method, request_headers, protocol, status, reason, response_headers, body, ip
    )


@dataclass
class CaptureReport:
    records: int = 0  # responses written (each with its request)
    files: int = 0
    bytes: int = 0
    lost: int = 0  # responses not written because writing failed or the record was refused
    recovered: int = 0  # abandoned .open files finished at start


class WarcFiles:
    """Appends records to `<dir>/<prefix>-<time>-<serial>-<crawl pid>.warc.gz`, rotating at
    `max_bytes`. Each record is flushed whole as it is written."""

    def __init__(
        self,
        directory: Path,
        prefix: str,
        info: list[tuple[str, str]],
        max_bytes: int,
        crawl_pid: int,
        report: CaptureReport,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.info = info
        self.max_bytes = max(1, max_bytes)
        self.crawl_pid = crawl_pid
        self.report = report
        self.path: Path | None = None
        self._file: FileIO | None = None
        self._warcinfo_id: str | None = None
        self._good_size = 0
        self._serial = 0
        self.problems: list[str] = []  # for the crawl's log: files that could not be finished

    def write(self, exchange: Exchange) -> None:
        if self._file is None:
            self._open_file()
        self._append(exchange_members(exchange, self._warcinfo_id))
        self.report.records += 1
        if self._good_size >= self.max_bytes and (problem := self.finish()):
            self.problems.append(problem)

    def _append(self, data: bytes) -> None:
        assert self._file is not None
        # Unbuffered, so the record is in the kernel once this returns (a SIGKILL after it
        # cannot lose it) and a failed write leaves nothing behind to fail again at close.
        view = memoryview(data)
        while view:
            view = view[self._file.write(view) or 0 :]
        self._good_size += len(data)
        self.report.bytes += len(data)

    def _open_file(self) -> None:
        self._serial += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self.crawl_pid}.warc.gz"
        self.path = self.directory / (name + OPEN_SUFFIX)
        handle = open(self.path, "xb", buffering=0)  # noqa: SIM115 - held open across records
        # Tells a crawl starting beside this one that the file is alive, not abandoned.
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file = handle
        self._good_size = 0
        self._warcinfo_id, member = warcinfo_member(name, warc_date(), self.info)
        self._append(member)
        self.report.files += 1

    def finish(self) -> str | None:
        """Finish the open file (cut to its whole records, fsync, lose `.open`); the error, if
        finishing it failed."""
        if self._file is None or self.path is None:
            return None
        handle, path = self._file, self.path
        self._file = self.path = None
        self._warcinfo_id = None
        problem = None
        try:
            # Cut whatever a failed write left after the last whole record.
            handle.truncate(self._good_size)
            os.fsync(handle.fileno())
        except OSError as error:
            problem = f"Could not finish the WARC file {path}: {error.strerror or error}"
        finally:
            handle.close()
        os.replace(path, path.with_name(path.name[: -len(OPEN_SUFFIX)]))
        return problem


def serve(
    directory: Path,
    prefix: str,
    max_bytes: int,
    crawl_pid: int,
    spool: int,
    source: IO[bytes],
    sink: IO[bytes],
) -> None:
    """Write every exchange `source` places in `spool`, until `source` ends; then report."""
    info = receive_message(source)
    report = CaptureReport()
    files = WarcFiles(directory, prefix, info, max_bytes, crawl_pid, report)
    failed = False
    done = 0
    while True:
        try:
            offset, fields_length, body_length = SPOOLED.unpack(read_exactly(source, SPOOLED.size))
        except EOFError:
            break
        if failed:
            report.lost += 1
        else:
            exchange = spooled_exchange(spool, offset, fields_length, body_length)
            try:
                files.write(exchange)
            except ValueError as refused:  # a field that would break the record's framing
                report.lost += 1
                send_message(sink, ("error", f"WARC capture refused {exchange.url!r}: {refused}"))
            except OSError as error:
                failed = True
                report.lost += 1
                where = files.path or directory
                send_message(sink, ("failed", f"cannot write {where}: {error.strerror or error}"))
            while files.problems:
                send_message(sink, ("error", files.problems.pop(0)))
        done += 1
        send_message(sink, ("written", done))
    if problem := files.finish():
        send_message(sink, ("error", problem))
    # Plain numbers: run as __main__, this module's classes would not unpickle in the crawl.
    send_message(sink, ("report", report.records, report.files, report.bytes, report.lost))


def main() -> None:
    directory, prefix, max_bytes, crawl_pid, spool = sys.argv[1:6]
    die_with_parent(int(crawl_pid))
    # The crawl handles Ctrl-C; this process writes what is spooled and ends with its input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(19)
    try:
        serve(
            Path(directory),
            prefix,
            int(max_bytes),
            int(crawl_pid),
            int(spool),
            sys.stdin.buffer,
            sys.stdout.buffer,
        )
    except BrokenPipeError:
        sys.exit(1)  # the crawl is gone; the file stays .open for the next crawl to finish


if __name__ == "__main__":
    main()
