"""`newsbot stats`: counts, date range, sections, size and last crawl."""

from __future__ import annotations

import json

from test_search_fixtures import ARTICLES, build_index, cli, make_item


def test_stats_json(capsys, tmp_path):
    index_dir = build_index(tmp_path / "ix")
    code, out, _ = cli(capsys, "stats", "--json", "--index", str(index_dir))
    assert code == 0
    stats = json.loads(out)
    assert stats["documents"] == len(ARTICLES)
    assert stats["oldest"] == "2016-12-31T23:59:59+00:00"
    assert stats["newest"] == "2017-02-03T09:00:00+00:00"
    assert stats["sections"] == {"World": len(ARTICLES)}
    assert stats["size_bytes"] == sum(p.stat().st_size for p in index_dir.iterdir())
    assert stats["last_crawl"] == "2017-03-01T10:00:00Z"


def test_dates_compare_as_instants_not_strings(capsys, tmp_path):
    items = [
        # Later as text, earlier as an instant: 2017-01-02T01:00+05:00 is 2017-01-01T20:00Z.
        make_item("a", "A", "2017-01-02T01:00:00+05:00", "x", crawled_at="2017-03-02T00:00:00Z"),
        make_item("b", "B", "2017-01-01T21:00:00+00:00", "x", crawled_at="2017-03-01T23:00:00Z"),
    ]
    _, out, _ = cli(capsys, "stats", "--json", "--index", str(build_index(tmp_path / "ix", items)))
    stats = json.loads(out)
    assert stats["oldest"] == "2017-01-02T01:00:00+05:00"
    assert stats["newest"] == "2017-01-01T21:00:00+00:00"
    assert stats["last_crawl"] == "2017-03-02T00:00:00Z"


def test_stats_human(capsys, tmp_path):
    index_dir = build_index(tmp_path / "ix")
    code, out, _ = cli(capsys, "stats", "--index", str(index_dir))
    assert code == 0
    assert f"documents:  {len(ARTICLES)}" in out
    assert "oldest:     2016-12-31T23:59:59+00:00" in out
    assert "last crawl: 2017-03-01T10:00:00Z" in out
    assert "KiB" in out and "World" in out


def test_empty_index_reports_zero_and_how_to_fill_it(capsys, tmp_path):
    index_dir = build_index(tmp_path / "ix", items=[])
    code, out, err = cli(capsys, "stats", "--json", "--index", str(index_dir))
    assert code == 0
    assert json.loads(out)["documents"] == 0
    assert "newsbot crawl americas" in err


def test_missing_index(capsys, tmp_path):
    code, out, err = cli(capsys, "stats", "--index", str(tmp_path / "none"))
    assert code == 1 and out == ""
    assert "no index at" in err and "Traceback" not in err


def test_last_crawl_comes_from_the_crawl_record_when_there_is_one(capsys, tmp_path):
    index_dir = build_index(tmp_path / "ix")
    state = {"last_finished_crawl": {"finished_at": "2017-04-01T08:00:00Z", "status": "finished"}}
    (index_dir / "newsbot-crawl.json").write_text(json.dumps(state), encoding="utf-8")
    _, out, _ = cli(capsys, "stats", "--json", "--index", str(index_dir))
    assert json.loads(out)["last_crawl"] == "2017-04-01T08:00:00Z"
