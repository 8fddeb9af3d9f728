"""`newsbot crawl`: the same crawl as `scrapy crawl`, from any directory, with a progress line,
a summary, Scrapy's log in a file, and errors that name the problem in one line."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.crawl_runner import Tally, check_sections, is_loopback
from newsbot.devserver import SampleSiteServer
from newsbot.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parent.parent


def newsbot(cwd: Path, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    environment.update({"NEWSBOT_HOME": str(home), **env})
    return subprocess.run(
        [sys.executable, "-m", "newsbot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def feed_items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_crawls_from_another_directory_into_the_data_home(
    site_server: SampleSiteServer, tmp_path: Path, manifest: dict
) -> None:
    home = tmp_path / "home"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = newsbot(elsewhere, home, "crawl", "americas", "--site", site_server.url)
    assert first.returncode == 0, first.stderr
    articles = len(manifest["articles"])
    assert f"{articles} stored" in first.stderr
    # Scrapy's log went to a file under the home, not to the terminal.
    assert "[scrapy" not in first.stderr
    logs = list((home / "data" / "logs").glob("crawl-*.log"))
    assert logs and "Spider closed (finished)" in logs[0].read_text(encoding="utf-8")
    feeds = set((home / "data" / "feeds").glob("americas-*.jsonl"))
    fronts = home / "data" / "feeds" / "americas-fronts.jsonl"
    assert fronts in feeds
    [feed] = feeds - {fronts}
    assert len(feed_items(feed)) == articles
    stats = newsbot(elsewhere, home, "stats", "--json")
    assert json.loads(stats.stdout)["documents"] == articles

    again = newsbot(elsewhere, home, "crawl", "americas", "--site", site_server.url)
    assert again.returncode == 0, again.stderr
    assert f"0 fetched · 0 stored · 0 revised · {articles} unchanged" in again.stderr


def test_output_options_and_refetch(
    site_server: SampleSiteServer, tmp_path: Path, manifest: dict
) -> None:
    feed = tmp_path / "out.jsonl"
    index = tmp_path / "idx"
    args = ("crawl", "americas", "--site", site_server.url, "--index", str(index))
    assert newsbot(tmp_path, tmp_path / "h", *args, "-O", str(feed)).returncode == 0
    assert len(feed_items(feed)) == len(manifest["articles"])
    refetched = newsbot(tmp_path, tmp_path / "h", *args, "--refetch", "-O", str(feed))
    assert refetched.returncode == 0
    assert f"{len(manifest['articles'])} fetched" in refetched.stderr
    assert (index / "crawlstate.sqlite").exists()


def test_verbose_shows_scrapys_log(site_server: SampleSiteServer, tmp_path: Path) -> None:
    index = str(tmp_path / "idx")
    run = newsbot(tmp_path, tmp_path / "h", "crawl", "americas", "--site", site_server.url,
                  "--index", index, "-v")  # fmt: skip
    assert run.returncode == 0
    assert "Spider closed (finished)" in run.stderr
    assert not (tmp_path / "h" / "data" / "logs").exists()


def test_progress_line_on_a_terminal(site_server: SampleSiteServer, tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    environment.update(NEWSBOT_HOME=str(tmp_path / "h"), COLUMNS="160", TERM="xterm")
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbot", "crawl", "americas", "--site", site_server.url],
        cwd=tmp_path, env=environment, stdin=terminal, stdout=terminal, stderr=terminal,
    )  # fmt: skip
    os.close(terminal)
    screen = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    assert process.wait(timeout=60) == 0
    text = screen.decode("utf-8", "replace")
    assert "americas: finished" in text
    assert "found ·" in text and "fetched ·" in text


def test_unknown_section_suggests_the_nearest(tmp_path: Path) -> None:
    run = newsbot(tmp_path, tmp_path / "h", "crawl", "america")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1
    assert "did you mean 'americas'" in run.stderr
    with pytest.raises(UsageError):
        check_sections(["americas", "atlantis"])


def test_feed_dir_off_writes_no_feed_and_no_folder_named_off(
    site_server: SampleSiteServer, tmp_path: Path
) -> None:
    run = newsbot(tmp_path, tmp_path / "h", "crawl", "americas", "--site", site_server.url,
                  NEWSBOT_FEED_DIR="off")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "off").exists()
    assert not (tmp_path / "h" / "data" / "feeds").exists()


def test_runs_from_an_installed_copy_with_the_platform_data_home(
    site_server: SampleSiteServer, tmp_path: Path, manifest: dict
) -> None:
    # An installed newsbot is the package without the checkout around it (no scrapy.cfg).
    site_packages = tmp_path / "site-packages"
    shutil.copytree(REPO_ROOT / "newsbot", site_packages / "newsbot",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    user = tmp_path / "user"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "XDG_"))}
    environment.update(HOME=str(user), PYTHONPATH=str(site_packages))

    def installed(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "newsbot", *args]
        return subprocess.run(
            command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=180
        )

    crawl = installed("crawl", "americas", "--site", site_server.url)
    assert crawl.returncode == 0, crawl.stderr
    data_home = user / ".local" / "share" / "newsbot"
    assert (data_home / "index").is_dir()
    stats = installed("stats", "--json")
    assert json.loads(stats.stdout)["documents"] == len(manifest["articles"])
    assert not (site_packages / "index").exists()


def test_tally_counts_every_article_not_stored() -> None:
    tally = Tally.from_stats({
        "newsbot/discovery/articles_found": 5,
        "newsbot/articles/fetched": 4,
        "newsbot/index/new": 2,
        "newsbot/index/revised": 1,
        "newsbot/lost/http_500": 1,
        "newsbot/lost/not_an_article": 1,
    })  # fmt: skip
    assert (tally.found, tally.fetched, tally.stored, tally.revised) == (5, 4, 2, 1)
    assert tally.failed == 2
    assert dict(tally.failures) == {"http_500": 1, "not_an_article": 1}


def test_backfill_through_newsbot_crawl(tmp_path: Path) -> None:
    from newsbot.devserver import GeneratedArchive

    archive = GeneratedArchive(months=["2019-01", "2019-02", "2019-03"], per_month=4)
    (tmp_path / "root").mkdir()
    with SampleSiteServer(root=tmp_path / "root") as server:
        server.add_route(archive)
        run = newsbot(tmp_path, tmp_path / "h", "crawl", "americas", "--site", server.url,
                      "--since", "2019-02-01", "--until", "2019-02-28",
                      "-s", "NEWSBOT_DISCOVER_RSS=False")  # fmt: skip
        fetched = [p for p in server.paths() if p.endswith(".html")]
    assert run.returncode == 0, run.stderr
    february = set(archive.article_paths("2019-02"))
    assert february <= set(fetched)
    assert not set(archive.article_paths("2019-01")) & set(fetched)
    assert f"{len(set(fetched))} stored" in run.stderr


def test_a_bad_backfill_range_is_one_line(tmp_path: Path) -> None:
    run = newsbot(tmp_path, tmp_path / "h", "crawl", "americas", "--since", "2019-13-01")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1
    assert "--since takes a day like 2019-01-01" in run.stderr


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8765", True),
        ("http://localhost:80", True),
        ("http://[::1]:9000", True),
        ("https://www.nytimes.com", False),
        ("http://10.0.0.1", False),
    ],
)
def test_a_loopback_site_is_crawled_without_politeness_delays(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback
