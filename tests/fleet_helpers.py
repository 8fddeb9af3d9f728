"""Shared pieces of the fleet tests: a real redis-server per test, and process runners."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from newsbot.fleet.testbed import local_redis

REPO_ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A private redis-server for one test. Skipped when redis-server is not installed, unless
    CI is set: there it must be."""
    if shutil.which("redis-server") is None:
        missing = "redis-server is not installed (apt-get install -y redis-server)"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    with local_redis(directory) as url:
        yield url


def environment(home: Path, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env["NEWSBOT_HOME"] = str(home)
    if redis_url:
        env["NEWSBOT_REDIS_URL"] = redis_url
    return env


def newsbot(*args: str) -> list[str]:
    return [sys.executable, "-m", "newsbot.cli", *args]


def worker_command(site: str, index: Path, sections: list[str], *settings: str) -> list[str]:
    command = newsbot("crawl", *sections, "--site", site, "--index", str(index))
    for setting in ("NEWSBOT_FLEET_LEASE_SECONDS=2", *settings):
        command += ["-s", setting]
    return command


def index_worker_command(index: Path, feed: Path, *settings: str) -> list[str]:
    command = newsbot("index-worker", "--index", str(index), "--exit-when-done", "-o", str(feed))
    defaults = (
        "NEWSBOT_INDEX_COMMIT_SECONDS=0.3",
        "NEWSBOT_INDEX_COMMIT_ITEMS=10",
        "NEWSBOT_FLEET_LEASE_SECONDS=2",
    )
    for setting in (*defaults, *settings):
        command += ["-s", setting]
    return command


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=handle, stderr=handle)


def finish(process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"{process.args} did not finish:\n{log.read_text()[-3000:]}") from None
    assert code == 0, f"{process.args} exited {code}:\n{log.read_text()[-3000:]}"


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def exported(index: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    done = subprocess.run(
        newsbot("export", "--index", str(index)),
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def wait_until(condition: Any, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def logs(home: Path) -> str:
    """Everything the crawls under `home` logged (newsbot crawl writes Scrapy's log there)."""
    return "\n".join(p.read_text(errors="replace") for p in (home / "data" / "logs").glob("*.log"))
