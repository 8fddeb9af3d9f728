"""`newsbot extract`: one JSON line per page, in order; error lines for pages it cannot use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbot.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "articles"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict]]:
    code = main(["extract", *argv])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def test_prints_one_item_per_page_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    pages = [FIXTURES / "testid.html", FIXTURES / "legacy.html"]
    code, lines = run(capsys, *map(str, pages))
    assert code == 0
    assert [line["headline"] for line in lines] == [
        "Orchard Growers Turn to Owls to Fight Voles",
        "Ferry Service to Gull Island Ends After 90 Years",
    ]


def test_output_is_utf8_not_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    main(["extract", str(FIXTURES / "react.html")])
    assert "“Mostly I answer" in capsys.readouterr().out


def test_url_option_sets_source_url(capsys: pytest.CaptureFixture[str]) -> None:
    url = "https://www.nytimes.com/2019/10/03/business/economy/lighthouse-keepers.html?smid=x"
    code, [item] = run(capsys, str(FIXTURES / "react.html"), "--url", url)
    assert code == 0
    assert item["source_url"] == url
    assert item["url"] == url.split("?")[0]


def test_bad_pages_print_error_lines_and_the_rest_still_go_through(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    front = tmp_path / "front.html"
    front.write_text('<html><head><meta property="og:type" content="website"></head></html>')
    missing = tmp_path / "missing.html"
    code, lines = run(capsys, str(empty), str(FIXTURES / "live.html"), str(front), str(missing))
    assert code == 1
    assert [line.get("source") for line in lines] == [str(empty), None, str(front), str(missing)]
    assert lines[1]["kind"] == "live"
    assert all(line["error"] for line in (lines[0], lines[2], lines[3]))


def test_url_with_several_pages_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["extract", "a.html", "b.html", "--url", "https://www.nytimes.com/x"])
    assert code == 2
    assert "--url" in capsys.readouterr().err
