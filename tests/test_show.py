"""`newsbot show URL`: one article wrapped to the terminal, paged when long, never raw controls."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest

from newsbot.cli import main
from newsbot.commands.show import render
from newsbot.items import ArticleItem
from newsbot.pager import page
from newsbot.search.writer import ArchiveWriter

URL = "https://www.nytimes.com/2026/11/20/world/americas/valparaiso-fire.html"


def article(**values: object) -> dict:
    fields = {
        "url": URL,
        "headline": "Fire Sweeps the Hills Above Valparaíso",
        "byline": "By Tomás Okafor",
        "authors": ["Tomás Okafor"],
        "section": "World",
        "subsection": "Americas",
        "body": " ".join(["Flames reached the upper neighbourhoods overnight."] * 8)
        + "\n\nCrews worked until dawn.",
        "published": "2026-11-20T08:00:00-03:00",
        "captions": [{"text": "Smoke over the port.", "credit": "Ines Baltra", "image_url": None}],
        "crawled_at": "2026-11-21T10:00:00Z",
    }
    fields.update(values)
    return dict(ArticleItem.blank(**fields))


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    with ArchiveWriter(tmp_path) as writer:
        writer.put(article())
        writer.commit()
    return tmp_path


def test_render_wraps_and_keeps_everything_a_reader_needs() -> None:
    text = render(article(), width=40)
    lines = text.splitlines()
    assert all(len(line) <= 40 for line in lines if line != URL)
    assert lines[0] == "Fire Sweeps the Hills Above Valparaíso"
    assert "By Tomás Okafor" in lines
    assert "World › Americas" in lines
    assert "published 2026-11-20T08:00:00-03:00" in lines
    assert "Crews worked until dawn." in lines
    assert "  Smoke over the port. (Ines Baltra)" in lines


def test_render_never_prints_control_characters() -> None:
    text = render(article(headline="Bad \x1b]52;c;aGk=\x07 \u202eheadline"), width=80)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text


def test_show_by_tracking_url(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", f"{URL}?smid=tw-share", "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Fire Sweeps the Hills")
    assert main(["show", URL, "--index", str(index_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["headline"].endswith("Valparaíso")


def test_unknown_url_is_one_line(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = URL.replace("fire", "flood")
    assert main(["show", missing, "--index", str(index_dir)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no article with URL" in err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_text_goes_through_the_pager_short_text_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paged = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\ncat > {paged}\n")
    pager.chmod(pager.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("NEWSBOT_PAGER", str(pager))
    monkeypatch.setenv("LINES", "10")
    monkeypatch.setenv("COLUMNS", "80")

    short = FakeTerminal()
    page("one\ntwo\n", short)
    assert short.getvalue() == "one\ntwo\n" and not paged.exists()

    tall = FakeTerminal()
    page("\n".join(f"line {n}" for n in range(50)), tall)
    assert tall.getvalue() == ""
    assert paged.read_text().splitlines()[-1] == "line 49"


def test_no_pager_when_not_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_PAGER", str(tmp_path / "never-run"))
    monkeypatch.setenv("LINES", "5")
    piped = io.StringIO()
    page("\n".join(map(str, range(100))), piped)
    assert piped.getvalue().count("\n") == 100
