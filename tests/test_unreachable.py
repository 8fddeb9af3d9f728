"""A site that cannot be reached is named as such, in one line, quickly; and a failed crawl is
recorded as failed, so `newsbot stats` does not show it as a normal last crawl."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbot.devserver import SampleSiteServer

REPO_ROOT = Path(__file__).resolve().parent.parent


def newsbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    environment["NEWSBOT_HOME"] = str(tmp_path / "home")
    return subprocess.run(
        [sys.executable, "-m", "newsbot", *args],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_host() -> Iterator[int]:
    """A host that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def last_log(tmp_path: Path) -> str:
    [log] = (tmp_path / "home" / "data" / "logs").glob("crawl-*.log")
    return log.read_text(encoding="utf-8")


def test_connection_refused_names_the_cause(tmp_path: Path) -> None:
    index = tmp_path / "index"
    run = newsbot(tmp_path, "crawl", "americas", "--site", f"http://127.0.0.1:{closed_port()}",
                  "--index", str(index))  # fmt: skip
    assert run.returncode == 1
    assert "americas: site_unreachable" in run.stderr
    assert "connection_refused" in run.stderr
    log = last_log(tmp_path)
    assert "Cannot reach the site: every discovery page failed" in log
    assert "Check NEWSBOT_SITE, robots.txt and whether the front's markup" not in log
    assert "Traceback" not in log
    stats = newsbot(tmp_path, "stats", "--index", str(index))
    assert "(failed: site_unreachable)" in stats.stdout


def test_a_host_that_never_answers_fails_fast(tmp_path: Path, silent_host: int) -> None:
    site = f"http://127.0.0.1:{silent_host}"
    index = str(tmp_path / "index")
    run = newsbot(tmp_path, "crawl", "americas", "--site", site, "--index", index,
                  "-s", "NEWSBOT_DISCOVERY_TIMEOUT=1")  # fmt: skip
    assert run.returncode == 1
    assert "americas: site_unreachable" in run.stderr
    assert "timeout" in run.stderr
    # One retry of each discovery page and of robots.txt, not Scrapy's three.
    log = last_log(tmp_path)
    assert "(failed 2 times)" in log and "(failed 4 times)" not in log


def test_a_crawl_that_found_nothing_is_recorded_as_failed(tmp_path: Path) -> None:
    (tmp_path / "empty-site").mkdir()
    index = tmp_path / "index"
    with SampleSiteServer(root=tmp_path / "empty-site") as server:
        run = newsbot(tmp_path, "crawl", "americas", "--site", server.url, "--index", str(index))
    assert run.returncode == 1
    record = json.loads((index / "newsbot-crawl.json").read_text())["last_crawl"]
    assert record["finish_reason"] == "no_articles" and record["status"] == "failed"
    stats = json.loads(newsbot(tmp_path, "stats", "--index", str(index), "--json").stdout)
    assert stats["last_crawl_status"] == "failed"
    assert stats["last_crawl_finish_reason"] == "no_articles"


def test_a_good_crawl_is_recorded_as_finished(
    site_server: SampleSiteServer, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    run = newsbot(tmp_path, "crawl", "americas", "--site", site_server.url, "--index", str(index))
    assert run.returncode == 0, run.stderr
    record = json.loads((index / "newsbot-crawl.json").read_text())["last_finished_crawl"]
    assert record["finish_reason"] == "finished" and record["status"] == "finished"
    stats = newsbot(tmp_path, "stats", "--index", str(index))
    last = next(line for line in stats.stdout.splitlines() if line.startswith("last crawl:"))
    assert "(" not in last
