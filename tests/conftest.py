"""Shared fixtures: the local sample-site server, its manifest, and a crawl runner.

Append new fixtures at the end with small, self-contained edits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newsbot.devserver import DEFAULT_ROOT, SampleSiteServer, local_crawl_command

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SITE = DEFAULT_ROOT
MANIFEST_PATH = SAMPLE_SITE / "manifest.json"


@pytest.fixture
def site_server() -> Iterator[SampleSiteServer]:
    """The bundled sample site on a free 127.0.0.1 port; fresh rules and request log per test."""
    with SampleSiteServer(root=SAMPLE_SITE, port=0) as server:
        yield server


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    """sample_site/manifest.json: ground truth for every page of the sample site."""
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


CrawlResult = tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]


@pytest.fixture
def run_crawl() -> Callable[..., CrawlResult]:
    """Run ``scrapy crawl americas`` against a server; returns (completed process, feed items).

    Usage: ``proc, items = run_crawl(site_server, tmp_path, "-s", "NEWSBOT_X=1")``. The index goes
    to ``tmp_path/index`` and the feed to ``tmp_path/feed.jsonl``; extra args are appended.
    """

    def _run(
        server: SampleSiteServer, tmp_path: Path, *extra_args: str, timeout: float = 180
    ) -> CrawlResult:
        feed = tmp_path / "feed.jsonl"
        command = local_crawl_command(
            server.url, tmp_path / "index", feed, "-s", "LOG_LEVEL=INFO", *extra_args
        )
        completed = subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
        items: list[dict[str, Any]] = []
        if feed.exists():
            for line in feed.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    items.append(json.loads(line))
        return completed, items

    return _run


# A small real filesystem, for what a full disk does (3 MiB: a few batches of articles fit).
TINY_DISK_BYTES = 3 * 2**20


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs at tmp_path/disk, unmounted afterwards; skipped unless Linux and root."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs Linux and root (CI runs the suite as root)")
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TINY_DISK_BYTES}", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)
