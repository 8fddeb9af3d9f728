"""Issue #13, search that finds what people remember: accents and case, names, sections,
empty results that explain themselves, facets, spelling, snippets, -word, dates, and the
in-place rebuild of an index from before accent folding."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from test_search_fixtures import ARTICLES, build_index, cli, json_lines, make_item
from whoosh import index
from whoosh.analysis import KeywordAnalyzer

from newsbot.search.analysis import FastStandardAnalyzer, FastStemmingAnalyzer
from newsbot.search.query import parse_day
from newsbot.search.schema import SCHEMA, item_to_document, open_writer, same_schema
from newsbot.text import sanitized

VALPARAISO = make_item(
    "valparaiso-fires",
    "Fires Close In on Valparaíso",
    "2021-06-03T10:00:00-04:00",
    "Firefighters in Valparaíso fought fires fed by the long drought. Residents fled the hills "
    "above the port as the wind turned, and officials opened schools as shelters for the night.",
    authors=["Tomás Okafor"],
    byline="By Tomás Okafor",
    section="U.S.",
    subsection=None,
    captions=[
        {
            "text": "Smoke over the harbour at dusk.",
            "credit": "Lucía Fernández for The Times",
            "image_url": None,
        }
    ],
)
DRAFT = make_item("draft", "The Draft", "2021-01-05T00:00:00Z", "A draft of the draft law.")
ITEMS = [*ARTICLES, VALPARAISO, DRAFT]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_index(tmp_path_factory.mktemp("findable") / "index", ITEMS)


def search_json(capsys, index_dir: Path, *argv: str) -> tuple[list[dict], str]:
    code, out, err = cli(capsys, "search", *argv, "--index", str(index_dir), "--json")
    assert code == 0, err
    return [r for r in json_lines(out) if "url" in r], err


def urls(records: list[dict]) -> list[str]:
    return [r["url"] for r in records]


@pytest.mark.parametrize(
    "argv",
    [
        ["Valparaiso"],
        ["VALPARAÍSO"],
        ["headline:valparaiso"],
        ["Byline:tomas"],
        ["HEADLINE:Valparaiso"],
        ["credit:lucia"],
        ["fires", "--author", "tomas okafor"],
        ["fires", "--author", "TOMÁS OKAFOR"],
        ["fires", "--author", "Okafor"],
        ["fires", "--section", "U.S."],
        ["fires", "--section", "us"],
    ],
)
def test_accents_case_names_and_sections_fold(capsys, index_dir, argv):
    found, _ = search_json(capsys, index_dir, *argv)
    assert VALPARAISO["url"] in urls(found)


def test_original_text_is_shown_and_exported_unchanged(capsys, index_dir):
    [hit], _ = search_json(capsys, index_dir, "valparaiso")
    assert hit["headline"] == "Fires Close In on Valparaíso"
    assert hit["authors"] == ["Tomás Okafor"]
    _, out, _ = cli(capsys, "export", "valparaiso", "--index", str(index_dir))
    assert json_lines(out) == [VALPARAISO]


def test_an_empty_result_names_the_filter_and_the_count_without_it(capsys, index_dir):
    code, out, _ = cli(capsys, "search", "wall", "--section", "us", "--index", str(index_dir))
    assert code == 0
    assert "with --section 'us'; without it, 3 articles match." in out
    code, out, _ = cli(capsys, "search", "wall", "--author", "Simon Romero", "--since", "2017-01",
                       "--index", str(index_dir))  # fmt: skip
    assert "with --author 'Simon Romero'; without it" in out
    _, err = search_json(capsys, index_dir, "wall", "--since", "2021")
    assert "with --since 2021-01-01; without it, 3 articles match" in err


def test_facets_show_display_names_and_keep_subsections_apart(capsys, index_dir):
    _, out, _ = cli(capsys, "search", "fires OR wall", "--facets", "--json", "--index",
                       str(index_dir))  # fmt: skip
    facets = json_lines(out)[-1]["facets"]
    assert facets["section"] == {"World": 3, "U.S.": 1}
    assert facets["subsection"] == {"Americas": 3}
    assert facets["author"]["Tomás Okafor"] == 1


def test_did_you_mean_prefers_the_nearer_word(capsys, index_dir):
    _, err = search_json(capsys, index_dir, "drout")
    assert "Did you mean: drought?" in err


def test_a_caption_or_credit_hit_shows_the_caption_and_says_which_field(capsys, index_dir):
    [hit], _ = search_json(capsys, index_dir, "caption:harbour")
    assert hit["snippet"] == "Smoke over the harbour at dusk. (Lucía Fernández for The Times)"
    assert hit["matched_fields"] == ["caption"]
    [hit], _ = search_json(capsys, index_dir, "credit:fernandez")
    assert "Smoke over the harbour" in hit["snippet"]
    _, out, _ = cli(capsys, "search", "caption:harbour", "--index", str(index_dir))
    assert " · in caption" in out


def test_snippets_start_and_end_at_word_boundaries_with_an_ellipsis(capsys, tmp_path):
    words = " ".join(f"word{n}" for n in range(200))
    item = make_item("long", "Long", "2020-01-01T00:00:00Z", f"{words} needle {words}")
    [hit], _ = search_json(capsys, build_index(tmp_path / "ix", [item]), "needle")
    snippet = hit["snippet"]
    assert snippet.startswith("… word") and snippet.endswith(" …")
    inner = snippet.removeprefix("… ").removesuffix(" …").split()
    assert all(w == "needle" or (w.startswith("word") and w[4:].isdigit()) for w in inner)
    assert all(int(w[4:]) < 200 for w in inner if w != "needle")


def test_minus_word_works_as_the_first_argument(capsys, index_dir):
    found, _ = search_json(capsys, index_dir, "-mexico", "wall")
    assert found and all("mexico" not in r["headline"].lower() for r in found)
    everything_but, _ = search_json(capsys, index_dir, "-wall", "--limit", "50")
    assert len(everything_but) == len(ITEMS) - 3  # three articles say "wall"


def test_since_and_until_take_a_year_or_a_month():
    assert parse_day("2021", "--since") == dt.date(2021, 1, 1)
    assert parse_day("2021-06", "--since") == dt.date(2021, 6, 1)
    assert parse_day("2021", "--until", end=True) == dt.date(2021, 12, 31)
    assert parse_day("2024-02", "--until", end=True) == dt.date(2024, 2, 29)
    assert parse_day("2021-06-15", "--until", end=True) == dt.date(2021, 6, 15)


def test_since_a_month_in_the_command(capsys, index_dir):
    found, _ = search_json(capsys, index_dir, "fires", "--since", "2021-06", "--until", "2021-06")
    assert urls(found) == [VALPARAISO["url"]]
    found, _ = search_json(capsys, index_dir, "fires", "--since", "2021-07")
    assert found == []
    code, _, err = cli(capsys, "search", "x", "--since", "2021-13", "--index", str(index_dir))
    assert code == 2 and "is not a date" in err


def _schema_before_folding():
    """SCHEMA as newsbot wrote it before accent folding and the facet name fields."""
    old = copy.deepcopy(SCHEMA)
    for name in ("section_name", "subsection_name", "author_names"):
        old.remove(name)
    for name in old.names():
        field = old[name]
        if isinstance(field.analyzer, FastStemmingAnalyzer):
            field.analyzer = FastStemmingAnalyzer(fold=False)
        elif isinstance(field.analyzer, FastStandardAnalyzer):
            field.analyzer = FastStandardAnalyzer(fold=False)
        elif name in ("authors", "section", "subsection"):
            field.analyzer = KeywordAnalyzer(lowercase=True, commas=True)
    return old


def test_an_index_from_before_folding_is_rebuilt_in_place_with_nothing_lost(capsys, tmp_path):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    ix = index.create_in(str(index_dir), _schema_before_folding())
    with open_writer(ix) as writer:
        for item in ITEMS:
            document = item_to_document(item)
            for name in ("section_name", "subsection_name", "author_names"):
                document.pop(name, None)
            if item is VALPARAISO:
                document["history"] = json.dumps(
                    {
                        "first_seen": "2021-06-03T15:00:00Z",
                        "last_seen": "2021-06-04T15:00:00Z",
                        "current_since": "2021-06-04T15:00:00Z",
                        "versions": [],
                    }
                )
                document["revisions"] = 1
            writer.add_document(**document)
    assert not same_schema(index.open_dir(str(index_dir)).schema, SCHEMA)
    found, err = search_json(capsys, index_dir, "Valparaiso")
    assert "rebuilding the index" in err
    assert urls(found) == [VALPARAISO["url"]]
    reopened = index.open_dir(str(index_dir))
    assert same_schema(reopened.schema, SCHEMA)
    assert reopened.doc_count() == len(ITEMS)
    _, out, _ = cli(capsys, "export", "--index", str(index_dir))
    expected = [sanitized(item) for item in ITEMS]
    assert sorted(map(json.dumps, json_lines(out))) == sorted(map(json.dumps, expected))
    _, out, _ = cli(capsys, "history", VALPARAISO["url"], "--index", str(index_dir), "--json")
    assert json.loads(out)["last_seen"] == "2021-06-04T15:00:00Z"
    # Once rebuilt, it is not rebuilt again.
    _, err = search_json(capsys, index_dir, "Valparaiso")
    assert "rebuilding" not in err
