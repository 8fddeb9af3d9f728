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
    # Without its tracking parameter, as the crawl stores it (the clean pipeline's rule).
    assert item["source_url"] == url.removesuffix("?smid=x")
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


def test_walks_folders_and_reads_gzipped_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import gzip

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.html.gz").write_bytes(
        gzip.compress((FIXTURES / "testid.html").read_bytes())
    )
    (tmp_path / "c.html").write_bytes((FIXTURES / "legacy.html").read_bytes())
    (tmp_path / "notes.txt").write_text("not a page")
    code, lines = run(capsys, str(tmp_path))
    assert code == 0
    assert [line["headline"] for line in lines] == [
        "Orchard Growers Turn to Owls to Fight Voles",
        "Ferry Service to Gull Island Ends After 90 Years",
    ]


def test_fills_content_hash_and_word_count_as_the_crawl_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from newsbot.pipelines.clean import content_hash

    _, [item] = run(capsys, str(FIXTURES / "testid.html"))
    assert item["content_hash"] == content_hash(item["body"])
    assert item["word_count"] == len(item["body"].split())


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF, not an HTML page"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00", "a binary file, not an HTML page"),
        (b"\x1f\x8b\x08\x00garbage", "damaged gzip file"),
    ],
)
def test_a_pdf_or_binary_is_a_clear_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, error: str
) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(content)
    code, [line] = run(capsys, str(page))
    assert code == 1
    assert line["error"].startswith(error)


def test_an_empty_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(tmp_path)]) == 2
    assert "no pages found" in capsys.readouterr().err
