"""The fast analyzers against the Whoosh chains they replace: token for token, attribute for
attribute, and through Whoosh's own indexing, query parsing and highlighting."""

from __future__ import annotations

import copy
import json
import pickle
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index
from whoosh.analysis import CompositeAnalyzer, StandardAnalyzer, StemmingAnalyzer, Token
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.formats import Positions
from whoosh.highlight import ContextFragmenter, UppercaseFormatter, highlight
from whoosh.qparser import MultifieldParser, QueryParser

from newsbot.parsers import parse_article
from newsbot.search.analysis import FastStandardAnalyzer, FastStemmingAnalyzer
from newsbot.search.schema import SCHEMA, item_to_document

SAMPLE_SITE = Path(__file__).resolve().parent.parent / "sample_site"


def _sample_items() -> list[dict[str, Any]]:
    manifest = json.loads((SAMPLE_SITE / "manifest.json").read_text(encoding="utf-8"))
    items = []
    for entry in manifest["articles"]:
        page = (SAMPLE_SITE / entry["path"].lstrip("/")).read_bytes()
        items.append(dict(parse_article(page, entry["url"])))
    return items


SAMPLE_ITEMS = _sample_items()
SAMPLE_TEXTS = [
    text
    for item in SAMPLE_ITEMS
    for text in (
        item["headline"],
        item.get("summary") or "",
        item["body"],
        item.get("byline") or "",
        *(c.get("text") or "" for c in item.get("captions") or []),
        *(c.get("credit") or "" for c in item.get("captions") or []),
    )
]

EDGE_TEXTS = [
    "",
    " \n\t ",
    "a",
    "A",
    "the",
    "THE",
    "To be or not to be, that is the question.",
    "It's the dog's bone; they'd've known. O'Brien’s rock ’n’ roll",
    "Hello, world!!! (really?) [yes] {no} <tag> #hash @user $5 100% a&b",
    "3.14159 and 2,000,000 and 1e10 and v1.2.3 and 10:30 and 192.168.0.1",
    "e-mail, state-of-the-art, co-operate -- dash — em – en",
    "a.b..c.d... .x x. ..y",
    "wild*card *star* ** under_score __init__ _x_ x_",
    "Café naïve résumé façade Ångström Ærøskøbing Straße",
    "İstanbul İ I ı ǅemal ﬁnance Ⅻ",
    "ΟΔΟΣ Οδός ΣΊΣΥΦΟΣ σίσυφος ΣΑ Σ",
    "東京都 の ニュース 北京市 서울 한국어",
    "emoji 😀 mixed😀text 👍🏽 flags 🇨🇱 zwj 👩‍👩‍👧",
    "combining e\u0301 a\u0308 zero\u200bwidth soft\u00adhyphen nbsp\u00a0here",
    "x" * 300,
    "Supercalifragilisticexpialidocious antidisestablishmentarianism "
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "running runs ran runner relational conditional rationalization generalizations",
    "The THE tHe AND and And a A an AN of OF",
    "tab\tseparated\nnew\r\nlines\x0bvertical\x0cfeed",
    "١٢٣ ٤٥ numbers ০১২ ๑๒๓",
    "U.S. U.N. Ph.D. e.g. i.e. a.m. p.m. St. Louis",
]

# Texts built from fragments chosen to collide: stop words in every case, one-letter words,
# dots and stars between runs, letters whose lowercase is longer or context dependent.
_FRAGMENTS = [
    "the",
    "The",
    "AND",
    "a",
    "I",
    "is",
    "running",
    "Runs",
    "news",
    "x",
    "ß",
    "İ",
    "Σ",
    "ΟΣ",
    "é",
    "東",
    "😀",
    "42",
    "3.5",
    "_",
    "*",
    ".",
    "..",
    "'",
    "’",
    "-",
    ",",
    " ",
    " ",
    " ",
    "\n",
]


def _fuzz_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, 40))) for _ in range(count)
    ]


FUZZ_TEXTS = _fuzz_texts(400, seed=2017)
ALL_TEXTS = SAMPLE_TEXTS + EDGE_TEXTS + FUZZ_TEXTS

# The ways Whoosh calls a field's analyzer.
CALLS: dict[str, dict[str, Any]] = {
    "plain": {},
    "index_positions": {"mode": "index", "positions": True, "boosts": True},
    "index_frequency": {"mode": "index", "boosts": True},
    "index_characters": {"mode": "index", "positions": True, "chars": True, "boosts": True},
    "index_offset": {"mode": "index", "positions": True, "start_pos": 7, "boosts": True},
    "query": {"mode": "query"},
    "query_keep_stops": {"mode": "query", "removestops": False},
    "query_phrase_chars": {"mode": "query", "chars": True},
    "query_untokenized": {"mode": "query", "tokenize": False, "removestops": False},
    "query_untokenized_removing": {"mode": "query", "tokenize": False},
    "highlight_query": {"mode": "query", "chars": True, "removestops": False},
    "highlight_index": {
        "mode": "index",
        "positions": True,
        "chars": True,
        "removestops": False,
    },
    "offsets": {"positions": True, "chars": True, "start_pos": 3, "start_char": 11},
    "keeporiginal": {"positions": True, "keeporiginal": True},
    "keeporiginal_chars": {"positions": True, "chars": True, "keeporiginal": True},
    "no_morph": {"no_morph": True},
    "no_morph_positions": {"no_morph": True, "positions": True, "removestops": False},
}

PAIRS: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "stemming": (StemmingAnalyzer, lambda: FastStemmingAnalyzer(fold=False)),
    "standard": (StandardAnalyzer, lambda: FastStandardAnalyzer(fold=False)),
}


def stream(analyzer: Any, text: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every attribute of every token, copied as it is yielded (the Token object is reused)."""
    return [dict(t.__dict__) for t in analyzer(text, **kwargs)]


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("call", CALLS)
def test_same_tokens_as_whoosh(pair: str, call: str) -> None:
    make_whoosh, make_fast = PAIRS[pair]
    whoosh, fast = make_whoosh(), make_fast()
    kwargs = CALLS[call]
    for text in ALL_TEXTS:
        assert stream(fast, text, **kwargs) == stream(whoosh, text, **kwargs), text


def test_the_comparison_sees_what_matters() -> None:
    # Guard against a vacuous pass: the texts must exercise stopping, stemming, renumbering,
    # offsets and lowercasing that changes length.
    ana = StemmingAnalyzer()
    kept = stream(ana, "The running dogs ran", positions=True, chars=True)
    assert [(t["text"], t["pos"], t["startchar"], t["endchar"]) for t in kept] == [
        ("runn", 1, 4, 11),  # sic: Whoosh's Porter stemmer, quirks and all
        ("dog", 2, 12, 16),
        ("ran", 3, 17, 20),
    ]
    stops = stream(ana, "cat the dog", positions=True, removestops=False)
    assert [(t["text"], t["pos"], t["stopped"]) for t in stops] == [
        ("cat", 0, False),
        ("the", 1, True),
        ("dog", 1, False),
    ]
    assert [t["text"] for t in stream(ana, "İİ")] == ["i\u0307i\u0307"]
    tokens = sum(len(stream(ana, text, positions=True)) for text in ALL_TEXTS)
    stopped = sum(t["stopped"] for text in ALL_TEXTS for t in stream(ana, text, removestops=False))
    assert tokens > 4_000
    assert stopped > 1_500


@pytest.mark.parametrize(
    ("whoosh", "fast"),
    [
        (
            StemmingAnalyzer(stoplist=["news", "running"], minsize=3, maxsize=8),
            FastStemmingAnalyzer(fold=False, stoplist=["news", "running"], minsize=3, maxsize=8),
        ),
        (
            StemmingAnalyzer(ignore={"running", "generalizations"}),
            FastStemmingAnalyzer(fold=False, ignore={"running", "generalizations"}),
        ),
        (StemmingAnalyzer(stoplist=None), FastStemmingAnalyzer(fold=False, stoplist=None)),
        (StandardAnalyzer(stoplist=None), FastStandardAnalyzer(fold=False, stoplist=None)),
        (
            StandardAnalyzer(stoplist=[], minsize=1),
            FastStandardAnalyzer(fold=False, stoplist=[], minsize=1),
        ),
        (StandardAnalyzer(expression=r"\w+"), FastStandardAnalyzer(fold=False, expression=r"\w+")),
        # A pattern with a group, which must not make the analyzer return the group.
        (
            StemmingAnalyzer(expression=r"(\w)+('\w+)?"),
            FastStemmingAnalyzer(fold=False, expression=r"(\w)+('\w+)?"),
        ),
        (StemmingAnalyzer(cachesize=3), FastStemmingAnalyzer(fold=False, cachesize=3)),
    ],
    ids=[
        "stoplist_sizes",
        "ignore",
        "stem_no_stoplist",
        "no_stoplist",
        "minsize1",
        "expr",
        "group",
        "tiny_cache",
    ],
)
def test_same_tokens_with_settings(whoosh: Any, fast: Any) -> None:
    for kwargs in (CALLS["index_positions"], CALLS["highlight_index"], CALLS["query_untokenized"]):
        for text in EDGE_TEXTS + FUZZ_TEXTS[:100]:
            assert stream(fast, text, **kwargs) == stream(whoosh, text, **kwargs), text


def test_analyzers_with_different_rules_do_not_share_answers() -> None:
    # Caches are shared between analyzers; a word cached by one must not leak into another.
    plain, ignoring = (
        FastStemmingAnalyzer(fold=False),
        FastStemmingAnalyzer(fold=False, ignore={"running"}),
    )
    assert [t.text for t in plain("fundamentally")] == ["fundament"]
    assert [t.text for t in ignoring("fundamentally running")] == ["fundament", "running"]
    assert [t.text for t in plain("fundamentally running")] == ["fundament", "runn"]
    assert [t.text for t in FastStandardAnalyzer(fold=False)("Running")] == ["running"]
    assert [t.text for t in FastStemmingAnalyzer(fold=False, minsize=8)("running runner")] == []


def test_a_consumer_changing_the_token_sees_the_same_resets_as_in_whoosh() -> None:
    def meddle(tokens: Iterator[Token]) -> list[dict[str, Any]]:
        seen = []
        for t in tokens:
            seen.append(dict(t.__dict__))
            t.boost = 5.0
            t.stopped = True
            t.pos = -1
            t.matched = True
        return seen

    text = SAMPLE_TEXTS[2]
    for kwargs in (CALLS["index_positions"], CALLS["highlight_index"], CALLS["plain"]):
        assert meddle(FastStemmingAnalyzer(fold=False)(text, **kwargs)) == meddle(
            StemmingAnalyzer()(text, **kwargs)
        )


def test_one_token_object_is_reused() -> None:
    tokens = list(FastStemmingAnalyzer(fold=False)("several distinct words here", positions=True))
    assert len(tokens) == 4
    assert all(t is tokens[0] for t in tokens)
    assert type(tokens[0]) is Token


def test_rejects_bytes() -> None:
    with pytest.raises(TypeError):
        list(FastStemmingAnalyzer(fold=False)(b"bytes are not text"))  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [FastStemmingAnalyzer, FastStandardAnalyzer])
def test_pickles_to_an_equal_working_analyzer(make: Callable[[], Any]) -> None:
    ana = make()
    list(ana(SAMPLE_TEXTS[2]))  # fill the caches, which must not travel or affect equality
    copy_ = pickle.loads(pickle.dumps(ana))
    assert copy_ == ana
    assert ana == copy_
    assert hash(copy_) == hash(ana)
    assert stream(copy_, SAMPLE_TEXTS[2], positions=True) == stream(
        ana, SAMPLE_TEXTS[2], positions=True
    )


def test_equality_follows_the_settings() -> None:
    assert FastStemmingAnalyzer(fold=False) == FastStemmingAnalyzer(fold=False)
    assert FastStandardAnalyzer(fold=False) == FastStandardAnalyzer(fold=False)
    assert FastStemmingAnalyzer(fold=False, cachesize=10) == FastStemmingAnalyzer(fold=False)
    assert FastStemmingAnalyzer(fold=False) != FastStandardAnalyzer(fold=False)
    assert FastStandardAnalyzer(fold=False) != FastStemmingAnalyzer(fold=False)
    assert FastStemmingAnalyzer(fold=False) != FastStemmingAnalyzer(fold=False, minsize=3)
    assert FastStemmingAnalyzer(fold=False) != FastStemmingAnalyzer(fold=False, maxsize=20)
    assert FastStemmingAnalyzer(fold=False) != FastStemmingAnalyzer(fold=False, stoplist=["the"])
    assert FastStemmingAnalyzer(fold=False) != FastStemmingAnalyzer(fold=False, ignore=["news"])
    assert FastStemmingAnalyzer(fold=False) != FastStemmingAnalyzer(fold=False, expression=r"\w+")
    assert FastStandardAnalyzer(fold=False) != StandardAnalyzer()
    assert FastStandardAnalyzer(fold=False) != "FastStandardAnalyzer(fold=False)"


def test_morphology_is_reported_as_whoosh_does() -> None:
    # TEXT(spelling=True) keeps unstemmed words in a separate field only for morphing analyzers.
    assert FastStemmingAnalyzer(fold=False).has_morph() is StemmingAnalyzer().has_morph() is True
    assert FastStandardAnalyzer(fold=False).has_morph() is StandardAnalyzer().has_morph() is False
    assert TEXT(analyzer=FastStemmingAnalyzer(fold=False), spelling=True).separate_spelling()
    assert not TEXT(analyzer=FastStandardAnalyzer(fold=False), spelling=True).separate_spelling()


def _schema_with(stemming: Callable[[], Any], standard: Callable[[], Any]) -> Schema:
    """newsbot's SCHEMA with the given analyzers in its text fields.

    Works whichever kind schema.py holds, so the comparison stays Whoosh against fast once the
    fast analyzers are wired in there.
    """
    schema = copy.deepcopy(SCHEMA)
    swapped = {"stemming": 0, "standard": 0}
    for name in schema.names():
        field = schema[name]
        if not isinstance(field, TEXT):
            continue
        if field.analyzer in (StemmingAnalyzer(), FastStemmingAnalyzer()):
            field.analyzer = stemming()
            swapped["stemming"] += 1
        elif field.analyzer in (StandardAnalyzer(), FastStandardAnalyzer()):
            field.analyzer = standard()
            swapped["standard"] += 1
    assert swapped == {"stemming": 4, "standard": 2}
    return schema


def _whoosh_schema() -> Schema:
    return _schema_with(StemmingAnalyzer, StandardAnalyzer)


def _fast_schema() -> Schema:
    # Without accent folding, the one way the fast analyzers differ from Whoosh's on purpose.
    return _schema_with(
        lambda: FastStemmingAnalyzer(fold=False), lambda: FastStandardAnalyzer(fold=False)
    )


def _build(schema: Schema) -> index.Index:
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        for item in SAMPLE_ITEMS:
            writer.add_document(**item_to_document(item))
    return ix


TEXT_FIELDS = ["headline", "summary", "body", "byline", "caption", "credit"]
QUERIES = [
    "container cranes stood frozen",
    '"container cranes stood frozen"',
    '"the harbor here"~2',
    "Chile's ports AND NOT strike",
    "headline:Bolivia OR caption:Valparaíso",
    "byline:Moraga credit:Times",
    "drought* farm*",
    "body:[harbor TO harvest]",
    "The OF and",
    "water-levels U.S. 2021",
]


def test_whoosh_indexes_searches_and_highlights_the_same() -> None:
    slow_schema, fast_schema = _whoosh_schema(), _fast_schema()
    slow_ix, fast_ix = _build(slow_schema), _build(fast_schema)
    assert isinstance(slow_ix.schema["body"].analyzer, CompositeAnalyzer)
    # The stored schema is the one with the fast analyzers.
    assert isinstance(fast_ix.schema["body"].analyzer, FastStemmingAnalyzer)
    assert isinstance(fast_ix.schema["credit"].analyzer, FastStandardAnalyzer)

    with slow_ix.reader() as slow, fast_ix.reader() as fast:
        for name in TEXT_FIELDS:
            slow_terms = list(slow.lexicon(name))
            assert slow_terms, name
            assert list(fast.lexicon(name)) == slow_terms, name
            for term in slow_terms:
                slow_postings = list(slow.postings(name, term).items_as("positions"))
                fast_postings = list(fast.postings(name, term).items_as("positions"))
                assert fast_postings == slow_postings, (name, term)

    with slow_ix.searcher() as slow, fast_ix.searcher() as fast:
        for text in QUERIES:
            slow_query = MultifieldParser(TEXT_FIELDS, slow_schema).parse(text)
            fast_query = MultifieldParser(TEXT_FIELDS, fast_schema).parse(text)
            assert repr(fast_query) == repr(slow_query), text
            slow_hits, fast_hits = slow.search(slow_query), fast.search(fast_query)
            assert [h.docnum for h in fast_hits] == [h.docnum for h in slow_hits], text
            assert [h.score for h in fast_hits] == [h.score for h in slow_hits], text
        body_query = QueryParser("body", fast_schema).parse("cranes frozen harbor")
        slow_hits, fast_hits = slow.search(body_query), fast.search(body_query)
        assert len(slow_hits) > 0
        for slow_hit, fast_hit in zip(slow_hits, fast_hits, strict=True):
            item = SAMPLE_ITEMS[slow_hit.docnum]
            slow_text = slow_hit.highlights("body", text=item["body"])
            assert "<b" in slow_text
            assert fast_hit.highlights("body", text=item["body"]) == slow_text


def test_highlight_function_gives_the_same_fragments() -> None:
    terms = ["cranes", "harbor", "the", "froze"]
    for text in SAMPLE_TEXTS[:20]:
        expected = highlight(
            text, terms, StemmingAnalyzer(), ContextFragmenter(), UppercaseFormatter()
        )
        got = highlight(
            text, terms, FastStemmingAnalyzer(fold=False), ContextFragmenter(), UppercaseFormatter()
        )
        assert got == expected


def test_a_file_index_keeps_the_fast_analyzers(tmp_path: Path) -> None:
    fast_schema = _fast_schema()
    index.create_in(str(tmp_path), fast_schema).close()
    reopened = index.open_dir(str(tmp_path))
    try:
        # Not reopened.schema == fast_schema: Whoosh's sortable column types compare by identity,
        # so no schema equals its unpickled self; the analyzers must.
        assert reopened.schema.names() == fast_schema.names()
        for name in ("headline", "summary", "body", "caption"):
            assert reopened.schema[name].analyzer == FastStemmingAnalyzer(fold=False)
        for name in ("byline", "credit"):
            assert reopened.schema[name].analyzer == FastStandardAnalyzer(fold=False)
    finally:
        reopened.close()


def test_folding_finds_the_name_however_it_is_typed() -> None:
    folded = [t.text for t in FastStandardAnalyzer()("Valparaíso TOMÁS Łódź Straße Ørsted")]
    assert folded == ["valparaiso", "tomas", "lodz", "strasse", "orsted"]
    assert [t.text for t in FastStemmingAnalyzer()("Valparaíso Peña")] == ["valparaiso", "pena"]


def test_an_analyzer_pickled_before_folding_does_not_fold() -> None:
    state = FastStemmingAnalyzer().__getstate__()
    del state["fold"]
    old = FastStemmingAnalyzer.__new__(FastStemmingAnalyzer)
    old.__setstate__(state)
    assert old == FastStemmingAnalyzer(fold=False) != FastStemmingAnalyzer()
    assert [t.text for t in old("Valparaíso")] == ["valparaíso"]


@pytest.mark.parametrize("analyzer", [FastStandardAnalyzer(), FastStemmingAnalyzer()])
def test_positions_of_gives_the_positions_whoosh_s_format_gathers_from_the_tokens(
    analyzer: Any,
) -> None:
    for text in [*ALL_TEXTS, "", "the and of", "the the cat sat on the mat the"]:
        expected: dict[str, list[int]] = {}
        for token in analyzer(text, positions=True, mode="index"):
            expected.setdefault(token.text, []).append(token.pos)
        found = analyzer.positions_of(text)
        assert found == expected, text
        assert list(found) == list(expected), text  # first-appearance order too


def test_compact_positions_index_a_field_as_whoosh_s_positions_format_does() -> None:
    for name in ("headline", "body", "byline"):
        field = SCHEMA[name]
        for text in ALL_TEXTS[:200]:
            fast = list(field.format.word_values(text, field.analyzer, mode="index"))
            slow = list(Positions.word_values(field.format, text, field.analyzer, mode="index"))
            assert fast == slow, (name, text)
