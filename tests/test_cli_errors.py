"""Ordinary mistakes on the command line cost one line on stderr and exit status 2."""

from __future__ import annotations

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
