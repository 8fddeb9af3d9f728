"""Normalises every text field, removes boilerplate paragraphs, canonicalises URLs, adds
`word_count` and `content_hash`.

Text is NFC-normalised; NBSP and other Unicode spaces become plain spaces; control characters,
terminal escape sequences (ANSI CSI/OSC/…) and bidi overrides are removed, because crawled text
is later printed in terminals and must not be able to move the cursor, retitle the window or
reorder what is shown. Body paragraphs stay separated by one blank line.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsbot.text import strip_controls
from newsbot.urls import canonical_article_url, strip_tracking

# Lines the page furniture leaves between paragraphs, compared case-insensitively after cleaning.
BOILERPLATE = frozenset(
    {
        "advertisement",
        "skip advertisement",
        "continue reading the main story",
        "supported by",
        "share full article",
        "listen to this article",
        "read more",
        "related coverage",
        "subscribe to the times",
        "site index",
        "site information navigation",
        "skip to content",
        "skip to site index",
        "we are having trouble retrieving the article content.",
    }
)
# Furniture that varies in its tail: print-edition notes, newsletter and share prompts.
_BOILERPLATE_START = re.compile(
    r"(?:a version of this article appears in print on"
    r"|give this article"
    r"|sign up for (?:the )?[\w ’']{1,40}(?:newsletter|briefing)\b)",
    re.IGNORECASE,
)

_URL_FIELDS = ("url", "near_duplicate_of")
# Links kept as found, less tracking parameters.
_LINK_FIELDS = ("source_url", "short_url")


def clean_text(text: str) -> str:
    """One line of text: NFC, no controls or escapes, single spaces, trimmed."""
    text = strip_controls(unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def clean_body(body: str, boilerplate: Iterable[str] = BOILERPLATE, byline: str = "") -> str:
    """Paragraphs cleaned like `clean_text`, boilerplate, the byline repeated as a paragraph and
    empty ones dropped, joined by a blank line."""
    drop = {line.casefold() for line in boilerplate}
    if byline:
        # Some markup (AMP) repeats the byline inside the story body; it is not article text.
        drop.add(byline.casefold())
    text = strip_controls(unicodedata.normalize("NFC", body), keep_newlines=True)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text):
        # Boilerplate sometimes sits on its own line inside a paragraph block.
        lines = (" ".join(line.split()) for line in paragraph.split("\n"))
        kept = " ".join(line for line in lines if line and not _is_boilerplate(line, drop))
        if kept:
            paragraphs.append(kept)
    return "\n\n".join(paragraphs)


def _is_boilerplate(line: str, drop: set[str]) -> bool:
    return line.casefold() in drop or bool(_BOILERPLATE_START.match(line))


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value) or None
    if isinstance(value, list):
        cleaned = [_clean_value(v) for v in value]
        return [v for v in cleaned if v not in (None, "", {})]
    if isinstance(value, dict):
        return {k: _clean_value(v) for k, v in value.items()}
    return value


class CleanPipeline:
    def __init__(self, extra_boilerplate: Iterable[str] = ()) -> None:
        self.boilerplate = BOILERPLATE | {line.casefold() for line in extra_boilerplate}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NEWSBOT_CLEAN_ENABLED", True):
            raise NotConfigured("NEWSBOT_CLEAN_ENABLED is off")
        return cls(crawler.settings.getlist("NEWSBOT_CLEAN_BOILERPLATE"))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name, value in list(adapter.items()):
            if name == "body":
                byline = clean_text(adapter.get("byline") or "")
                adapter[name] = clean_body(value or "", self.boilerplate, byline) or None
            elif name in _URL_FIELDS or name in _LINK_FIELDS:
                continue
            elif name == "captions":
                # A caption without text or credit is page furniture, not content.
                captions = [_clean_value(c) for c in value or []]
                adapter[name] = [c for c in captions if c.get("text") or c.get("credit")]
            else:
                adapter[name] = _clean_value(value)
        self._clean_urls(adapter)
        body = adapter.get("body") or ""
        adapter["word_count"] = len(body.split())
        adapter["content_hash"] = content_hash(body) if body else None
        return item

    @staticmethod
    def _clean_urls(adapter: ItemAdapter) -> None:
        for name in _URL_FIELDS:
            if adapter.get(name):
                adapter[name] = canonical_article_url(strip_controls(adapter[name]))
        for name in _LINK_FIELDS:
            if adapter.get(name):
                adapter[name] = strip_tracking(strip_controls(adapter[name]).strip())
        if adapter.get("alternates"):
            adapter["alternates"] = list(
                dict.fromkeys(
                    canonical_article_url(strip_controls(u)) for u in adapter["alternates"]
                )
            )
        if adapter.get("translations"):
            adapter["translations"] = {
                lang: canonical_article_url(strip_controls(u))
                for lang, u in adapter["translations"].items()
            }
