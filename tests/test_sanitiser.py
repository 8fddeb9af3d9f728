"""Issue #12 item 11: one sanitiser (newsbot.text) guards every way text reaches a terminal or
a feed: CLI output and error lines, extract, the clean pipeline, reindex input, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_search_fixtures import build_index, cli, json_lines, make_item, write_feed

from newsbot.cli import main
from newsbot.pipelines.clean import clean_body, clean_text
from newsbot.text import escape_for_json, strip_controls

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
# C1 CSI and OSC, DEL, bidi override/isolates/marks, zero-width no-break space.
UNSAFE = ["\x9b", "\x9d", "\x7f", "\u202e", "\u2066", "\u2069", "\u061c", "\u200e", "\u200f",
          "\ufeff", "\x1b", "\x00", "\u2028"]  # fmt: skip


def assert_clean(text: str) -> None:
    found = [f"U+{ord(ch):04X}" for ch in UNSAFE if ch in text]
    assert not found, found


def test_strip_controls_removes_sequences_whole_and_keeps_joiners():
    assert strip_controls(f"a{OSC52}b\x1b[31mc\x9b2Jd") == "abcd"
    assert strip_controls("x\u202ey\u2066z\u2069\u061c\u200e\u200f\x7f\x85!") == "xyz !"
    # Joiners are part of some scripts and emoji; tab stays for the caller to fold.
    assert strip_controls("क्\u200dष 👩\u200d🔬\tx") == "क्\u200dष 👩\u200d🔬\tx"
    assert strip_controls("one\ntwo\r\nthree\u2028four") == "one two  three four"
    assert strip_controls("one\ntwo\r\nthree\u2028four", keep_newlines=True) == (
        "one\ntwo\nthree\nfour"
    )
    text = "plain text, nothing to do"
    assert strip_controls(text) is text


def test_json_keeps_the_data_but_writes_no_unsafe_character_raw():
    line = escape_for_json(json.dumps({"h": "a\u061cb\x9bc"}, ensure_ascii=False))
    assert_clean(line)
    assert json.loads(line) == {"h": "a\u061cb\x9bc"}


def test_clean_pipeline_uses_the_sanitiser():
    assert clean_text("Head\u061cline\u200e \u202eevil\x9d") == "Headline evil"
    assert clean_body("One\u200f.\n\nTwo\x7f.") == "One.\n\nTwo."


def test_history_error_line_does_not_echo_osc52(capsys, tmp_path):
    index_dir = build_index(tmp_path / "index")
    url = f"https://www.nytimes.com/2017/01/01/world/{OSC52}x.html"
    code, out, err = cli(capsys, "history", url, "--index", str(index_dir))
    assert code == 1 and "no article with URL" in err
    assert_clean(out + err)


def test_extract_prints_no_c1_del_or_bidi_raw(capsys, tmp_path):
    page = (FIXTURES / "testid.html").read_text(encoding="utf-8")
    hostile = page.replace("Orchard Growers", "Orchard\x9b2J \x9d0;x\x07\x7f\u202eGrowers\u2066")
    path = tmp_path / "page.html"
    path.write_text(hostile, encoding="utf-8")
    code, out, _ = cli(capsys, "extract", str(path))
    assert code == 0
    assert_clean(out)
    assert "Growers" in json.loads(out)["headline"]


@pytest.fixture
def marked_index(tmp_path: Path) -> Path:
    """An index built by `newsbot reindex` from a feed whose text carries bidi marks."""
    item = make_item(
        "marks",
        "Marks\u061c In\u200e The\u200f Headline",
        "2017-01-02T00:00:00Z",
        "Body with marks\u061c and\u200e more\u200f text.\n\nSecond\u202e paragraph.",
        authors=["Ana\u200f Ruiz"],
        byline="By Ana\u200f Ruiz",
    )
    feed = write_feed(tmp_path / "feed.jsonl", [item])
    index_dir = tmp_path / "index"
    assert main(["reindex", str(feed), "--index", str(index_dir)]) == 0
    return index_dir


def test_search_history_and_export_after_a_reindex_pass_no_marks(capsys, marked_index):
    capsys.readouterr()
    url = "https://www.nytimes.com/2017/01/02/world/marks.html"
    runs = [
        ("search", "marks"),
        ("search", "marks", "--json", "--facets"),
        ("history", url),
        ("history", url, "--json"),
        ("export",),
        ("stats",),
    ]
    for argv in runs:
        code, out, err = cli(capsys, *argv, "--index", str(marked_index))
        assert code == 0, (argv, err)
        assert_clean(out + err)
    _, out, _ = cli(capsys, "export", "--index", str(marked_index))
    [item] = json_lines(out)
    assert item["headline"] == "Marks In The Headline"
    assert item["body"] == "Body with marks and more text.\n\nSecond paragraph."
