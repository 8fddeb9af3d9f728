"""Fuzz the query path: generated and mutated queries against a small real index.

Every query must either answer or raise UsageError (exit 2 on the command line, one line on
stderr); nothing else may escape, whatever mix of operators, fields, ranges, wildcards,
quotes, parentheses, unicode and control characters it holds.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_search_fixtures import ARTICLES, build_index, cli, make_item

from newsbot.errors import UsageError
from newsbot.search.query import Filters
from newsbot.search.searcher import open_searcher, search

QUERIES = 2_500
CLI_SAMPLE = 60

WORDS = ["wall", "mexico", "border", "report", "Valparaíso", "drought", "the", "a", "élection"]
FIELDS = ["headline", "Byline", "dek", "author", "caption", "credit", "section", "url", "date"]
FIELDS += ["published", "item", "history", "word_count", "revisions", "foo", "DATE", "body"]
OPERATORS = ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "-", "+", "~", "^2", "~3", "^"]
SYNTAX = ["(", ")", '"', "*", "?", ":", "[", "]", "{", "}", " TO ", "'", "\\", "/", ",", "<", ">"]
ODD = ["\x00", "\x1b]52;c;aGk=\x07", "\x9b", "\u202e", "\u061c", "\u200f", "\ufeff", "🦜", "ß",
       "Ω", "٣", "\n", "\t", "%", "&", "=", "…", "e\u0301"]  # fmt: skip
RANGES = ["[a TO z]", "[2017 TO 2018]", "[2017-01 TO]", "[TO 2017]", "{a TO b}", "[z TO a]"]
RANGES += ["[1 TO 99999999999999999999]", "[x TO]", ">2017", "<=2017-02-01", "[0001 TO 9999]"]
SEEDS = [
    "NOT NOT drought",
    "item:x",
    "history:[a TO z]",
    "published:[a TO z]",
    "dek:[a TO z]",
    'e ( + ) "a b"',
    "?*?*?*?*",
    "*a*",
    "*",
    "wall OR mexico AND NOT border",
    '"border wall" -mexico',
    "headline:(wall OR border) date:[2017 TO 2018]",
]


def _piece(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        word = rng.choice(WORDS)
        if rng.random() < 0.3:
            at = rng.randrange(len(word) + 1)
            word = word[:at] + rng.choice("*?") + word[at:]
        return word
    if kind < 0.5:
        return rng.choice(OPERATORS)
    if kind < 0.65:
        value = rng.choice([*WORDS, *RANGES, "", "*"])
        return f"{rng.choice(FIELDS)}:{value}"
    if kind < 0.85:
        return rng.choice(SYNTAX)
    return rng.choice(ODD)


def _generated(rng: random.Random) -> str:
    joiner = rng.choice([" ", "", " "])
    return joiner.join(_piece(rng) for _ in range(rng.randint(1, 8)))


def _mutated(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        what = rng.random()
        at = rng.randrange(len(chars) + 1)
        if what < 0.4:
            chars.insert(at, rng.choice([*SYNTAX, *ODD, *OPERATORS]))
        elif what < 0.7 and chars:
            del chars[min(at, len(chars) - 1)]
        elif chars:
            start = min(at, len(chars) - 1)
            chars[start:start] = chars[start : start + rng.randint(1, 6)] * rng.randint(1, 30)
    return "".join(chars)


def _queries(count: int, seed: int = 20261201) -> list[str]:
    rng = random.Random(seed)
    queries = list(SEEDS)
    queries += ["(" * n + "wall" + ")" * n for n in (10, 21, 100, 1_000)]
    queries += ["wall " * 500, "w" * 5_000, "NOT " * 50 + "wall", "-" * 30 + "wall"]
    while len(queries) < count:
        if rng.random() < 0.5:
            queries.append(_generated(rng))
        else:
            queries.append(_mutated(rng, rng.choice(queries[: len(SEEDS) + 50])))
    return queries


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    accented = make_item(
        "valparaiso",
        "Fires Near Valparaíso",
        "2021-06-03T10:00:00-04:00",
        "Firefighters in Valparaíso fought the drought-fed fires.",
        authors=["Tomás Okafor"],
    )
    return build_index(tmp_path_factory.mktemp("fuzz") / "index", [*ARTICLES, accented])


def test_every_query_answers_or_is_refused_with_a_usage_error(index_dir: Path) -> None:
    rng = random.Random(1)
    answered = refused = 0
    with open_searcher(index_dir) as searcher:
        for text in _queries(QUERIES):
            options = {
                "sort": rng.choice(["relevance", "relevance", "newest", "oldest"]),
                "facets": rng.random() < 0.2,
                "page": rng.choice([1, 1, 2]),
            }
            filters = Filters(sections=("U.S.",)) if rng.random() < 0.1 else Filters()
            try:
                search(searcher, text, filters, **options)  # type: ignore[arg-type]
            except UsageError:
                refused += 1
            except Exception as error:  # the point: nothing else escapes
                pytest.fail(f"{text!r} {options} raised {type(error).__name__}: {error}")
            else:
                answered += 1
    # Both outcomes are exercised: the generator is neither all syntax errors nor all words.
    assert answered > QUERIES // 5 and refused > QUERIES // 10


def test_a_sample_through_the_command_line_exits_0_or_2_with_one_line(capsys, index_dir):
    for text in random.Random(2).sample(_queries(QUERIES), CLI_SAMPLE):
        if text.startswith("-"):
            text = " " + text  # argparse would read a leading `--x` as an option
        code, out, err = cli(capsys, "search", text, "--index", str(index_dir))
        assert code in (0, 2), (text, err)
        if code == 2:
            assert err.count("\n") == 1 and err.startswith("newsbot search: error:"), (text, err)
        assert not any(ch in out + err for ch in "\x1b\x9b\u202e\u061c\u200f\x00"), text
