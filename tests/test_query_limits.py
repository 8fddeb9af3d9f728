"""Issue #12 items 6 and 10: queries that froze search or escaped as tracebacks now answer
quickly or exit 2 with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_search_fixtures import ARTICLES, build_index, cli, json_lines, make_item

from newsbot.errors import UsageError
from newsbot.search import query
from newsbot.search.query import MAX_NESTING, Filters, parse_query
from newsbot.search.searcher import open_searcher, search


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Many words starting "pre", so a prefix can go past the limits.
    extra = [
        make_item(f"p{n}", f"Pre{n:03d} story", "2018-01-01T00:00:00Z", f"pre{n:03d}x body")
        for n in range(60)
    ]
    return build_index(tmp_path_factory.mktemp("limits") / "index", [*ARTICLES, *extra])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["NOT NOT drought"], "operator NOT needs a term after it"),
        (["item:x"], "unknown field 'item'"),
        (["history:[a TO z]"], "unknown field 'history'"),
        (["published:[a TO z]"], "cannot read the query ('a' is not a readable date)"),
        (["(" * 1000 + "wall" + ")" * 1000], "characters long"),
        (["(" * 300 + "wall" + ")" * 300], f"nested more than {MAX_NESTING} deep"),
        (["?*?*?*?*"], "a wildcard cannot start a word ('?*?*?*?*')"),
        (["*a*"], "a wildcard cannot start a word"),
        (["headline:*"], "would list every word in the field"),
    ],
)
def test_bad_queries_exit_2_with_one_line(capsys, index_dir, argv, message):
    code, out, err = cli(capsys, "search", *argv, "--index", str(index_dir))
    assert code == 2, err
    assert message in err and err.count("\n") == 1 and not out


@pytest.mark.parametrize("text", ['e ( + ) "a b"', "dek:[a TO z]", "wall - mexico", "+ wall"])
def test_queries_whoosh_failed_on_now_answer(capsys, index_dir, text):
    code, _, err = cli(capsys, "search", text, "--index", str(index_dir), "--facets")
    assert code == 0, err


def test_facets_with_articles_lacking_the_field(capsys, index_dir):
    # dek:[a TO z] --facets compared None with str when some hits had no subsection.
    code, out, err = cli(capsys, "search", "story OR wall", "--index", str(index_dir), "--json",
                         "--facets")  # fmt: skip
    assert code == 0, err
    assert "None" not in json_lines(out)[-1]["facets"]["subsection"]


def test_wildcard_runs_collapse_to_one_star():
    # `?*?*` is "two or more letters"; as one star the pattern cannot backtrack badly.
    assert parse_query("body:wo?*?*").text == "wo??*"


def test_a_prefix_past_the_word_limit_is_refused(index_dir, monkeypatch):
    monkeypatch.setattr(query, "MAX_EXPANDED_TERMS", 50)
    with open_searcher(index_dir) as searcher:
        with pytest.raises(UsageError, match=r"'pre\*' stands for more than 50 words"):
            search(searcher, "pre*", Filters())
        # A longer prefix stands for fewer words and answers.
        assert search(searcher, "pre00*", Filters()).total == 10


def test_the_limit_counts_every_wildcard_of_the_query(index_dir, monkeypatch):
    # pre0* is 120 words: pre000-pre059 in headlines, pre000x-pre059x in bodies.
    monkeypatch.setattr(query, "MAX_EXPANDED_TERMS", 150)
    with open_searcher(index_dir) as searcher:
        assert search(searcher, "pre0*", Filters()).total == 60
        with pytest.raises(UsageError, match="more than 150 words"):
            search(searcher, "pre0* OR pre00* OR pre01*", Filters())


def test_a_range_over_text_is_bounded_by_postings(index_dir, monkeypatch):
    monkeypatch.setattr(query, "MAX_EXPANDED_POSTINGS", 30)
    with open_searcher(index_dir) as searcher:
        with pytest.raises(UsageError, match="more than 30 word occurrences"):
            search(searcher, "body:[pre000x TO pre059x]", Filters())
        assert search(searcher, "body:[pre000x TO pre009x]", Filters()).total == 10


def test_a_lone_star_lists_every_article_newest_first(index_dir):
    with open_searcher(index_dir) as searcher:
        result = search(searcher, "*", Filters(), sort="newest", limit=3)
        assert result.total == searcher.doc_count()
        dates = [hit.published for hit in result.hits]
        assert dates == sorted(dates, reverse=True)
