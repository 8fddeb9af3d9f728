"""How search results come out: CSV and TSV tables, forced or suppressed colour, a pager for long
lists; and a damaged index named as such, with how to rebuild it."""

from __future__ import annotations

import csv
import io
import shutil
import stat
import sys
from pathlib import Path

import pytest
from test_search_fixtures import build_index, cli

from newsbot.commands.search import HIT_COLUMNS
from newsbot.formats import cell


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_index(tmp_path_factory.mktemp("output") / "index")


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_tables_have_a_header_and_one_row_per_hit(capsys, index_dir, fmt, delimiter):
    code, out, _ = cli(capsys, "search", "wall", "--index", str(index_dir), "--format", fmt)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out), delimiter=delimiter))
    assert tuple(rows[0]) == HIT_COLUMNS
    assert len(rows) == 1 + 3
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    assert all(row[1].startswith("https://www.nytimes.com/") for row in rows[1:])


def test_cells_flatten_lists_captions_and_mappings():
    assert cell(["Ana Silva", "Luis Gómez"]) == "Ana Silva; Luis Gómez"
    assert cell([{"text": "A dam.", "credit": "Ines Baltra", "image_url": None}]) == (
        "A dam. (Ines Baltra)"
    )
    assert (
        cell({"es": "https://www.nytimes.com/es/x.html"}) == "es=https://www.nytimes.com/es/x.html"
    )
    assert cell(None) == "" and cell(True) == "true" and cell(3) == "3"
    assert cell("red \x1b[31mtext\x1b[0m\u202e") == "red text"


def test_color_always_and_never(capsys, index_dir, monkeypatch):
    _, forced, _ = cli(capsys, "search", "wall", "--index", str(index_dir), "--color", "always")
    assert "\x1b[1;33mwall\x1b[0m" in forced
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, never, _ = cli(capsys, "search", "wall", "--index", str(index_dir), "--color", "never")
    assert "\x1b" not in never
    _, auto, _ = cli(capsys, "search", "wall", "--index", str(index_dir))
    assert "\x1b[1;33m" in auto  # FORCE_COLOR with --color auto


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_result_lists_go_through_the_pager(index_dir, tmp_path, monkeypatch):
    from newsbot.cli import main

    paged = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\ncat > {paged}\n")
    pager.chmod(pager.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("NEWSBOT_PAGER", str(pager))
    monkeypatch.setenv("LINES", "8")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["search", "wall", "--index", str(index_dir), "--color", "never"]) == 0
    assert terminal.getvalue() == ""
    assert "3 articles match" in paged.read_text()


def damage(index_dir: Path, tmp_path: Path, how: str) -> Path:
    copy = tmp_path / how
    shutil.copytree(index_dir, copy)
    if how == "empty-toc":
        for toc in copy.glob("_MAIN_*.toc"):
            toc.write_bytes(b"")
    else:
        biggest = max(copy.glob("*.seg"), key=lambda p: p.stat().st_size)
        with biggest.open("r+b") as segment:
            segment.truncate(biggest.stat().st_size // 3)
    return copy


@pytest.mark.parametrize("how", ["empty-toc", "truncated-segment"])
@pytest.mark.parametrize(
    "command",
    [["search", "wall"], ["stats"], ["export"], ["show", "https://www.nytimes.com/x.html"]],
)
def test_a_damaged_index_is_one_line_that_says_how_to_rebuild(
    capsys, index_dir, tmp_path, how, command
):
    damaged = damage(index_dir, tmp_path, how)
    code, _, err = cli(capsys, *command, "--index", str(damaged))
    assert code == 1
    assert err.count("\n") == 1, err
    assert "is damaged" in err and "newsbot reindex" in err
