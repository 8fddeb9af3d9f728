"""The article item: the one written contract between parsers, pipelines, the index and the feed.

Every crawl feed line, every `newsbot extract` line and every `newsbot export` line is one
`ArticleItem` serialised as a JSON object with exactly these keys. Fields the page does not state
are `None` (scalars) or empty (lists, dicts), never missing, so consumers can rely on the keys.
"""

from __future__ import annotations

from typing import Any

import scrapy

# name -> (required after validation, format). README's "Item contract" table mirrors this.
ARTICLE_FIELDS: dict[str, tuple[bool, str]] = {
    "url": (True, "canonical https URL of the article, no query and no fragment"),
    "source_url": (False, "the URL that was requested, on the site's own host (before mirroring)"),
    "headline": (True, "the visible main headline"),
    "summary": (False, "the dek or description, or null"),
    "section": (False, 'section display name, e.g. "World", or null'),
    "subsection": (False, 'subsection display name, e.g. "Americas", or null'),
    "authors": (False, "people's names in proper case, in byline order; [] without a byline"),
    "byline": (False, 'the byline as shown, e.g. "By Gardiner Harris and Kirk Semple", or null'),
    "published": (True, "first publication, ISO 8601 with an offset"),
    "published_raw": (False, "the publication date string exactly as found on the page"),
    "published_source": (False, "where `published` came from: jsonld, meta, time or url"),
    "modified": (False, "last modification, ISO 8601 with an offset, or null"),
    "body": (True, "the article's own paragraphs in reading order, separated by a blank line"),
    "captions": (False, "list of {text, credit, image_url}; credit without a 'Credit' label"),
    "tags": (False, "list of keywords/subjects as the page states them"),
    "language": (False, 'BCP 47 language tag, e.g. "en" or "es", or null'),
    "word_count": (False, "number of words in body"),
    "kind": (False, "article, interactive, live, transcript or opinion"),
    "short_url": (False, "the page's short link (nyti.ms), or null"),
    "translations": (False, "language tag -> URL of the same article in that language"),
    "is_free": (False, "true/false when the page states whether it is outside the paywall"),
    "crawled_at": (False, "when the page was fetched, UTC ISO 8601 (Z); null from `extract`"),
    "parser_version": (False, "the parser that made the item: newsbot version+code digest"),
    # Added by pipelines, never by parsers.
    "content_hash": (False, "sha256 hex of the normalised body (clean pipeline)"),
    "alternates": (False, "other URLs that carried the same content (dedupe pipeline)"),
    "near_duplicate_of": (False, "url of a near-identical article already stored, or null"),
}


def _empty(name: str) -> Any:
    if name == "parser_version":
        # Imported here: the parsers import this module, so it cannot import them at load time.
        from newsbot.parsers.version import PARSER_VERSION

        return PARSER_VERSION
    if name in {"authors", "captions", "tags", "alternates"}:
        return []
    if name == "translations":
        return {}
    return None


class ArticleItem(scrapy.Item):
    """One news article. See `ARTICLE_FIELDS` for each field's format."""

    locals().update({name: scrapy.Field(doc=doc) for name, (_, doc) in ARTICLE_FIELDS.items()})

    @classmethod
    def blank(cls, **values: Any) -> ArticleItem:
        """An item with every contract field present (empty where not given)."""
        item = cls({name: _empty(name) for name in ARTICLE_FIELDS})
        item.update(values)
        return item


REQUIRED_FIELDS: tuple[str, ...] = tuple(n for n, (req, _) in ARTICLE_FIELDS.items() if req)
