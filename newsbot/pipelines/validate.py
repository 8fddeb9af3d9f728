"""Drops items missing a required field, and measures how complete each field is per crawl.

At crawl end it logs a table field → share of items that had it, keeps the shares in stats
(`newsbot/completeness/<field>`, percent) and in `newsbot-completeness.json` beside the index,
and warns when a field's share fell sharply since the previous crawl: a markup change shows up
as "authors 98% → 12%" instead of silently emptier articles.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from newsbot.dates import utc_now_iso
from newsbot.items import ARTICLE_FIELDS, REQUIRED_FIELDS
from newsbot.search.writer import write_json_atomically

logger = logging.getLogger(__name__)

COMPLETENESS_FILE = "newsbot-completeness.json"
# Fields the pipelines fill in themselves say nothing about what the page offered.
MEASURED_FIELDS = tuple(
    name
    for name in ARTICLE_FIELDS
    if name not in {"word_count", "content_hash", "alternates", "near_duplicate_of"}
)
# Below this many items a share moves by whole tens of percent on one odd page.
_MIN_ITEMS_TO_COMPARE = 10


class MissingField(DropItem):
    """A required field (items.REQUIRED_FIELDS) is absent or empty."""


def has_value(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


class ValidatePipeline:
    def __init__(
        self,
        completeness_path: Path | None = None,
        warn_drop: float = 0.25,
        stats: StatsCollector | None = None,
    ) -> None:
        self.completeness_path = completeness_path
        self.warn_drop = warn_drop
        self.stats = stats
        self.items = 0
        self.present: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_VALIDATE_ENABLED", True):
            raise NotConfigured("NEWSBOT_VALIDATE_ENABLED is off")
        index_dir = settings.get("NEWSBOT_INDEX_DIR")
        return cls(
            completeness_path=Path(index_dir) / COMPLETENESS_FILE if index_dir else None,
            warn_drop=settings.getfloat("NEWSBOT_VALIDATE_COMPLETENESS_DROP", 0.25),
            stats=crawler.stats,
        )

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        self.items += 1
        self.present.update(name for name in MEASURED_FIELDS if has_value(adapter.get(name)))
        for name in REQUIRED_FIELDS:
            if not has_value(adapter.get(name)):
                self._inc(f"newsbot/validate/missing/{name}")
                raise MissingField(f"missing required field {name!r} in {adapter.get('url')}")
        return item

    def completeness(self) -> dict[str, float]:
        """Share (0..1) of this crawl's items that had each field."""
        return {name: self.present[name] / self.items for name in MEASURED_FIELDS}

    def close_spider(self) -> None:
        if not self.items:
            return
        shares = self.completeness()
        if self.stats is not None:
            for name, share in shares.items():
                self.stats.set_value(f"newsbot/completeness/{name}", round(100 * share, 1))
        previous = self._load_previous()
        logger.info("Field completeness over %d items:\n%s", self.items, _table(shares, previous))
        for name, before, now in self.dropped_fields(previous, shares):
            logger.warning(
                "Field %r fell from %.0f%% to %.0f%% of items since the previous crawl; "
                "did the page markup change?",
                name,
                100 * before,
                100 * now,
            )
        self._save(shares)

    def dropped_fields(
        self, previous: dict[str, Any] | None, shares: dict[str, float]
    ) -> list[tuple[str, float, float]]:
        if not previous or min(previous.get("items", 0), self.items) < _MIN_ITEMS_TO_COMPARE:
            return []
        before = previous.get("fields", {})
        return [
            (name, before[name], share)
            for name, share in shares.items()
            if name in before and before[name] - share >= self.warn_drop
        ]

    def _load_previous(self) -> dict[str, Any] | None:
        if self.completeness_path is None:
            return None
        try:
            return json.loads(self.completeness_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def _save(self, shares: dict[str, float]) -> None:
        if self.completeness_path is None:
            return
        self.completeness_path.parent.mkdir(parents=True, exist_ok=True)
        record = {"crawled_at": utc_now_iso(), "items": self.items, "fields": shares}
        write_json_atomically(self.completeness_path, record)

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)


def _table(shares: dict[str, float], previous: dict[str, Any] | None) -> str:
    before = (previous or {}).get("fields", {})
    width = max(len(name) for name in shares)
    rows = []
    for name, share in shares.items():
        row = f"  {name:<{width}}  {100 * share:5.1f}%"
        if name in before:
            row += f"  (previous crawl {100 * before[name]:5.1f}%)"
        rows.append(row)
    return "\n".join(rows)
