"""`newsbot export`: item-shaped JSON Lines, deterministic order, filters, atomic file writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_search_fixtures import ARTICLES, build_index, cli, json_lines

import newsbot.search.export as export_module
from newsbot.text import sanitized


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_index(tmp_path_factory.mktemp("export") / "index")


def test_export_everything_in_item_shape_oldest_first(capsys, index_dir):
    code, out, _ = cli(capsys, "export", "--index", str(index_dir))
    assert code == 0
    items = json_lines(out)
    by_url = {a["url"]: a for a in ARTICLES}
    assert [i["url"] for i in items] == sorted(
        by_url, key=lambda url: (by_url[url]["published"][:19], url)
    )
    for item in items:
        # Exactly the item indexed, less the escape sequences indexing removes from hand-made
        # feeds (a crawl's items have none left by then).
        assert item == sanitized(by_url[item["url"]]), "export gives back the item indexed"
        assert list(item) == list(by_url[item["url"]]), "and in the same key order"


def test_same_instant_is_ordered_by_url(capsys, tmp_path):
    from test_search_fixtures import make_item

    same = "2017-01-01T00:00:00Z"
    items = [make_item(slug, slug, same, "body") for slug in ("b", "c", "a")]
    index_dir = build_index(tmp_path / "ix", items)
    _, out, _ = cli(capsys, "export", "--index", str(index_dir))
    assert [i["headline"] for i in json_lines(out)] == ["a", "b", "c"]


def test_export_takes_query_and_filters(capsys, index_dir):
    _, out, _ = cli(capsys, "export", "election", "--index", str(index_dir))
    assert {i["subsection"] for i in json_lines(out)} == {"Canada", "Americas"}
    _, out, _ = cli(capsys, "export", "election", "--section", "canada", "--index", str(index_dir))
    assert [i["subsection"] for i in json_lines(out)] == ["Canada"]
    _, out, _ = cli(
        capsys,
        "export",
        "--author",
        "kirk semple",
        "--since",
        "2017-01-26",
        "--until",
        "2017-01-26",
        "--index",
        str(index_dir),
    )
    assert [i["headline"] for i in json_lines(out)] == [
        "Mexico's President Cancels Meeting With Trump"
    ]


def test_export_to_file(capsys, index_dir, tmp_path):
    target = tmp_path / "out.jsonl"
    code, out, err = cli(capsys, "export", "--index", str(index_dir), "-o", str(target))
    assert code == 0 and out == ""
    assert f"exported {len(ARTICLES)} articles" in err
    assert len(json_lines(target.read_text(encoding="utf-8"))) == len(ARTICLES)
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"], "no temp file left behind"


def test_interrupted_export_leaves_the_old_file_alone(capsys, index_dir, tmp_path, monkeypatch):
    target = tmp_path / "out.jsonl"
    target.write_text("previous export\n", encoding="utf-8")
    real = export_module.json_line
    written = []

    def interrupt_after_two(value):
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(value)
        return real(value)

    monkeypatch.setattr(export_module, "json_line", interrupt_after_two)
    code, _, err = cli(capsys, "export", "--index", str(index_dir), "-o", str(target))
    assert code == 130 and "interrupted" in err
    assert target.read_text(encoding="utf-8") == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_export_escapes_control_characters(capsys, index_dir):
    _, out, _ = cli(capsys, "export", "hostile", "--index", str(index_dir))
    assert "\x1b" not in out and "\x9b" not in out
    [item] = json_lines(out)
    assert item["body"] == "Hostile text  with a  wall of control bytes in the report body."


def test_export_errors(capsys, index_dir, tmp_path):
    code, _, err = cli(capsys, "export", "foo:bar", "--index", str(index_dir))
    assert code == 2 and "unknown field 'foo'" in err
    code, _, err = cli(capsys, "export", "--index", str(tmp_path / "none"))
    assert code == 1 and "newsbot crawl americas" in err


def test_export_into_a_missing_directory_is_one_line(capsys, index_dir, tmp_path):
    code, _, err = cli(
        capsys, "export", "--index", str(index_dir), "-o", str(tmp_path / "x/y.jsonl")
    )
    assert code == 1
    assert "cannot write" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("fmt", "dialect"), [("csv", "excel"), ("tsv", "excel-tab")])
def test_export_as_a_table_has_one_column_per_field(capsys, index_dir, tmp_path, fmt, dialect):
    import csv

    from newsbot.items import ARTICLE_FIELDS

    out_file = tmp_path / f"archive.{fmt}"
    code, _, _ = cli(capsys, "export", "--index", str(index_dir), "--format", fmt, "-o",
                     str(out_file))  # fmt: skip
    assert code == 0
    rows = list(csv.reader(out_file.open(encoding="utf-8", newline=""), dialect=dialect))
    assert tuple(rows[0]) == tuple(ARTICLE_FIELDS)
    code, jsonl, _ = cli(capsys, "export", "--index", str(index_dir))
    items = json_lines(jsonl)
    assert len(rows) == 1 + len(items)
    authors = rows[0].index("authors")
    body = rows[0].index("body")
    for row, item in zip(rows[1:], items, strict=True):
        assert row[0] == item["url"]
        assert row[authors] == "; ".join(item["authors"])
        assert row[body] == (item["body"] or "")  # paragraphs and their blank lines survive
