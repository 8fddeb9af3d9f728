"""The read-ahead process of `newsbot ingest` / `reextract --procs 1`: outcomes in order, and
what a failure of it leaves (what came before stays stored, the rest is counted)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warc_helpers import Warc

from newsbot.parsers import parse_article
from newsbot.search.searcher import open_searcher
from newsbot.urls import is_article_url
from newsbot.warc.parse import parse_located
from newsbot.warc.read_ahead import CHUNK, ReadAhead, ReadAheadFailed, select_captures
from newsbot.warc.reader import CaptureReader

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "/2021/06/07/world/americas/cuba-havana-blackouts-power-plants.html"
# Words for the stories' leads, which make each article its own.
LEAD_WORDS = "harbor pilots wait while the grain ships idle off the coast and prices climb"


def distinct_pages(count: int) -> list[tuple[str, bytes, str]]:
    """`count` articles of the sample site's shape, each with its own URL and lead, and dates
    that are not in file order (the read-ahead must sort them)."""
    template = (ROOT / "sample_site" / TEMPLATE.lstrip("/")).read_bytes()
    lead = parse_article(template)["body"].split("\n\n")[0][:40].encode()
    pages = []
    vocabulary = LEAD_WORDS.split()
    for number in range(count):
        path = TEMPLATE.replace("cuba-havana", f"story-{number:03d}")
        words = " ".join(vocabulary[(number + i) % len(vocabulary)] for i in range(40))
        body = template.replace(TEMPLATE.encode(), path.encode()).replace(
            lead, f"{lead.decode()} Story {number}: {words}.".encode(), 1
        )
        date = f"2021-06-{7 + (number * 7) % 20:02d}T{number % 24:02d}:00:00Z"
        pages.append((path, body, date))
    return pages


def write_warc(path: Path, pages: list[tuple[str, bytes, str]]) -> Path:
    warc = Warc(path)
    for page_path, body, date in pages:
        warc.response(page_path, body, date)
    warc.close()
    return path


def test_outcomes_come_in_the_order_the_index_must_see_them(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "a.warc.gz", distinct_pages(2 * CHUNK + 3))
    expected = [
        parse_located(c)
        for c in select_captures(CaptureReader([warc], is_article_url).locate(), False, "")
    ]
    ahead = ReadAhead(lambda: CaptureReader([warc], is_article_url), reextract=False, since="")
    try:
        assert ahead.located() == len(expected)
        assert ahead.report is not None and ahead.report.records["response"] == len(expected)

        async def collect() -> list:
            return [outcome async for outcome in ahead.outcomes()]

        got = asyncio.run(collect())
    finally:
        ahead.close()
    assert got == expected
    dates = [item["crawled_at"] for item in got]
    assert dates == sorted(dates) and dates != [page[2] for page in distinct_pages(len(got))]


class _Unreadable:
    def locate(self) -> list:
        raise PermissionError(13, "Permission denied")


def test_an_error_in_the_read_ahead_comes_back_as_one_message() -> None:
    ahead = ReadAhead(_Unreadable, reextract=False, since="")  # type: ignore[arg-type]
    try:
        with pytest.raises(ReadAheadFailed, match="reading the WARC files failed: Permission"):
            ahead.located()
    finally:
        ahead.close()


# Runs `newsbot ingest` with a read-ahead that dies by SIGKILL on its 20th page: after the
# first chunk of outcomes went out, in the middle of the second.
DIES_MIDWAY = """
import os, signal, sys
import newsbot.warc.parse as parse

real = parse.parse_located
parsed = 0

def dying(located):
    global parsed
    parsed += 1
    if parsed == 20:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(located)

parse.parse_located = dying
from newsbot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_read_ahead_keeps_what_came_before_and_counts_the_rest(tmp_path: Path) -> None:
    assert CHUNK < 20 < 2 * CHUNK
    write_warc(tmp_path / "a.warc.gz", distinct_pages(40))
    env = {**os.environ, "NEWSBOT_FEED_DIR": str(tmp_path / "feeds")}
    done = subprocess.run(
        [sys.executable, "-c", DIES_MIDWAY, "ingest", "a.warc.gz", "--index", "index"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{CHUNK} new, {40 - CHUNK} not_read" in done.stderr
    error = "newsbot ingest: error: the process reading the WARC files stopped (exit status -9)"
    assert done.stderr.count("error") == 1 and error in done.stderr.splitlines()
    with open_searcher(tmp_path / "index") as searcher:
        assert searcher.doc_count() == CHUNK
    (feed,) = (tmp_path / "feeds").glob("ingest-*.jsonl")
    assert len(feed.read_text().splitlines()) == CHUNK


# Starts a read-ahead over a WARC it never reads from, says the child's pid, and waits.
ORPHANED = """
import sys, time
from pathlib import Path
from newsbot.urls import is_article_url
from newsbot.warc.read_ahead import ReadAhead
from newsbot.warc.reader import CaptureReader

warc = Path(sys.argv[1])
ahead = ReadAhead(lambda: CaptureReader([warc], is_article_url), reextract=False, since="")
ahead.located()
print(ahead._process.pid, flush=True)
time.sleep(120)
"""


def test_the_read_ahead_dies_with_its_command(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "a.warc.gz", distinct_pages(3 * CHUNK))
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHANED, str(warc)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert Path(f"/proc/{child}").exists()
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has died; only its reaping is left


@pytest.mark.parametrize("procs", [1, 2])
def test_ctrl_c_stops_an_ingest_promptly_and_keeps_what_it_stored(
    tmp_path: Path, procs: int
) -> None:
    # Scrapy 2.19 never noticed that a closing scraper's last item from start() had left,
    # and the reader's pipe kept the read-ahead waiting: a stopped ingest hung for good. With
    # --procs 2, each worker printed a KeyboardInterrupt traceback.
    total = 800
    write_warc(tmp_path / "a.warc.gz", distinct_pages(total))
    env = {**os.environ, "NEWSBOT_FEED_DIR": str(tmp_path / "feeds")}
    command = [sys.executable, "-m", "newsbot", "ingest", "a.warc.gz", "--index", "index"]
    command += ["--procs", str(procs)]
    ingest = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell starts background jobs with SIGINT ignored, and the test may be one.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        start_new_session=True,  # a process group of its own, as a terminal's job has
    )
    deadline = time.monotonic() + 120
    while not _fed(tmp_path) and time.monotonic() < deadline and ingest.poll() is None:
        time.sleep(0.02)
    assert ingest.poll() is None, "the ingest ended before it could be stopped"
    os.killpg(ingest.pid, signal.SIGINT)  # what Ctrl-C sends: to every process of the job
    _, stderr = ingest.communicate(timeout=30)
    assert ingest.returncode == 1, stderr
    assert "Traceback" not in stderr and "the run ended with shutdown" in stderr
    fed = _fed(tmp_path)
    with open_searcher(tmp_path / "index") as searcher:
        stored = searcher.doc_count()
    # Every feed line is a stored article, and the stop came before the end.
    assert 0 < fed <= stored < total


def _fed(work: Path) -> int:
    return sum(len(feed.read_text().splitlines()) for feed in work.glob("feeds/ingest-*.jsonl"))
