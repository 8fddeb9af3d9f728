"""`newsbot reindex`: rebuild from feeds, exact round trip, repeated urls, bad lines, progress."""

from __future__ import annotations

import io
import json

import pytest
from test_codec import whoosh_default_schema
from test_search_fixtures import ARTICLES, build_index, cli, json_lines, make_item, write_feed
from whoosh import index, multiproc, writing

from newsbot.search.codec import CompactPositions
from newsbot.search.query import parse_query
from newsbot.search.reindex import reindex, writer_limit_mb
from newsbot.search.schema import SCHEMA, item_to_document, same_schema
from newsbot.search.searcher import open_searcher
from newsbot.terminal import Progress


def test_export_reindex_export_round_trip_is_exact(capsys, tmp_path):
    first = build_index(tmp_path / "first")
    exported = tmp_path / "first.jsonl"
    assert cli(capsys, "export", "--index", str(first), "-o", str(exported))[0] == 0
    second = tmp_path / "second"
    code, _, err = cli(capsys, "reindex", str(exported), "--index", str(second))
    assert code == 0, err
    assert f"indexed {len(ARTICLES)} articles" in err
    again = tmp_path / "second.jsonl"
    assert cli(capsys, "export", "--index", str(second), "-o", str(again))[0] == 0
    assert again.read_bytes() == exported.read_bytes()


def test_later_line_wins_for_a_repeated_url(capsys, tmp_path):
    old = make_item("story", "Old Headline", "2017-01-01T00:00:00Z", "first version")
    new = make_item("story", "New Headline", "2017-01-01T00:00:00Z", "second version")
    other = make_item("other", "Other", "2017-01-02T00:00:00Z", "unrelated")
    feed_a = write_feed(tmp_path / "a.jsonl", [old, other])
    feed_b = write_feed(tmp_path / "b.jsonl", [new])
    index_dir = tmp_path / "ix"
    code, _, err = cli(capsys, "reindex", str(feed_a), str(feed_b), "--index", str(index_dir))
    assert code == 0
    assert "1 repeated urls (the later line kept)" in err
    _, out, _ = cli(capsys, "export", "--index", str(index_dir))
    assert [i["headline"] for i in json_lines(out)] == ["New Headline", "Other"]


def test_bad_lines_are_reported_with_line_numbers_and_skipped(capsys, tmp_path):
    good = make_item("good", "Good", "2017-01-01T00:00:00Z", "fine")
    no_body = make_item("nobody", "No Body", "2017-01-01T00:00:00Z", "")
    bad_date = make_item("baddate", "Bad Date", "yesterday", "text")
    feed = write_feed(
        tmp_path / "feed.jsonl",
        [good],
        extra_lines=(
            "{not json",
            "",
            "[1, 2]",
            json.dumps(no_body),
            json.dumps(bad_date),
        ),
    )
    index_dir = tmp_path / "ix"
    code, _, err = cli(capsys, "reindex", str(feed), "--index", str(index_dir))
    assert code == 1, "bad lines make the exit status non-zero"
    assert f"{feed}:2: invalid JSON" in err
    assert f"{feed}:4: expected a JSON object, got list" in err
    assert f"{feed}:5: missing required field 'body'" in err
    assert f"{feed}:6: published 'yesterday' is not an ISO 8601 date" in err
    assert "indexed 1 articles from 5 lines" in err and "4 bad lines skipped" in err
    _, out, _ = cli(capsys, "export", "--index", str(index_dir))
    assert [i["headline"] for i in json_lines(out)] == ["Good"]


def test_reindex_replaces_an_existing_index(capsys, tmp_path):
    index_dir = build_index(tmp_path / "ix")
    only = make_item("only", "Only One", "2017-01-01T00:00:00Z", "text")
    feed = write_feed(tmp_path / "feed.jsonl", [only])
    assert cli(capsys, "reindex", str(feed), "--index", str(index_dir))[0] == 0
    _, out, _ = cli(capsys, "stats", "--json", "--index", str(index_dir))
    assert json.loads(out)["documents"] == 1


def test_errors_leave_the_index_alone(capsys, tmp_path):
    index_dir = build_index(tmp_path / "ix")
    code, _, err = cli(
        capsys, "reindex", str(tmp_path / "missing.jsonl"), "--index", str(index_dir)
    )
    assert code == 2 and "no such feed" in err
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("nope\n", encoding="utf-8")
    code, _, err = cli(capsys, "reindex", str(garbage), "--index", str(index_dir))
    assert code == 1 and "no articles to index" in err
    _, out, _ = cli(capsys, "stats", "--json", "--index", str(index_dir))
    assert json.loads(out)["documents"] == len(ARTICLES)


@pytest.mark.parametrize("procs", [1, 2])
def test_parallel_writer_builds_the_same_index(tmp_path, procs):
    feed = write_feed(tmp_path / "feed.jsonl", ARTICLES)
    report = reindex([feed], tmp_path / "ix", procs=procs)
    assert report.documents == len(ARTICLES)


def test_progress_bar_only_on_a_terminal(capsys, tmp_path):
    feed = write_feed(tmp_path / "feed.jsonl", ARTICLES)
    _, _, err = cli(capsys, "reindex", str(feed), "--index", str(tmp_path / "ix"))
    assert "\r" not in err and "[" not in err

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    reindex([feed], tmp_path / "ix2", progress=Progress(0, "indexing", stream=tty))
    drawn = tty.getvalue()
    assert "indexing" in drawn and f"{len(ARTICLES)}/{len(ARTICLES)}" in drawn
    assert "100%" in drawn
    assert drawn.endswith("writing the index ...\n")
    piped = io.StringIO()
    reindex([feed], tmp_path / "ix3", progress=Progress(0, "indexing", stream=piped))
    assert piped.getvalue() == ""


def test_two_processes_replace_an_existing_index(tmp_path):
    # Enough documents that Whoosh hands batches to the second process.
    items = [make_item(f"n{i}", f"Story {i}", "2017-01-01T00:00:00Z", "words") for i in range(450)]
    index_dir = build_index(tmp_path / "ix")
    report = reindex([write_feed(tmp_path / "feed.jsonl", items)], index_dir, procs=2)
    assert report.documents == 450
    with open_searcher(index_dir) as searcher:
        assert searcher.doc_count() == 450


def test_index_path_that_is_a_file(capsys, tmp_path):
    feed = write_feed(tmp_path / "feed.jsonl", ARTICLES)
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, _, err = cli(capsys, "reindex", str(feed), "--index", str(blocker / "ix"))
    assert code == 1 and "cannot create the index" in err


@pytest.mark.parametrize(
    ("procs", "memory_gib", "expected_mb"),
    [(2, 24, 3072), (1, 24, 4096), (2, 64, 4096), (2, 1, 256), (4, 8, 512)],
)
def test_writer_buffers_share_a_quarter_of_memory_within_bounds(procs, memory_gib, expected_mb):
    assert writer_limit_mb(procs, memory_gib * 2**30) == expected_mb


class _Interrupted(Exception):
    pass


@pytest.mark.parametrize("procs", [1, 2])
@pytest.mark.parametrize("built_by", ["this version", "a version before CompactCodec"])
def test_an_interrupted_reindex_leaves_the_old_index_searchable(
    tmp_path, monkeypatch, procs, built_by
):
    index_dir = tmp_path / "ix"
    if built_by == "this version":
        build_index(index_dir)
    else:
        index_dir.mkdir()
        with index.create_in(str(index_dir), whoosh_default_schema()).writer() as writer:
            for item in ARTICLES:
                writer.add_document(**item_to_document(item))
    new = make_item("new", "New", "2017-01-01T00:00:00Z", "A xylophone concert")
    feed = write_feed(tmp_path / "feed.jsonl", [new])

    def interrupt(*args, **kwargs):
        raise _Interrupted

    monkeypatch.setattr(writing.SegmentWriter, "commit", interrupt)
    monkeypatch.setattr(multiproc.MpWriter, "commit", interrupt)
    with pytest.raises(_Interrupted):
        reindex([feed], index_dir, procs=procs)
    monkeypatch.undo()
    with open_searcher(index_dir) as searcher:
        assert searcher.doc_count() == len(ARTICLES)
    # And the next reindex goes through, to this version's schema.
    assert reindex([feed], index_dir, procs=procs).documents == 1
    with open_searcher(index_dir) as searcher:
        assert searcher.doc_count() == 1
        assert isinstance(searcher.schema["body"].format, CompactPositions)
        assert [hit["url"] for hit in searcher.search(parse_query('"xylophone concert"'))] == [
            new["url"]
        ]


def test_a_schema_read_back_from_an_index_is_the_same_schema(tmp_path):
    """Whoosh's == says otherwise, which sent every reindex down the upgrade path."""
    reopened = index.open_dir(str(build_index(tmp_path / "ix"))).schema
    assert reopened != SCHEMA
    assert same_schema(reopened, SCHEMA)
    assert not same_schema(whoosh_default_schema(), SCHEMA)


def test_bad_json_is_reported_at_its_own_column(capsys, tmp_path):
    feed = tmp_path / "feed.jsonl"
    good = json.dumps(make_item("a", "Salt Flat Story", "2014-10-27T05:00:00Z", "brine"))
    # A BOM before the first line is an editor's, not an error; a cut-off line is reported
    # where it ends, not at "column 1" of the line after; columns count characters.
    feed.write_bytes(("\ufeff" + good + '\n{"a":\n{"headline": "Sí", bad}\n').encode("utf-8"))
    code, _, err = cli(capsys, "reindex", str(feed), "--index", str(tmp_path / "ix"))
    assert code == 1
    assert f"{feed}:1:" not in err
    assert f"skipped {feed}:2: invalid JSON (Expecting value at column 6)" in err
    assert "at column 20)" in err  # the b of bad, after the accented í
