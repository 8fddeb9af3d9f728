"""Ordinary mistakes on the command line cost one line on stderr and exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["search"], "the following arguments are required: QUERY"),
        (["search", "x", "--limit", "abc"], "must be a whole number, not 'abc'"),
        (["search", "x", "--limit", "0"], "must be at least 1"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["crawl"], "the following arguments are required: SECTION"),
    ],
)
def test_argparse_errors_are_one_line(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_status:
        main(argv)
    assert exit_status.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert says in err and "--help" in err


def scrapy_crawl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", "crawl", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_scrapy_crawl_of_a_misspelt_section_suggests_the_name() -> None:
    run = scrapy_crawl("america")
    assert run.returncode != 0
    assert "did you mean 'americas'" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_scrapy_crawl_section_without_a_path_is_one_clear_error() -> None:
    run = scrapy_crawl("section")
    assert run.returncode == 1
    assert "scrapy crawl: error: which section? use -a path=world/europe" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_what_argparse_echoes_is_sanitised(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["search", "x", "--sort", "\x1b]52;c;aGk=\x07newest"])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "invalid choice" in err


@pytest.mark.parametrize("command", ["history", "show"])
def test_an_unreadable_url_is_a_usage_error(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_status:
        main([command, "http://[::1/x"])
    assert exit_status.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a URL" in err


def test_export_to_a_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "-o", str(tmp_path), "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a folder" in err


def test_reindex_takes_a_folder_of_feeds_without_its_front_snapshots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_search_fixtures import make_item

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    item = make_item("a", "Salt Flat Story", "2014-10-27T05:00:00Z", "lithium brine")
    (feeds / "americas-1.jsonl").write_text(json.dumps(item) + "\n", encoding="utf-8")
    (feeds / "americas-fronts.jsonl").write_text('{"rank": 1, "url": "x"}\n', encoding="utf-8")
    assert main(["reindex", str(feeds), "--index", str(tmp_path / "index")]) == 0
    assert "indexed 1 articles from 1 lines" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["reindex", str(empty), "--index", str(tmp_path / "index")]) == 2
    assert "no .jsonl feeds in the folder" in capsys.readouterr().err
