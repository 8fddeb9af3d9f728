"""Every article a crawl finds and does not store is counted by reason, warned about and summed up.

Real `scrapy crawl americas` runs against the sample site, with some articles scripted to fail:
500s, redirect loops, self-redirects, redirects off the site and answers too slow to wait for.
A crawl that stores nothing of what it found ends with finish reason `all_failed`, exit 1.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
)
from twisted.internet import error as twisted_error
from twisted.python.failure import Failure

from newsbot.extensions import failure_reason

ARTICLE_STATS = re.compile(r"'newsbot/lost/([^']+)': (\d+)")


def lost_stats(log: str) -> dict[str, int]:
    return {reason: int(count) for reason, count in ARTICLE_STATS.findall(log)}


def lost_warnings(log: str) -> list[str]:
    return [line for line in log.splitlines() if "WARNING: Lost article" in line]


def paths(manifest: dict[str, Any]) -> list[str]:
    return [article["path"] for article in manifest["articles"]]


def test_a_crawl_in_which_every_article_fails_exits_1(
    site_server, manifest, tmp_path, run_crawl
) -> None:
    for path in paths(manifest):
        site_server.fail(path, status=500, times=10**6)

    proc, items = run_crawl(
        site_server, tmp_path, "-s", "RETRY_TIMES=1", "-s", "NEWSBOT_LOST_WARNINGS=5"
    )

    log = proc.stderr
    assert proc.returncode == 1, log[-3000:]
    assert items == []
    assert "'finish_reason': 'all_failed'" in log
    found = len(manifest["articles"])
    assert lost_stats(log)["http_500"] == found
    # A WARNING per article up to the cap, then one line saying the rest are only counted.
    assert len(lost_warnings(log)) == 5
    assert log.count("further lost articles are only counted") == 1
    assert "Traceback" not in log
    summary = re.search(r"Articles: (\d+) found, (\d+) fetched, (\d+) stored", log)
    assert summary is not None, log[-3000:]
    assert int(summary.group(3)) == 0 and int(summary.group(1)) >= found
    assert re.search(rf"Lost by reason: .*http_500 {found}", log)


def test_redirect_faults_are_named_losses_and_the_rest_is_stored(
    site_server, manifest, tmp_path, run_crawl
) -> None:
    looping, self_redirect, bouncing, offsite, failing, slow, *fine = paths(manifest)
    site_server.redirect(self_redirect, self_redirect)
    site_server.redirect(looping, "/2000/01/01/world/americas/loop-b.html")
    site_server.redirect("/2000/01/01/world/americas/loop-b.html", looping)
    site_server.redirect(bouncing, site_server.url + bouncing)  # absolute, via the mirror
    site_server.redirect(offsite, "https://example.org/stolen.html")
    site_server.fail(failing, status=500, times=10**6)
    site_server.hang(slow, 3)

    proc, items = run_crawl(
        site_server, tmp_path, "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_TIMEOUT=1"
    )

    log = proc.stderr
    assert proc.returncode == 0, log[-3000:]
    stored = {item["url"] for item in items}
    assert stored == {a["url"] for a in manifest["articles"] if a["path"] in fine}
    lost = lost_stats(log)
    assert lost["redirect_loop"] == 3
    assert lost["redirect_offsite"] == 1
    assert lost["http_500"] == 1
    assert lost["timeout"] == 1
    warned = "\n".join(lost_warnings(log))
    for path in (looping, self_redirect, bouncing, offsite, failing, slow):
        assert path in warned
    assert "redirects to itself" in warned and "https://example.org/stolen.html" in warned
    assert re.search(rf"Articles: \d+ found, \d+ fetched, {len(fine)} stored", log)
    assert re.search(r"Lost by reason: .*redirect_loop 3", log)
    assert "all_failed" not in log


def test_a_clean_crawl_reports_no_loss(site_server, manifest, tmp_path, run_crawl) -> None:
    proc, items = run_crawl(site_server, tmp_path)
    assert proc.returncode == 0
    assert {item["url"] for item in items} == {a["url"] for a in manifest["articles"]}
    # The sample front links one page robots.txt forbids: found, and not stored, for a reason.
    assert lost_stats(proc.stderr) == {"robots_txt": len(manifest["disallowed"])}
    assert re.search(rf"Articles: \d+ found, \d+ fetched, {len(items)} stored", proc.stderr)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (DownloadTimeoutError("took longer than 1 seconds"), "timeout"),
        (CannotResolveHostError("no such host"), "dns"),
        (DownloadConnectionRefusedError(), "connection_refused"),
        (twisted_error.DNSLookupError("no such host"), "dns"),
        (twisted_error.ConnectionRefusedError(), "connection_refused"),
        (twisted_error.TimeoutError(), "timeout"),
        (twisted_error.TCPTimedOutError(), "timeout"),
        (twisted_error.ConnectionLost(), "connection_lost"),
        (ValueError("odd"), "error:ValueError"),
    ],
)
def test_failure_reasons(error: Exception, reason: str) -> None:
    assert failure_reason(Failure(error))[0] == reason
