"""The capture process, attacked: killed mid-crawl, its file size limit hit, stopped while the
crawl keeps sending, and left behind by a SIGKILL of the crawl. The test is the crawl here: it
drives `CaptureWriter` as the middleware does."""

from __future__ import annotations

import logging
import os
import random
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.devserver import local_crawl_command
from newsbot.warc import capture
from newsbot.warc.capture import (
    OPEN_SUFFIX,
    CaptureWriter,
    Spool,
    complete_prefix,
    first_gap,
    recover_abandoned,
)
from newsbot.warc.records import Exchange

ROOT = Path(__file__).resolve().parent.parent


def exchange(number: int, size: int = 20_000) -> Exchange:
    body = (f"<html><p>page {number} ".encode() + os.urandom(size // 2).hex().encode())[:size]
    return Exchange(
        url=f"https://www.nytimes.com/2026/02/0{number % 9 + 1}/world/americas/p{number}.html",
        date="2026-02-03T04:05:06.000007Z",
        method="GET",
        request_headers=b"Accept: text/html\r\n",
        protocol="HTTP/1.1",
        status=200,
        reason="OK",
        response_headers=b"Content-Type: text/html\r\n",
        body=body,
        ip_address="127.0.0.1",
    )


def responses_in(directory: Path, pattern: str = "*.warc.gz") -> list[str]:
    urls = []
    for path in sorted(directory.glob(pattern)):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    urls.append(record.rec_headers.get_header("WARC-Target-URI"))
    return urls


def warcio_check(*paths: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def whole_records(directory: Path) -> int:
    return sum(complete_prefix(path)[1] for path in directory.glob(f"*{OPEN_SUFFIX}"))


def wait_until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_every_exchange_is_written_in_order_and_the_file_finished(tmp_path) -> None:
    writer = CaptureWriter(tmp_path, "t", info=[("software", "test")], queue_size=4)
    writer.start()
    sent = [exchange(n) for n in range(40)]
    for item in sent:
        writer.submit(item)
    report = writer.close()
    assert (report.records, report.files, report.lost) == (40, 1, 0)
    assert responses_in(tmp_path) == [item.url for item in sent]
    assert not list(tmp_path.glob(f"*{OPEN_SUFFIX}"))
    warcio_check(*tmp_path.glob("*.warc.gz"))


def test_a_killed_capture_process_stops_capture_and_the_crawl_goes_on(tmp_path, caplog) -> None:
    writer = CaptureWriter(tmp_path, "t", info=[("software", "test")])
    writer.start()
    for number in range(5):
        writer.submit(exchange(number))
    wait_until(lambda: writer.written() == 5)
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGKILL)
    with caplog.at_level(logging.ERROR):
        for number in range(5, 12):
            writer.submit(exchange(number))  # never raises: the crawl goes on
        report = writer.close()
    stopped = [r for r in caplog.records if "WARC capture stopped" in r.getMessage()]
    assert len(stopped) == 1, caplog.text
    assert "capture process stopped" in stopped[0].getMessage()
    assert report.lost == 7
    # The next crawl finishes the file the process left open, with its five records.
    assert recover_abandoned(tmp_path) == 1
    assert len(responses_in(tmp_path)) == 5
    warcio_check(*tmp_path.glob("*.warc.gz"))


def test_a_failed_write_stops_capture_keeps_whole_records_and_counts_the_lost(
    tmp_path, caplog
) -> None:
    writer = CaptureWriter(tmp_path, "t", info=[("software", "test")])
    writer.start()
    for number in range(3):
        writer.submit(exchange(number))
    wait_until(lambda: writer.written() == 3)
    # The process may grow its file by a few KB more; then writes fail with EFBIG, as they
    # would with ENOSPC on a full disk.
    (open_file,) = tmp_path.glob(f"*{OPEN_SUFFIX}")
    limit = open_file.stat().st_size + 8_000
    assert writer.pid is not None
    resource.prlimit(writer.pid, resource.RLIMIT_FSIZE, (limit, limit))
    with caplog.at_level(logging.ERROR):
        for number in range(3, 10):
            writer.submit(exchange(number))
        report = writer.close()
    stopped = [r for r in caplog.records if "WARC capture stopped" in r.getMessage()]
    assert len(stopped) == 1 and "File too large" in stopped[0].getMessage(), caplog.text
    assert report.records == 3 and report.lost == 7
    # The record cut short was cut off: the file holds exactly the three whole ones.
    assert len(responses_in(tmp_path)) == 3
    assert not list(tmp_path.glob(f"*{OPEN_SUFFIX}"))
    warcio_check(*tmp_path.glob("*.warc.gz"))


def test_a_full_queue_makes_the_crawl_wait_and_loses_nothing(tmp_path) -> None:
    writer = CaptureWriter(tmp_path, "t", info=[("software", "test")], queue_size=3)
    writer.start()
    writer.submit(exchange(0))
    wait_until(lambda: writer.written() == 1)
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGSTOP)
    try:
        for number in range(1, 4):
            writer.submit(exchange(number))  # three waiting: the queue is full
        fourth = threading.Thread(target=writer.submit, args=(exchange(4),))
        fourth.start()
        fourth.join(0.5)
        assert fourth.is_alive(), "the fourth response did not wait for room"
    finally:
        os.kill(writer.pid, signal.SIGCONT)
    fourth.join(30)
    assert not fourth.is_alive()
    report = writer.close()
    assert (report.records, report.lost, writer.waits) == (5, 0, 1)
    assert len(responses_in(tmp_path)) == 5


def test_the_spool_writes_over_what_was_read_and_shrinks_after_a_backlog(monkeypatch) -> None:
    monkeypatch.setattr(capture, "SPOOL_START_BYTES", 100_000)
    monkeypatch.setattr(capture, "SPOOL_KEEP_BYTES", 300_000)
    spool = Spool()
    try:
        assert spool.put(b"a" * 30_000, b"b" * 10_000) == 0
        assert spool.put(b"c" * 40_000) == 40_000  # the first is unread
        spool.read(1)
        assert spool.put(b"d" * 40_000) == 0  # its room, written over
        assert os.pread(spool.fd, 3, 39_999) == b"dcc"  # what the process reads
        for _ in range(3):  # a backlog: the spool grows, but not past what it keeps
            spool.put(b"e" * 40_000)
        assert spool.unread() == 5 and 200_000 <= spool.size() <= 300_000
        spool.read(5)
        assert spool.put(b"f" * 10) == 0 and spool.size() > 100_000  # kept for the next one
        for _ in range(10):  # a longer backlog: past what it keeps
            spool.put(b"e" * 40_000)
        assert spool.unread() == 11 and spool.size() >= 11 * 40_000
        spool.read(11)
        assert spool.put(b"f" * 10) == 0 and spool.size() == 100_000  # caught up: back
    finally:
        spool.close()


def test_a_backlog_in_the_spool_reaches_the_files_whole(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(capture, "SPOOL_START_BYTES", 100_000)
    monkeypatch.setattr(capture, "SPOOL_KEEP_BYTES", 100_000)
    writer = CaptureWriter(tmp_path, "t", info=[("software", "test")], queue_size=64)
    writer.start()
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGSTOP)
    try:
        for number in range(20):  # 400 KB waiting, in a spool made for 100 KB
            writer.submit(exchange(number))
    finally:
        os.kill(writer.pid, signal.SIGCONT)
    wait_until(lambda: writer.written() == 20)
    for number in range(20, 25):
        writer.submit(exchange(number))
    assert writer.close().records == 25
    assert responses_in(tmp_path) == [exchange(n).url for n in range(25)]
    warcio_check(*tmp_path.glob("*.warc.gz"))


def capture_processes_of(crawl_pid: int) -> list[int]:
    """Capture processes started by `crawl_pid`, which is on their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"newsbot.warc.capture_worker" in command and str(crawl_pid).encode() in command:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PDEATHSIG")
def test_the_capture_process_dies_with_a_killed_crawl(site_server, tmp_path) -> None:
    slow = ("-s", "DOWNLOAD_DELAY=0.3", "-s", "CONCURRENT_REQUESTS=1", "-s", "LOG_LEVEL=WARNING")
    command = local_crawl_command(site_server.url, tmp_path / "index", tmp_path / "f.jsonl", *slow)
    crawl = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: capture_processes_of(crawl.pid), seconds=90)
        wait_until(lambda: list((tmp_path / "warc").glob(f"*{OPEN_SUFFIX}")), seconds=90)
    finally:
        crawl.kill()
        crawl.wait(timeout=30)
    wait_until(lambda: not capture_processes_of(crawl.pid), seconds=10)
    # It held the open file's lock; once its exit has closed its files (a moment after its
    # command line is gone), the next crawl may finish the file.
    wait_until(lambda: recover_abandoned(tmp_path / "warc") == 1, seconds=10)


def test_first_gap_finds_the_lowest_free_place() -> None:
    assert first_gap([], 10) == 0
    assert first_gap([(0, 10)], 5) == 10
    assert first_gap([(20, 30)], 20) == 0
    assert first_gap([(20, 30)], 21) == 30
    assert first_gap([(30, 40), (0, 10)], 20) == 10
    assert first_gap([(10, 40), (0, 10), (50, 60)], 10) == 40
    rng = random.Random(5)
    for _ in range(3000):
        taken = []
        for _ in range(rng.randrange(6)):
            start = rng.randrange(200)
            taken.append((start, start + rng.randrange(1, 50)))
        size = rng.randrange(1, 60)
        place = first_gap(taken, size)
        assert all(place + size <= start or end <= place for start, end in taken)
        # Nothing lower would do.
        assert not any(
            all(lower + size <= start or end <= lower for start, end in taken)
            for lower in range(place)
        )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_ctrl_c_of_a_crawl_finishes_its_warc_file(site_server, tmp_path) -> None:
    # Signalled as a terminal does, the whole process group: the capture process ignores it,
    # writes what the crawl handed over, and finishes the file once the crawl closes.
    slow = ("-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS=1", "-s", "LOG_LEVEL=INFO")
    command = local_crawl_command(site_server.url, tmp_path / "index", tmp_path / "f.jsonl", *slow)
    crawl = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # The shell running the suite may ignore SIGINT, and children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    warc_dir = tmp_path / "warc"
    try:
        wait_until(lambda: capture_processes_of(crawl.pid), seconds=90)
        # Whole gzip members only: the one being written may be cut short as it is read.
        wait_until(lambda: whole_records(warc_dir) >= 8, seconds=90)
        os.killpg(crawl.pid, signal.SIGINT)
        _, log = crawl.communicate(timeout=90)
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.wait()
    assert crawl.returncode == 0, log[-3000:]
    assert b"shutdown" in log.lower()
    assert not list(warc_dir.glob(f"*{OPEN_SUFFIX}"))
    (finished,) = warc_dir.glob("*.warc.gz")
    assert len(responses_in(warc_dir)) >= 4
    assert b"'newsbot/warc/lost': 0" in log
    warcio_check(finished)
