"""Full-text search over the archive: ranking, paging, snippets, facets and spelling suggestions."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import pickle
import re
import struct
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from whoosh import highlight, index, sorting
from whoosh import query as wq
from whoosh.matching import Matcher
from whoosh.searching import Hit, Results, Searcher

from newsbot.errors import NewsbotError, UsageError
from newsbot.search.query import Filters, bound_expansion, parse_query
from newsbot.search.schema import SCHEMA, document_to_item, same_schema
from newsbot.terminal import MATCH_END, MATCH_START, Progress, clean

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")

BUILD_HINT = "run `newsbot crawl americas` first, or `newsbot reindex FEED.jsonl --index DIR`"
# A query "finds little" below this many hits; only then is a spelling suggestion worth a look.
SUGGEST_BELOW = 3
SNIPPET_CHARS = 240
FACET_TOP = 10

# Index field -> the name users type (and see in matched_fields).
_FRIENDLY = {"caption": "caption", "authors": "author"}


class IndexMissing(NewsbotError):
    """No index, or an index with no articles: say how to build one."""


class IndexDamaged(NewsbotError):
    """The index files cannot be read: truncated, emptied or overwritten."""


# What Whoosh raises on a truncated segment or an emptied table of contents: it reads them with
# pickle and struct, and hands an empty read to ord().
_DAMAGE = (EOFError, TypeError, ValueError, struct.error, zlib.error, pickle.UnpicklingError)
DAMAGED_HINT = (
    "rebuild it from the crawl feeds with `newsbot reindex data/feeds/*.jsonl --index DIR`, "
    "or move it aside and crawl again with `newsbot crawl SECTION --refetch`"
)


@contextmanager
def open_searcher(index_dir: Path, *, allow_empty: bool = False) -> Iterator[Searcher]:
    """A searcher on the index at `index_dir`, closed afterwards; IndexMissing if there is none,
    IndexDamaged if its files cannot be read."""
    try:
        # exists_in opens the index, so a damaged table of contents already fails here.
        if not index_dir.is_dir() or not index.exists_in(str(index_dir)):
            raise IndexMissing(f"no index at {index_dir}", hint=BUILD_HINT)
        ix = index.open_dir(str(index_dir))
        if not same_schema(ix.schema, SCHEMA):
            ix = _upgraded(index_dir, ix)
        opened = ix.searcher()
    except index.IndexError as error:
        raise IndexDamaged(
            f"cannot open the index at {index_dir}: {error}", hint=DAMAGED_HINT
        ) from None
    except _DAMAGE as error:
        what = f"{type(error).__name__}: {error}"
        raise IndexDamaged(
            f"the index at {index_dir} is damaged ({what})", hint=DAMAGED_HINT
        ) from None
    with opened as searcher:
        if not allow_empty and searcher.doc_count() == 0:
            raise IndexMissing(f"the index at {index_dir} has no articles", hint=BUILD_HINT)
        yield searcher


def _upgraded(index_dir: Path, ix: index.Index) -> index.Index:
    """The index rebuilt for this version's schema, or as it is if another writer holds it."""
    # Imported here: only an index from an older newsbot needs the writer's modules.
    from newsbot.search.upgrade import upgrade_in_place

    with ix.searcher() as searcher:
        count = searcher.doc_count()
    print(
        f"newsbot: rebuilding the index at {clean(str(index_dir))} for this version "
        f"({count} articles, once; nothing is lost)",
        file=sys.stderr,
    )
    if upgrade_in_place(index_dir, Progress(count, "rebuilding")) is None:
        print(
            "newsbot: the index is busy (a crawl?); searching it as it is, without accent "
            "folding, until it can be rebuilt",
            file=sys.stderr,
        )
        return ix
    return index.open_dir(str(index_dir))


@dataclass
class SearchHit:
    url: str
    headline: str
    published: str | None
    authors: list[str]
    section: str | None
    score: float | None
    snippet: str  # with MATCH_START/MATCH_END around matched words; control characters removed
    matched_fields: list[str]

    def as_json(self) -> dict[str, Any]:
        """The `--json` record; the snippet without highlight markers."""
        record = self.__dict__.copy()
        record["snippet"] = self.snippet.replace(MATCH_START, "").replace(MATCH_END, "")
        return record


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    page: int
    pages: int
    suggestion: str | None = None
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # When filters removed every hit: how many the query matches without them, and which.
    unfiltered_total: int = 0
    blocking_filters: list[str] = field(default_factory=list)


class _MarkerFormatter(highlight.Formatter):
    """Wraps matched words in MATCH_START/MATCH_END; `Style` turns them into colour or nothing.

    Fragments start and end at word boundaries, and an ellipsis marks text left out before,
    between and after them.
    """

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return MATCH_START + highlight.get_text(text, token, replace) + MATCH_END

    def format(self, fragments: list[highlight.Fragment], replace: bool = False) -> str:
        if not fragments:
            return ""
        for fragment in fragments:
            _to_word_boundaries(fragment)
        text = fragments[0].text
        lead = "… " if fragments[0].startchar > 0 else ""
        tail = " …" if fragments[-1].endchar < len(text.rstrip()) else ""
        return lead + self.between.join(self.format_fragment(f, replace) for f in fragments) + tail


# Leftover text shorter than this at either end of a fragment is shown rather than elided.
_SHOW_LEFTOVER_CHARS = 20


def _to_word_boundaries(fragment: highlight.Fragment) -> None:
    """Move the fragment's ends off half words, never past a matched word; take in a few
    leftover words (stop words Whoosh does not count as tokens) rather than elide them."""
    text = fragment.text
    starts = [t.startchar for t in fragment.matches if t.startchar is not None]
    ends = [t.endchar for t in fragment.matches if t.endchar is not None]
    first, last = min(starts, default=fragment.endchar), max(ends, default=fragment.startchar)
    start, end = fragment.startchar, fragment.endchar
    if len(text[:start].strip()) < _SHOW_LEFTOVER_CHARS:
        start = 0
    if len(text[end:].strip()) < _SHOW_LEFTOVER_CHARS:
        end = len(text)
    if 0 < start < len(text) and not text[start - 1].isspace():
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    while start < first and text[start].isspace():
        start += 1
    if end < len(text) and not text[end].isspace():
        space = text.rfind(" ", last, end)
        end = space if space >= 0 else end
    while end > last and text[end - 1].isspace():
        end -= 1
    fragment.startchar, fragment.endchar = start, end


def _highlighter() -> highlight.Highlighter:
    return highlight.Highlighter(
        fragmenter=highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60),
        formatter=_MarkerFormatter(),
        order=highlight.FIRST,
    )


@dataclass(frozen=True)
class _StemFinder:
    """Finds words whose stem the query searches the body for, without analysing the text."""

    stems: frozenset[str]
    # Words that start like a stem ("elect" of "election"): candidates to stem.
    pattern: re.Pattern[str]

    def matches(self, text: str) -> Iterator[re.Match[str]]:
        """Words with one of the stems, in order, among the first few hundred candidates.

        A prefix alone is a poor guess ("tea" starts "team" and "teaching"), and a wrong guess
        meant analysing the whole article; stemming each candidate word is cheap.
        """
        for match in itertools.islice(self.pattern.finditer(text), 300):
            if _stem(match.group().lower()) in self.stems:
                yield match


def _stem_pattern(q: wq.Query) -> _StemFinder | None:
    stems = {text for name, text in q.iter_all_terms() if name == "body" and isinstance(text, str)}
    if not stems:
        return None
    # Less the last letter, so "happi" finds "happy" and "argu" finds "arguing".
    prefixes = {stem[:-1] if len(stem) > 3 else stem for stem in stems}
    alternatives = "|".join(re.escape(s) for s in sorted(prefixes, key=len, reverse=True))
    return _StemFinder(frozenset(stems), re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE))


def _windows(text: str, finder: _StemFinder | None, most: int = 3) -> Iterator[tuple[int, int]]:
    """(start, end) of parts of `text` around its first few matches, each starting past the one
    before, at word boundaries.

    Highlighting re-analyses (stems) every word it is given, which cost ~3 ms per 1,000-word
    article, so ten hits spent far more time on snippets than on the search. More than one
    window: a phrase's first word may first occur outside the phrase.
    """
    end = -1
    for match in finder.matches(text) if finder else ():
        if match.start() < end:
            continue
        low, high = match.start() - SNIPPET_CHARS // 2, match.start() + 3 * SNIPPET_CHARS
        start = 0 if low <= 0 else text.find(" ", low, match.start()) + 1
        end = len(text) if high >= len(text) else text.rfind(" ", match.end(), high)
        end = len(text) if end < 0 else end
        yield start, end
        most -= 1
        if not most:
            return


def _highlighted(hit: Hit, name: str, text: str, pattern: _StemFinder | None) -> str:
    for start, end in _windows(text, pattern):
        fragments = hit.highlights(name, text=text[start:end], top=2)
        if fragments:
            lead = "… " if start > 0 and not fragments.startswith("…") else ""
            tail = " …" if end < len(text) and not fragments.endswith("…") else ""
            return lead + fragments + tail
    # No window highlighted (or no stem found): analyse the whole text.
    return hit.highlights(name, text=text, top=2)


def _caption_snippet(hit: Hit, item: dict[str, Any], matched: set[str]) -> str:
    """The first caption whose text or credit the query matched, with its credit."""
    for caption in item.get("captions") or []:
        text, credit = clean(caption.get("text")), clean(caption.get("credit"))
        marked_text = hit.highlights("caption", text=text, top=1) if "caption" in matched else ""
        marked_credit = hit.highlights("credit", text=credit, top=1) if "credit" in matched else ""
        if marked_text or marked_credit:
            shown = marked_text or text
            return f"{shown} ({marked_credit or credit})" if credit else shown
    return ""


def _snippet(hit: Hit, item: dict[str, Any], matched: set[str], pattern: _StemFinder | None) -> str:
    for name in ("body", "summary"):
        if name not in matched:
            continue  # nothing to highlight there, and analysing the text is the costly part
        # clean() first: it removes control characters, so the only markers left are ours.
        fragments = _highlighted(hit, name, clean(item.get(name)), pattern)
        if fragments:
            return fragments
    if matched & {"caption", "credit"}:
        captions = _caption_snippet(hit, item, matched)
        if captions:
            return captions
    plain = clean(item.get("summary") or item.get("body"))
    return plain[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …" if len(plain) > SNIPPET_CHARS else plain


def _to_hit(hit: Hit, scored: bool, pattern: _StemFinder | None, matched: set[str]) -> SearchHit:
    item = document_to_item(hit.fields())
    return SearchHit(
        url=item["url"],
        headline=item.get("headline") or "",
        published=item.get("published"),
        authors=list(item.get("authors") or []),
        section=item.get("section"),
        score=round(hit.score, 3) if scored and hit.score is not None else None,
        snippet=_snippet(hit, item, matched, pattern),
        matched_fields=sorted(_FRIENDLY.get(name, name) for name in matched),
    )


def filter_docs(searcher: Searcher, q: wq.Query | None) -> set[int] | None:
    """The document numbers a filter query allows, read straight from whole posting lists.

    Whoosh's own filter evaluation walks a union matcher document by document: ~250 ms for a
    one-year date range over 100,000 articles. A date range is a handful of trie term ranges,
    and reading each term's posting list in one go takes ~10 ms for the same range.
    """
    if q is None:
        return None
    reader = searcher.reader()
    if isinstance(q, wq.And):
        docs = [filter_docs(searcher, sub) or set() for sub in q.subqueries]
        return set.intersection(*docs) if docs else set()
    if isinstance(q, wq.Or):
        return set().union(*(filter_docs(searcher, sub) or set() for sub in q.subqueries))
    if isinstance(q, wq.NumericRange):
        # Private but stable across the 2.7 forks: the range as trie TermRanges.
        return filter_docs(searcher, q._compile_query(reader))
    if isinstance(q, wq.ConstantScoreQuery):
        return filter_docs(searcher, q.child)
    if isinstance(q, wq.Term | wq.TermRange):
        docs: set[int] = set()
        for fieldname, text in q.expanded_terms(reader):
            docs |= _posting_ids(searcher, fieldname, text)
        return docs
    return set(searcher.docs_for_query(q))


def _matcher_on_each(
    searcher: Searcher, q: wq.Query, docnums: Iterable[int]
) -> Iterator[tuple[int, Matcher]]:
    """(docnum, the query's matcher moved onto it) for each of `docnums` that `q` matches."""
    wanted = sorted(docnums)
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [docnum - offset for docnum in wanted if offset <= docnum < end]
        if not local:
            continue
        matcher = q.matcher(sub, sub.context(needs_current=True))
        for docnum in local:
            if not matcher.is_active():
                break
            matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                yield docnum + offset, matcher


def _matched_fields(searcher: Searcher, q: wq.Query, docnums: list[int]) -> dict[int, set[str]]:
    """The index fields in which `q` matched each of `docnums` (the hits shown).

    The query's matcher is moved to each document in turn and asked which of its term matchers
    are on it, which is what `terms=True` records, but for ten documents rather than for every
    match. Wildcards and phrases are handled as the search handles them.
    """
    matched: dict[int, set[str]] = {docnum: set() for docnum in docnums}
    for docnum, matcher in _matcher_on_each(searcher, q, matched):
        matched[docnum].update(name for name, _ in matcher.matching_terms())
    return matched


def _count(searcher: Searcher, q: wq.Query, allowed: set[int] | None) -> int:
    """How many documents match `q` (within `allowed`), without scoring any of them.

    After a top-k search that skipped blocks, Whoosh counts by walking the whole query matcher
    again, document by document. Set operations on whole posting lists give the same number
    several times faster, and narrowing each step by the documents still possible skips most of
    the reading a common word would cost.
    """
    return len(_match_set(searcher, q, allowed))


def _match_set(searcher: Searcher, q: wq.Query, within: set[int] | None = None) -> set[int]:
    """The (global) document numbers `q` matches, deleted documents excluded, and only those in
    `within` when it is given."""
    if isinstance(q, wq.Term):
        return _posting_ids(searcher, q.fieldname, q.text, within)
    reader = searcher.reader()
    if isinstance(q, wq.Or) and not q.minmatch:
        docs: set[int] = set()
        undecided = within
        # Largest first: once the documents in question are all matched, the rest can be skipped.
        for sub in sorted(q.subqueries, key=lambda sub: -sub.estimate_size(reader)):
            found = _match_set(searcher, sub, undecided)
            docs |= found
            if undecided is not None:
                undecided = undecided - found
                if not undecided:
                    break
        return docs
    if isinstance(q, wq.And):
        positive = [sub for sub in q.subqueries if not isinstance(sub, wq.Not)]
        if positive:
            # Smallest first, so a common word is only checked against the few documents left.
            docs = within
            for sub in sorted(positive, key=lambda sub: sub.estimate_size(reader)):
                docs = _match_set(searcher, sub, docs)
                if not docs:
                    return set()
            for sub in q.subqueries:
                if isinstance(sub, wq.Not) and docs:
                    docs -= _match_set(searcher, sub.query, docs)
            return docs
    if isinstance(q, wq.AndNot):
        docs = _match_set(searcher, q.a, within)
        return docs - _match_set(searcher, q.b, docs) if docs else docs
    if isinstance(q, wq.AndMaybe):
        return _match_set(searcher, q.a, within)
    docs = set(searcher.docs_for_query(q))
    return docs if within is None else docs & within


# Checking a document against a posting list by skipping to it costs about as much as reading
# this many postings in whole blocks.
_SKIP_COST_IN_POSTINGS = 30


def _posting_ids(
    searcher: Searcher, fieldname: str, text: Any, within: set[int] | None = None
) -> set[int]:
    """The global document numbers in the posting list of a term (only those in `within`)."""
    docs: set[int] = set()
    for reader, offset in searcher.reader().leaf_readers():
        if (fieldname, text) not in reader:
            continue
        count = reader.doc_count_all()
        frequency = reader.doc_frequency(fieldname, text)
        if frequency == count and not reader.has_deletions():
            # The word is in every document of the segment: nothing to read.
            if within is None:
                docs.update(range(offset, offset + count))
            else:
                docs.update(d for d in within if offset <= d < offset + count)
        elif within is not None and len(within) * _SKIP_COST_IN_POSTINGS < frequency:
            candidates = sorted(d - offset for d in within if offset <= d < offset + count)
            found = _skip_through(reader.postings(fieldname, text), candidates)
            docs.update(map(offset.__add__, found))
        else:
            ids = map(offset.__add__, _whole_posting_list(reader.postings(fieldname, text)))
            docs.update(ids if within is None else within.intersection(ids))
    return docs


def _skip_through(postings: Any, candidates: list[int]) -> list[int]:
    """Those of the sorted `candidates` that the posting list has."""
    found = []
    for docnum in candidates:
        postings.skip_to(docnum)
        if not postings.is_active():
            break
        if postings.id() == docnum:
            found.append(docnum)
    return found


def _whole_posting_list(postings: Any) -> list[int]:
    if not hasattr(postings, "_read_ids"):
        # A FilterMatcher over deleted documents has no blocks to read.
        return list(postings.all_ids())
    # Private but stable across the 2.7 forks: whole blocks of ids instead of one method call
    # per posting.
    ids: list[int] = []
    while postings.is_active():
        postings._read_ids()
        ids.extend(postings._ids)
        postings._next_block()
    return ids


# Up to this many matches, scoring each beats Whoosh's top-k search, whose block skipping works
# for one word but hardly when words must meet in one article. Medians over 100 queries of each
# kind on 100,000 articles, with and without a date filter (scoring each / Whoosh's top-k):
# - one word: 2.7 / 2.9 ms at 300-800 matches, 6.6 / 3.4 at 800-1,500, 10.2 / 1.8 beyond;
# - two words: 7.3 / 16.3 ms at 300-800, 15.1 / 30.5 at 800-1,500, 35.4 / 39.6 at 1,500-3,000,
#   78.2 / 32.3 at 3,000-6,000.
# Under 300 matches scoring each wins either way (2.2 / 9.9 ms): a filtered top-k walks every
# match of the query.
SCORE_EACH_UP_TO = 800
SCORE_EACH_UP_TO_WITH_AND = 1500


def _only_words(q: wq.Query) -> bool:
    """Whether `q` is single words joined by AND, OR and NOT: what _match_set reads cheaply."""
    if isinstance(q, wq.Term):
        return True
    if isinstance(q, wq.Or) and q.minmatch:
        return False
    if isinstance(q, wq.And | wq.Or | wq.Not | wq.AndNot | wq.AndMaybe):
        return all(_only_words(sub) for sub in q.children())
    return False


def _has_and(q: wq.Query) -> bool:
    return isinstance(q, wq.And) or any(_has_and(sub) for sub in q.children())


def _score_each(searcher: Searcher, q: wq.Query, docs: set[int], k: int) -> list[tuple[float, int]]:
    """The `k` best (score, docnum) of `docs`, all of which match `q`, best first.

    Scores come from the query's own matcher, moved to each document, so they are exactly the
    scores Whoosh's search gives; ties go to the lower document number, as in Whoosh.
    """
    scored = [(matcher.score(), docnum) for docnum, matcher in _matcher_on_each(searcher, q, docs)]
    return heapq.nsmallest(k, scored, key=lambda pair: (-pair[0], pair[1]))


def _sorted_by(sort: Sort) -> dict[str, Any]:
    if sort == "relevance":
        return {}
    return {"sortedby": "published", "reverse": sort == "newest"}


# Facet name -> the field holding the names as displayed (any of them pastes into a filter).
FACET_FIELDS = {
    "section": "section_name",
    "subsection": "subsection_name",
    "author": "author_names",
}


def _facets(searcher: Searcher, results: Results) -> dict[str, dict[str, int]]:
    """Counts by section, subsection, author and month over all matches (not just the page
    shown), under the names `newsbot stats` and the articles show; --section and --author
    accept them as they are.
    """
    counts: dict[str, dict[str, int]] = {}
    for name in FACET_FIELDS:
        # Articles without the field group under None; they are left out of the counts.
        groups = {key: n for key, n in results.groups(name).items() if key is not None}
        ranked = sorted(groups.items(), key=lambda kv: (-kv[1], str(kv[0])))[:FACET_TOP]
        counts[name] = {str(key): n for key, n in ranked}
    published = searcher.reader().column_reader("published")
    months: Counter[str] = Counter()
    for docnum in results.docs():
        when = published[docnum]
        if isinstance(when, dt.datetime):
            months[when.strftime("%Y-%m")] += 1
    counts["month"] = dict(sorted(months.items(), reverse=True))
    return counts


_WORD = re.compile(r"[^\W\d_]{3,}")
_STEMMER = SCHEMA["body"].analyzer


def _stem(word: str) -> str:
    stems = [t.text for t in _STEMMER(word)]
    return stems[0] if stems else ""


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, counting a swap of neighbours as one edit ("electoin")."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def _surface_forms(searcher: Searcher, stem: str) -> Counter[str]:
    """How articles spell words with this stem: the index holds only stems ("elect")."""
    forms: Counter[str] = Counter()
    # A stem is nearly always a prefix of its words; stemming only those keeps this cheap.
    prefix = re.compile(rf"\b{re.escape(stem[:3])}[^\W\d_]*")
    # The first two articles that have the stem will do; ranking them would cost more.
    postings = searcher.reader().postings("body", stem)
    for docnum in itertools.islice(postings.all_ids(), 2):
        body = document_to_item(searcher.stored_fields(docnum)).get("body") or ""
        forms.update(w for w in prefix.findall(body.lower()) if _stem(w) == stem)
    return forms


def _respell(searcher: Searcher, word: str) -> str | None:
    """The closest word that articles use, for a word the index does not have."""
    reader = searcher.reader()
    stem = _stem(word)
    if not stem or any(reader.doc_frequency(f, stem) for f in ("body", "headline")):
        return None
    # Stemming shortens words ("election" -> "elect"), so long words need more slack. Taking the
    # first letter as typed right (prefix=1) makes the search of the term list ~10x cheaper.
    maxdist = 2 if len(stem) < 7 else 3
    forms: Counter[str] = Counter()
    candidates = reader.corrector("body").suggest(stem, limit=8, maxdist=maxdist, prefix=1)
    for candidate in candidates:
        forms.update(_surface_forms(searcher, candidate))
    if not forms:
        return None
    # Equally many edits apart, the word that keeps more of the letters as typed, in order,
    # is the one meant: "drout" is "drought" with two letters left out, not "draft".
    return min(
        forms,
        key=lambda form: (
            _edit_distance(word, form),
            -_common_letters(word, form),
            -forms[form],
            form,
        ),
    )


def _common_letters(a: str, b: str) -> int:
    """Length of the longest common subsequence of `a` and `b`."""
    previous = [0] * (len(b) + 1)
    for ca in a:
        current = [0]
        for j, cb in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if ca == cb else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def _suggest(searcher: Searcher, text: str, allowed: set[int] | None, total: int) -> str | None:
    """A respelt query that finds more than `text` did, or None."""
    suggestion = text
    for word in dict.fromkeys(_WORD.findall(text)):
        # Operators and field names are not misspelt words.
        if word.isupper() or f"{word}:" in text:
            continue
        form = _respell(searcher, word.lower())
        if form:
            suggestion = re.sub(rf"\b{re.escape(word)}\b", form, suggestion)
    if suggestion == text:
        return None
    # Counting every match of the respelt query could take seconds; total + 1 is enough to know.
    results = searcher.search(parse_query(suggestion), filter=allowed, limit=total + 1)
    return suggestion if results.scored_length() > total else None


def search(
    searcher: Searcher,
    text: str,
    filters: Filters,
    *,
    sort: Sort = "relevance",
    limit: int = 10,
    page: int = 1,
    facets: bool = False,
) -> SearchResult:
    if limit < 1 or page < 1:
        raise UsageError("--limit and --page must be at least 1")
    q = parse_query(text)
    bound_expansion(q, searcher.reader())
    allowed = filter_docs(searcher, filters.to_query())
    if allowed is not None and not allowed:
        # Whoosh reads an empty allow-set as "no filter", so nothing-allowed is answered here.
        return SearchResult(
            hits=[], total=0, page=page, pages=1, **_why_nothing(searcher, q, filters)
        )
    groupedby = None
    if facets:
        groupedby = {
            name: sorting.FieldFacet(fieldname, allow_overlap=True, maptype=sorting.Count)
            for name, fieldname in FACET_FIELDS.items()
        }
    offset = (page - 1) * limit
    if sort == "relevance" and not facets and _only_words(q):
        # Finding the matching set first is cheap for words joined by AND, OR and NOT, and it
        # gives the exact total. A small set is faster to score one document at a time than
        # Whoosh's top-k search, which walks through every candidate of the rarest word.
        matching = _match_set(searcher, q, allowed)
        total = len(matching)
        if total <= (SCORE_EACH_UP_TO_WITH_AND if _has_and(q) else SCORE_EACH_UP_TO):
            top = _score_each(searcher, q, matching, offset + limit)
            results = Results(searcher, q, top, docset=matching)
        else:
            results = searcher.search(q, filter=allowed, limit=offset + limit)
    else:
        # No terms=True: recording the matched terms of every match defeats Whoosh's block-max
        # skipping for the top hits; _matched_fields finds them for the shown hits only.
        results = searcher.search(
            q, filter=allowed, limit=offset + limit, groupedby=groupedby, **_sorted_by(sort)
        )
        # A relevance top-k skips blocks that cannot make the page, so it does not know the
        # total, and len(results) would walk every match again one by one. Sorting and facets
        # visit them all. A top-k that never filled up skipped nothing: every match is in it.
        if sort != "relevance" or facets:
            total = len(results)
        elif results.scored_length() < offset + limit:
            total = results.scored_length()
        else:
            total = _count(searcher, q, allowed)
    results.highlighter = _highlighter()
    pattern = _stem_pattern(q)
    shown = results[offset : offset + limit]
    matched = _matched_fields(searcher, q, [hit.docnum for hit in shown])
    hits = [_to_hit(hit, sort == "relevance", pattern, matched[hit.docnum]) for hit in shown]
    return SearchResult(
        hits=hits,
        total=total,
        page=page,
        pages=max(1, -(-total // limit)),
        suggestion=_suggest(searcher, text, allowed, total) if total < SUGGEST_BELOW else None,
        facets=_facets(searcher, results) if facets else {},
        **(_why_nothing(searcher, q, filters) if not total else {}),
    )


def _why_nothing(searcher: Searcher, q: wq.Query, filters: Filters) -> dict[str, Any]:
    """When filters left no hits: how many the query finds without them, and which filters
    alone remove every one (all of them, when only their combination does)."""
    described = filters.described()
    if not described:
        return {}
    unfiltered = _count(searcher, q, None)
    if not unfiltered:
        return {}
    blocking = [
        label
        for label, part in described
        if not _count(searcher, q, filter_docs(searcher, part) or set())
    ]
    return {
        "unfiltered_total": unfiltered,
        "blocking_filters": blocking or [label for label, _ in described],
    }
