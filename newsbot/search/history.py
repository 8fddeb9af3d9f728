"""Revision history of one article: which versions the archive has seen, when, and how they differ.

A document's `history` stored field holds `History.to_json()`. The current version is the
document's `item`; `versions` holds the earlier ones, oldest first, each with its full item so a
diff can show body changes. A version is identified by `version_key`: headline, byline, authors
and body hash. Anything else changing (tags, captions, modified date) refreshes the stored item
without making a new revision.

A re-extraction (`newsbot reextract`: today's parser over the stored capture) that changes the
item is not a revision of the article: the site said nothing new. `record_reextraction` keeps it
apart, in `parser_changes`, with both parser versions and the item as it was before.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from typing import Any

from whoosh.searching import Searcher

from newsbot.search.schema import document_to_item

VERSION_FIELDS = ("headline", "byline", "authors", "content_hash")


def version_key(item: dict[str, Any]) -> str:
    """Fingerprint of what a reader would call a new version of the article."""
    payload = json.dumps([item.get(name) for name in VERSION_FIELDS], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclasses.dataclass
class History:
    first_seen: str
    last_seen: str
    current_since: str
    versions: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # Re-extractions that changed the item, oldest first: {at, parser_version,
    # previous_parser_version, version_since (the version it re-made), item (as it was)}.
    parser_changes: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def revisions(self) -> int:
        """How many distinct versions were seen, the current one included."""
        return len(self.versions) + 1

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> History:
        return cls(**json.loads(text))


def record(
    history: History | None, previous: dict[str, Any] | None, item: dict[str, Any], seen_at: str
) -> tuple[History, str]:
    """Fold one crawl of `item` into the history; say whether it was new, revised or unchanged."""
    if history is None or previous is None:
        return History(first_seen=seen_at, last_seen=seen_at, current_since=seen_at), "new"
    history.last_seen = max(history.last_seen, seen_at)
    if version_key(previous) == version_key(item):
        return history, "unchanged"
    history.versions.append(
        {
            "content_hash": previous.get("content_hash"),
            "headline": previous.get("headline"),
            "crawled_at": history.current_since,
            "item": previous,
        }
    )
    history.current_since = seen_at
    return history, "revised"


# What the parser did not make: when and how often the page was seen, and dedupe's findings.
_NOT_EXTRACTED = frozenset({"crawled_at", "parser_version", "alternates", "near_duplicate_of"})


def changed_fields(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """The fields in which two items say different things about the article, whatever parser
    or crawl made them."""
    names = (set(first) | set(second)) - _NOT_EXTRACTED
    return sorted(name for name in names if first.get(name) != second.get(name))


def record_reextraction(
    history: History, previous: dict[str, Any], item: dict[str, Any], at: str
) -> tuple[History, str]:
    """Fold a re-extraction of the current version's capture into the history: "unchanged",
    or "reextracted" with the change kept apart from the revisions."""
    if not changed_fields(previous, item):
        return history, "unchanged"
    history.parser_changes.append(
        {
            "at": at,
            "parser_version": item.get("parser_version"),
            "previous_parser_version": previous.get("parser_version"),
            "version_since": history.current_since,
            "item": previous,
        }
    )
    return history, "reextracted"


def timeline(history: History, current: dict[str, Any]) -> list[dict[str, Any]]:
    """Every version oldest first, the current one last, each as {crawled_at, content_hash,
    headline, item}."""
    versions = [dict(v) for v in history.versions]
    versions.append(
        {
            "content_hash": current.get("content_hash"),
            "headline": current.get("headline"),
            "crawled_at": history.current_since,
            "item": current,
        }
    )
    return versions


def _byline(item: dict[str, Any]) -> list[str]:
    lines = [item.get("byline") or ""]
    if item.get("authors"):
        lines.append("authors: " + ", ".join(item["authors"]))
    return [line for line in lines if line]


def _paragraphs(item: dict[str, Any]) -> list[str]:
    return [p for p in (item.get("body") or "").split("\n\n") if p]


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[str]]:
    """Unified diffs of headline, byline/authors and body paragraphs; unchanged parts omitted."""
    parts = {
        "headline": ([old.get("headline") or ""], [new.get("headline") or ""]),
        "byline": (_byline(old), _byline(new)),
        "body": (_paragraphs(old), _paragraphs(new)),
    }
    changes: dict[str, list[str]] = {}
    for name, (before, after) in parts.items():
        lines = list(difflib.unified_diff(before, after, "before", "after", n=1, lineterm=""))
        if lines:
            # The ---/+++ header names are the same for every part; the caller labels the part.
            changes[name] = lines[2:]
    return changes


def find(searcher: Searcher, url: str) -> tuple[History, dict[str, Any]] | None:
    """The history and current item of the article stored under `url` or with it as an
    alternate; None if the index has neither."""
    stored = searcher.document(url=url) or searcher.document(alternates=url)
    if stored is None:
        return None
    item = document_to_item(stored)
    if "history" in stored:
        return History.from_json(stored["history"]), item
    # Documents indexed without the crawl pipelines (e.g. `newsbot reindex`) have one version.
    seen = item.get("crawled_at") or ""
    return History(first_seen=seen, last_seen=seen, current_since=seen), item
