"""Analyzers that give the tokens of Whoosh's StemmingAnalyzer() and StandardAnalyzer(), faster.

Whoosh composes those from a RegexTokenizer and a LowercaseFilter, StopFilter and StemFilter,
each a generator wrapping the one before, so every token of a body pays four generator resumes,
a stem cache that counts every use, and attribute stores on a Token whose construction made
them slow (see _new_token). Here one generator does the whole chain, and a word's fate (its
final text, or "stopped") is looked up once per distinct spelling, keyed by the text as it
appears in the document so that lowercasing is cached too.

The token stream is meant to be indistinguishable from Whoosh's, quirks included, because an
index built with one and searched with the other must agree term for term:

- One Token object is yielded over and over, with the attributes Whoosh's chain sets (text,
  boost, stopped, pos, startchar/endchar, original) reset for each token.
- StopFilter renumbering: the first kept token keeps its position in the raw match sequence
  (stop words before it still count) and each later kept token is one after the previous kept
  one. With removestops=False, stopped tokens keep their raw position, so a stopped token and
  the kept token after it can share a position.
- Stopped tokens (removestops=False) are lowercased but never stemmed.
- The size limits apply to the lowercased text, whose length can differ from the match's.
- tokenize=False yields the whole value as one token with `original` set, as RegexTokenizer
  does, and it still goes through the stop and stem steps.
- no_morph=True (used for spelling words) skips stemming only.

One deliberate difference, on by default (`fold=True`): accents are folded after lowercasing
("Valparaíso" is indexed and searched as "valparaiso"), so people find the names they remember
however they type them. Folding happens once per distinct spelling, in the word cache, so it
costs nothing per token. `fold=False` gives Whoosh's tokens exactly (an index from before
folding has analyzers without the attribute, and unpickles as fold=False).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from whoosh.analysis import STOP_WORDS, Analyzer, Token
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang.porter import stem

StemFunction = Callable[[str], str]

# Whoosh's default pattern is [\w\*]+(\.?[\w\*]+)* . Its first run takes every word character
# in reach, so a repeat of the group can only start at a dot; and since nothing follows the
# pattern, the engine's first way through is the match and it never has to give characters
# back. So a required dot, possessive repeats and no capture group match the same spans, let
# findall() return whole matches rather than the group, and run about 10% faster.
_DEFAULT_WORDS = re.compile(r"[\w*]++(?:\.[\w*]++)*+")

# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "đ": "d", "ħ": "h", "ł": "l", "ı": "i", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th"}
)
_NOT_KEY = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """`text` without accents (ASCII text comes back as it is): "Tomás" -> "Tomas".

    Apply it to lowercased text: the extra letters mapped here are the lowercase ones.
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_UNDECOMPOSED)


def name_key(name: str, *, squash: bool = False) -> str:
    """How a name (an author, a section) is indexed and looked up: lowercased, accents folded,
    spaces single; with `squash`, only letters and digits ("U.S." and "us" are both "us",
    "N.Y. / Region" is "nyregion", the section's path name)."""
    key = fold(" ".join(name.lower().split()))
    return _NOT_KEY.sub("", key) if squash else key


class KeyAnalyzer(Analyzer):
    """Comma-separated names as `name_key`s, one token each: for the author and section
    filters, where "tomas okafor" must find "Tomás Okafor"."""

    def __init__(self, squash: bool = False) -> None:
        self.squash = squash

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = _new_token(positions, chars, removestops, mode, kwargs)
        offset = start_char
        for position, part in enumerate(value.split(",") if tokenize else [value], start_pos):
            start, offset = offset, offset + len(part) + 1
            key = name_key(part, squash=self.squash)
            if not key:
                continue
            token.text = key
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = part
            if positions:
                token.pos = position
            if chars:
                token.startchar = start
                token.endchar = start + len(part)
            yield token


# Distinct spellings remembered per cache before it is emptied. News text has a long tail of
# rare words; emptying (rather than evicting the least used, as Whoosh does) keeps every lookup
# a plain dict hit, and the common words come straight back.
DEFAULT_CACHE_SIZE = 100_000


class _WordCache(dict[str, str | None]):
    """Spelling in the document -> indexed text, or None if the word is stopped."""

    def __init__(
        self,
        stops: frozenset[str],
        minsize: int,
        maxsize: int | None,
        stemfn: StemFunction | None,
        ignore: frozenset[str],
        limit: int,
        folds: bool = False,
    ) -> None:
        super().__init__()
        self.folds = folds
        self.stops = stops
        self.minsize = minsize
        self.maxsize = maxsize
        self.stemfn = stemfn
        self.ignore = ignore
        self.limit = limit

    def __missing__(self, word: str) -> str | None:
        text = fold(word.lower()) if self.folds else word.lower()
        size = len(text)
        if (
            size < self.minsize
            or (self.maxsize is not None and size > self.maxsize)
            or text in self.stops
        ):
            result = None
        elif self.stemfn is None or text in self.ignore:
            result = text
        else:
            result = self.stemfn(text)
        if len(self) >= self.limit:
            self.clear()
        self[word] = result
        return result


# Analyzers with the same word rules share caches, so the four stemmed fields of a schema (each
# may hold its own analyzer instance) fill one cache between them.
_CACHES: dict[tuple[Any, ...], _WordCache] = {}


def _shared_cache(
    stops: frozenset[str],
    minsize: int,
    maxsize: int | None,
    stemfn: StemFunction | None,
    ignore: frozenset[str],
    limit: int,
    folds: bool,
) -> _WordCache:
    key = (stops, minsize, maxsize, stemfn, ignore, limit, folds)
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = _WordCache(stops, minsize, maxsize, stemfn, ignore, limit, folds)
    return cache


def _new_token(
    positions: bool, chars: bool, removestops: bool, mode: str, kwargs: dict[str, Any]
) -> Token:
    """A Token with the attributes Token(...) would give it, in the same order.

    Token.__init__ fills in extra keyword arguments through self.__dict__, and touching
    __dict__ gives up CPython's compact attribute storage: every later attribute store costs
    several times as much, which for a token reused a thousand times per document was close
    to a third of the analysis time left after merging the chain.
    """
    t = Token.__new__(Token)
    t.positions = positions
    t.chars = chars
    t.stopped = False
    t.boost = 1.0
    t.removestops = removestops
    t.mode = mode
    for name, value in kwargs.items():
        setattr(t, name, value)
    return t


class FastStandardAnalyzer(Analyzer):
    """The tokens of `whoosh.analysis.StandardAnalyzer(...)` with the same arguments.

    `stoplist=None` means no stop filter at all, as in Whoosh: nothing is stopped, not even by
    size. Only the matching (gaps=False) tokenizer is supported.
    """

    def __init__(
        self,
        expression: str | re.Pattern[str] = default_pattern,
        stoplist: Iterable[str] | None = STOP_WORDS,
        minsize: int = 2,
        maxsize: int | None = None,
        cachesize: int = DEFAULT_CACHE_SIZE,
        fold: bool = True,
    ) -> None:
        self.expression = re.compile(expression) if isinstance(expression, str) else expression
        self.stoplist = None if stoplist is None else frozenset(stoplist)
        self.minsize = minsize
        self.maxsize = maxsize
        self.cachesize = cachesize
        self.fold = fold
        self._setup()

    # Settings that change the tokens; the rest (cache size) only changes speed.
    def _identity(self) -> tuple[Any, ...]:
        return (
            self.expression.pattern,
            self.expression.flags,
            self.stoplist,
            self.minsize,
            self.maxsize,
            self.fold,
        )

    def _setup(self) -> None:
        if self.cachesize < 1:
            raise ValueError(f"cachesize must be positive, got {self.cachesize}")
        if self.stoplist is None:
            # Without a StopFilter Whoosh applies no size limits either.
            rules: tuple[frozenset[str], int, int | None] = (frozenset(), 0, None)
        else:
            rules = (self.stoplist, self.minsize, self.maxsize)
        self._unstemmed = _shared_cache(*rules, None, frozenset(), self.cachesize, self.fold)
        self._stemmed = self._stemming_cache(rules)
        pattern = self.expression
        if pattern.pattern == default_pattern.pattern and pattern.flags == default_pattern.flags:
            pattern = _DEFAULT_WORDS
        # findall() returns groups when the pattern has any, so such patterns go through
        # finditer(), which is slower but sees whole matches.
        self._findall: Callable[[str], list[str]] | None = (
            pattern.findall if pattern.groups == 0 else None
        )
        self._finditer = pattern.finditer

    def _stemming_cache(self, rules: tuple[frozenset[str], int, int | None]) -> _WordCache:
        return self._unstemmed

    def __getstate__(self) -> dict[str, Any]:
        # The caches and bound methods are rebuilt on load; they are not settings.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Analyzers pickled before folding existed did not fold.
        self.__dict__.update({"fold": False, **state})
        self._setup()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FastStandardAnalyzer)
            and type(self) is type(other)
            and self._identity() == other._identity()
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((type(self), self._identity()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        no_morph: bool = False,
        **kwargs: Any,
    ) -> Iterator[Token]:
        # Checked on the call rather than on the first token as Whoosh does (with an assert),
        # so the mistake shows where it was made.
        if not isinstance(value, str):
            raise TypeError(f"{value!r} is not a str")
        token = _new_token(positions, chars, removestops, mode, kwargs)
        cache = self._unstemmed if no_morph else self._stemmed
        if not tokenize:
            # RegexTokenizer records the untokenized value as the original whether asked or not.
            spans: Iterable[tuple[str, int, int]] = ((value, 0, len(value)),)
            return self._spans(spans, token, cache, True, start_pos, start_char)
        if positions and removestops and not (chars or keeporiginal or self._findall is None):
            # The generator does the matching itself, so as in Whoosh no work is done until
            # the first token is asked for.
            return self._indexing(self._findall, value, token, cache, start_pos)
        spans = ((m.group(), m.start(), m.end()) for m in self._finditer(value))
        return self._spans(spans, token, cache, keeporiginal, start_pos, start_char)

    def positions_of(self, value: str) -> dict[str, list[int]] | None:
        """Each token's text and its positions, in order of first appearance: what indexing
        keeps of `self(value, positions=True)` (Whoosh's Positions format gathers exactly
        this from the tokens), without a Token per word. None when the pattern has groups,
        which only `__call__` handles."""
        if not isinstance(value, str):
            raise TypeError(f"{value!r} is not a str")
        findall = self._findall
        if findall is None:
            return None
        cache = self._stemmed
        found: dict[str, list[int]] = {}
        words = findall(value)
        # As in _indexing: the first kept word keeps its raw position, the rest count on.
        pos = -1
        for raw, word in enumerate(words):
            text = cache[word]
            if text is not None:
                pos = raw
                found[text] = [pos]
                break
        else:
            return found
        for word in words[pos + 1 :]:
            text = cache[word]
            if text is None:
                continue
            pos += 1
            seen = found.get(text)
            if seen is None:
                found[text] = [pos]
            else:
                seen.append(pos)
        return found

    @staticmethod
    def _indexing(
        findall: Callable[[str], list[str]], value: str, t: Token, cache: _WordCache, start_pos: int
    ) -> Iterator[Token]:
        # What every indexed document goes through (positions on, stop words dropped), so it
        # gets its own loop with nothing in it that this case does not need.
        rest = iter(findall(value))
        pos = start_pos
        for word in rest:
            text = cache[word]
            if text is not None:
                break
            pos += 1
        else:
            return
        t.text = text
        t.boost = 1.0
        t.stopped = False
        t.pos = pos
        yield t
        for word in rest:
            text = cache[word]
            if text is None:
                continue
            pos += 1
            t.text = text
            t.boost = 1.0
            t.stopped = False
            t.pos = pos
            yield t

    @staticmethod
    def _spans(
        spans: Iterable[tuple[str, int, int]],
        t: Token,
        cache: _WordCache,
        keeporiginal: bool,
        start_pos: int,
        start_char: int,
    ) -> Iterator[Token]:
        positions = t.positions
        chars = t.chars
        removestops = t.removestops
        kept = None
        for raw, (word, start, end) in enumerate(spans, start_pos):
            text = cache[word]
            t.boost = 1.0
            if keeporiginal:
                t.original = word
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            if text is None:
                if removestops:
                    continue
                t.text = word.lower()
                t.stopped = True
                if positions:
                    t.pos = raw
            else:
                t.text = text
                t.stopped = False
                if positions:
                    kept = raw if kept is None else kept + 1
                    t.pos = kept
            yield t


class FastStemmingAnalyzer(FastStandardAnalyzer):
    """The tokens of `whoosh.analysis.StemmingAnalyzer(...)` with the same arguments.

    Like Whoosh, `ignore` lists (lowercased) words that are not stemmed, and stemming is
    skipped when the analyzer is called with no_morph=True.
    """

    is_morph = True

    def __init__(
        self,
        expression: str | re.Pattern[str] = default_pattern,
        stoplist: Iterable[str] | None = STOP_WORDS,
        minsize: int = 2,
        maxsize: int | None = None,
        stemfn: StemFunction = stem,
        ignore: Iterable[str] | None = None,
        cachesize: int = DEFAULT_CACHE_SIZE,
        fold: bool = True,
    ) -> None:
        self.stemfn = stemfn
        self.ignore = frozenset() if ignore is None else frozenset(ignore)
        super().__init__(expression, stoplist, minsize, maxsize, cachesize, fold)

    def _identity(self) -> tuple[Any, ...]:
        return (*super()._identity(), self.stemfn, self.ignore)

    def _stemming_cache(self, rules: tuple[frozenset[str], int, int | None]) -> _WordCache:
        return _shared_cache(*rules, self.stemfn, self.ignore, self.cachesize, self.fold)
