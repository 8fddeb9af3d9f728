"""Two corrections to Whoosh's matchers; newsbot.search.searcher applies them on import.

To find the top hits without scoring every match, Whoosh rewrites the query's matcher as the
page fills up, dropping parts that can no longer lift a document onto the page. Two bugs in
whoosh-reloaded 2.7.5 made that rewriting lose or under-score real hits:

- An OR one side of which cannot reach the page alone becomes "A and maybe B", where B only
  adds to A's score. Its skip_to moves B to the document asked for rather than to where A
  landed, so B's share of that document's score is lost: `headline:w0 w1` gave its best match
  11.3 instead of 15.5 and ranked it second.
- NOT is an inverse matcher that gives every document it passes a constant score, but reports
  the best score of the words it excludes as its own. Once those words run out it claims 0,
  and the rewriting drops the whole query: `summary:w3 NOT (w20 headline:w25)` stopped early.

On two indexes of 700 generated articles (one segment; three with deletions), the top ten of
968 random queries were compared with scoring every match: 62 were wrong, 80 with only the
second fix, 2 with only the first, none with both (1,924 queries). tests/test_search_paths.py
keeps checking. The pin on whoosh-reloaded is exact, so these stay in step with its code.
"""

from __future__ import annotations

from whoosh.matching import ReadTooFar, binary, wrappers


def _and_maybe_skip_to(self: binary.AndMaybeMatcher, docnum: int) -> bool:
    a, b = self.a, self.b
    if not a.is_active():
        raise ReadTooFar
    moved = a.skip_to(docnum)
    if a.is_active() and b.is_active() and b.id() < a.id():
        moved = b.skip_to(a.id()) or moved
    return bool(moved)


def _inverse_quality(self: wrappers.InverseMatcher) -> float:
    return self._weight


def apply() -> None:
    binary.AndMaybeMatcher.skip_to = _and_maybe_skip_to
    wrappers.InverseMatcher.max_quality = _inverse_quality
    wrappers.InverseMatcher.block_quality = _inverse_quality
