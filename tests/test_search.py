"""`newsbot search`: query syntax, filters, sorting, paging, snippets, facets, spelling, errors."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_search_fixtures import ARTICLES, build_index, cli, json_lines, make_item
from whoosh import index

import newsbot.commands.search as search_command
from newsbot.search.query import Filters, parse_query
from newsbot.search.schema import item_to_document, open_writer
from newsbot.search.searcher import open_searcher, search
from newsbot.terminal import MATCH_END, MATCH_START


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_index(tmp_path_factory.mktemp("search") / "index")


def hits(capsys, index_dir: Path, *argv: str) -> list[dict]:
    code, out, err = cli(capsys, "search", *argv, "--index", str(index_dir), "--json")
    assert code == 0, err
    return [record for record in json_lines(out) if "url" in record]


def slugs(records: list[dict]) -> list[str]:
    return [r["url"].rsplit("/", 1)[1].removesuffix(".html") for r in records]


def test_json_hit_has_the_documented_keys(capsys, index_dir):
    [first, *_] = hits(capsys, index_dir, "wall")
    assert set(first) == {
        "url",
        "headline",
        "published",
        "authors",
        "section",
        "score",
        "snippet",
        "matched_fields",
    }
    assert first["headline"] == "Trump Orders Wall Built on Mexican Border"
    assert first["authors"] == ["Kirk Semple"]
    assert "wall" in first["snippet"]
    assert MATCH_START not in first["snippet"]
    assert first["matched_fields"] == ["body", "headline"]


def test_headline_match_ranks_first_and_stemming_matches_inflections(capsys, index_dir):
    # "walls" stems to "wall"; the headline boost puts the wall story above body-only matches.
    assert slugs(hits(capsys, index_dir, "walls"))[0] == "border-wall"
    assert "canada-election" in slugs(hits(capsys, index_dir, "elections"))


def test_phrase_and_boolean_operators(capsys, index_dir):
    assert slugs(hits(capsys, index_dir, '"wall order"')) == ["mexico-meeting"]
    assert set(slugs(hits(capsys, index_dir, "brazil OR canada"))) == {
        "brazil-prison",
        "canada-election",
    }
    assert slugs(hits(capsys, index_dir, "election AND reform")) == ["canada-election"]
    assert slugs(hits(capsys, index_dir, "election NOT reform")) == ["venezuela-election"]
    assert slugs(hits(capsys, index_dir, "election -reform")) == ["venezuela-election"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("byline:semple", {"border-wall", "mexico-meeting"}),
        ('caption:"border fence"', {"border-wall"}),
        ("captions:tijuana", {"border-wall"}),
        ('credit:"Associated Press"', {"border-wall"}),
        ('author:"Azam Ahmed"', {"mexico-meeting"}),
        ("section:canada", {"canada-election"}),
        ("title:riot", {"brazil-prison"}),
    ],
)
def test_field_queries_and_aliases(capsys, index_dir, query, expected):
    assert set(slugs(hits(capsys, index_dir, query))) == expected


def test_matched_fields_name_the_caption(capsys, index_dir):
    [hit] = hits(capsys, index_dir, "caption:tijuana")
    assert hit["matched_fields"] == ["caption"]


def test_author_and_section_filters(capsys, index_dir):
    assert set(slugs(hits(capsys, index_dir, "report", "--author", "Kirk Semple"))) == {
        "border-wall",
        "mexico-meeting",
    }
    assert slugs(hits(capsys, index_dir, "report", "--author", "ahmed")) == ["mexico-meeting"]
    assert slugs(hits(capsys, index_dir, "report", "--section", "Canada")) == ["canada-election"]
    both = hits(capsys, index_dir, "report", "--section", "canada", "--section", "europe")
    assert set(slugs(both)) == {"canada-election", "europe-new-year"}


def test_date_filters_are_inclusive_whole_days(capsys, index_dir):
    # europe-new-year is 2016-12-31T23:59:59Z, venezuela-election 2017-01-01T00:00:00Z.
    since = slugs(hits(capsys, index_dir, "report", "--since", "2017-01-01", "--limit", "50"))
    assert "venezuela-election" in since and "europe-new-year" not in since
    until = slugs(hits(capsys, index_dir, "report", "--until", "2016-12-31"))
    assert until == ["europe-new-year"]
    # canada-election is at 2017-02-02T00:00:00Z: outside --until 2017-02-01, inside 02-02.
    day = slugs(hits(capsys, index_dir, "report", "--since", "2017-02-01", "--until", "2017-02-01"))
    assert day == ["brazil-prison"]
    assert "canada-election" in slugs(hits(capsys, index_dir, "report", "--until", "2017-02-02"))


def test_sort_newest_and_oldest(capsys, index_dir):
    newest = hits(capsys, index_dir, "report", "--sort", "newest", "--limit", "50")
    dates = [r["published"] for r in newest]
    assert slugs(newest)[0] == "escape-sequences"
    assert slugs(newest)[-1] == "europe-new-year"
    assert all(r["score"] is None for r in newest), "a date order has no relevance score"
    oldest = hits(capsys, index_dir, "report", "--sort", "oldest", "--limit", "50")
    assert [r["published"] for r in oldest] == dates[::-1]


def test_paging(capsys, index_dir):
    everything = slugs(hits(capsys, index_dir, "report", "--limit", "50"))
    assert len(everything) == len(ARTICLES)
    pages = [
        slugs(hits(capsys, index_dir, "report", "--limit", "3", "--page", str(page)))
        for page in (1, 2, 3, 4)
    ]
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    assert [slug for page in pages for slug in page] == everything
    _, out, _ = cli(
        capsys, "search", "report", "--index", str(index_dir), "--limit", "3", "--page", "2"
    )
    assert "page 2 of 3" in out
    assert out.splitlines()[2].startswith("  4. ")


def test_human_output_is_plain_when_piped(capsys, index_dir):
    code, out, _ = cli(capsys, "search", "wall", "--index", str(index_dir))
    assert code == 0
    assert "3 articles match" in out
    assert "\x1b" not in out and MATCH_START not in out and MATCH_END not in out


def test_color_on_a_terminal_highlights_matches(capsys, index_dir, monkeypatch):
    monkeypatch.setattr(search_command, "wants_color", lambda stream, mode: True)
    _, out, _ = cli(capsys, "search", "wall", "--index", str(index_dir))
    assert "\x1b[1;33mwall\x1b[0m" in out


def test_no_escape_sequences_from_crawled_text(capsys, index_dir, monkeypatch):
    monkeypatch.setattr(search_command, "wants_color", lambda stream, mode: True)
    _, out, _ = cli(capsys, "search", "hostile", "--index", str(index_dir), "--facets")
    assert "Hostile" in out
    ours = re.sub(r"\x1b\[(?:1;33|1|2|0)m", "", out)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", ours)
    _, out, _ = cli(capsys, "search", "hostile", "--index", str(index_dir), "--json", "--facets")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    [hit] = [r for r in json_lines(out) if "url" in r]
    # Escape sequences are removed whole when the item is indexed, even from a hand-made feed.
    assert hit["headline"] == "Hostile Headline In Red"


def test_no_color_environment_variable(monkeypatch):
    from newsbot.terminal import wants_color

    class Tty:
        def isatty(self) -> bool:
            return True

    assert wants_color(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_color(Tty())


def test_facets_count_the_whole_matching_set(capsys, index_dir):
    _, out, _ = cli(
        capsys, "search", "report", "--index", str(index_dir), "--json", "--facets", "--limit", "1"
    )
    records = json_lines(out)
    assert len([r for r in records if "url" in r]) == 1
    facets = records[-1]["facets"]
    # Names as the articles show them, sections apart from subsections.
    assert facets["section"] == {"World": len(ARTICLES)}
    assert facets["subsection"] == {"Americas": 5, "Canada": 1, "Europe": 1}
    assert facets["author"]["Kirk Semple"] == 2
    assert facets["month"] == {"2017-02": 3, "2017-01": 3, "2016-12": 1}
    _, out, _ = cli(capsys, "search", "report", "--index", str(index_dir), "--facets")
    assert "section:    World 7\n" in out
    assert "subsection: Americas 5, Canada 1, Europe 1\n" in out
    assert "month:      2017-02 3, 2017-01 3, 2016-12 1" in out


def test_spelling_suggestion(capsys, index_dir):
    _, out, _ = cli(capsys, "search", "electoin", "--index", str(index_dir))
    assert out.startswith("Did you mean: election?")
    _, out, _ = cli(capsys, "search", "prisn riot", "--index", str(index_dir))
    assert "Did you mean: prison riot?" in out
    _, out, err = cli(capsys, "search", "mexcio", "--index", str(index_dir), "--json")
    assert out == "" and "Did you mean: mexico?" in err
    _, out, _ = cli(capsys, "search", "wall", "--index", str(index_dir))
    assert "Did you mean" not in out


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("foo:bar", "unknown field 'foo'"),
        ('"border fence', "unbalanced quote"),
        ("(wall OR fence", "unbalanced '('"),
        ("wall)", "unexpected ')'"),
        ("wall AND", "operator AND needs a term on each side"),
        ("OR wall", "operator OR needs a term on each side"),
        ("wall NOT", "operator NOT needs a term after it"),
        ("byline: semple", "field 'byline:' has no value"),
    ],
)
def test_query_errors_exit_2_with_one_line(capsys, index_dir, query, message):
    code, out, err = cli(capsys, "search", query, "--index", str(index_dir))
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "2017-13-01"], "--since '2017-13-01' is not a date"),
        (["--since", "2017-02-02", "--until", "2017-02-01"], "is after --until"),
    ],
)
def test_bad_filter_options_exit_2(capsys, index_dir, argv, message):
    code, _, err = cli(capsys, "search", "wall", "--index", str(index_dir), *argv)
    assert code == 2
    assert message in err


@pytest.mark.parametrize("option", ["--limit", "--page"])
def test_limit_and_page_must_be_positive(capsys, index_dir, option):
    with pytest.raises(SystemExit) as exit_info:
        cli(capsys, "search", "wall", "--index", str(index_dir), option, "0")
    assert exit_info.value.code == 2


def test_missing_index_says_how_to_build_one(capsys, tmp_path):
    code, _, err = cli(capsys, "search", "wall", "--index", str(tmp_path / "nowhere"))
    assert code == 1
    assert "no index at" in err and "newsbot crawl americas" in err


def test_empty_index_says_how_to_build_one(capsys, tmp_path):
    empty = build_index(tmp_path / "empty", items=[])
    code, _, err = cli(capsys, "search", "wall", "--index", str(empty))
    assert code == 1
    assert "has no articles" in err and "newsbot crawl americas" in err


def test_no_match_is_not_an_error(capsys, index_dir):
    code, out, _ = cli(capsys, "search", "zebra", "--index", str(index_dir))
    assert code == 0
    assert 'No articles match "zebra".' in out


def test_summary_only_match_uses_summary_snippet(capsys, tmp_path):
    item = make_item(
        "s",
        "Quiet Headline",
        "2017-01-01T00:00:00Z",
        "Body text.",
        summary="A campaign promise kept.",
    )
    index_dir = build_index(tmp_path / "ix", [item])
    [hit] = hits(capsys, index_dir, "campaign")
    assert hit["snippet"].startswith("A campaign promise kept")


def test_filters_that_match_nothing_find_nothing(capsys, index_dir):
    assert hits(capsys, index_dir, "report", "--since", "2030-01-01") == []
    assert hits(capsys, index_dir, "report", "--section", "sports") == []
    _, out, _ = cli(capsys, "export", "--author", "nobody", "--index", str(index_dir))
    assert out == ""


@pytest.fixture(scope="module")
def segmented_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archive in two segments, one article deleted: document numbers with offsets."""
    directory = build_index(tmp_path_factory.mktemp("segments") / "index", ARTICLES[:4])
    writer = open_writer(index.open_dir(str(directory)))
    for item in ARTICLES[4:]:
        writer.add_document(**item_to_document(item))
    writer.delete_by_term("url", ARTICLES[0]["url"])
    writer.commit(merge=False)
    return directory


@pytest.mark.parametrize(
    "text",
    ["wall", "report", "wall report", "election NOT reform", '"wall order"', "elect*", "riot"],
)
@pytest.mark.parametrize("limit", [1, 2, 50])
def test_matched_fields_and_total_agree_with_whoosh_recording_every_match(
    segmented_index, text, limit
):
    # matched_fields and the total are computed for the shown hits only; the reference is
    # Whoosh recording the matched terms of every match (terms=True) and counting them all.
    with open_searcher(segmented_index) as searcher:
        assert len(searcher.leaf_searchers()) == 2
        q = parse_query(text)
        for filters in (Filters(), Filters(since=dt.date(2017, 1, 1))):
            dates = filters.to_query()
            allowed = set(searcher.docs_for_query(dates)) if dates is not None else None
            full = searcher.search(q, filter=allowed, limit=None, terms=True)
            expected = {
                hit["url"]: sorted({name for name, _ in hit.matched_terms()}) for hit in full
            }
            for page in (1, 2):
                result = search(searcher, text, filters, limit=limit, page=page)
                assert result.total == len(full)
                for hit in result.hits:
                    assert hit.matched_fields == expected[hit.url], hit.url
                    assert hit.matched_fields


def test_the_command_line_starts_without_loading_scrapy(index_dir):
    """Scrapy takes ~0.2 s to import, more than a search of 100,000 articles."""
    code = (
        "import sys; from newsbot.cli import main; "
        f"main(['search', 'wall', '--index', {str(index_dir)!r}]); "
        "sys.exit('scrapy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "wall" in done.stdout.lower()
