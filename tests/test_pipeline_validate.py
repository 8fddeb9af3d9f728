"""ValidatePipeline alone: required fields, completeness stats, drop warnings across crawls."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from newsbot.items import REQUIRED_FIELDS, ArticleItem
from newsbot.pipelines.validate import MissingField, ValidatePipeline

URL = "https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html"


def article(**values: object) -> ArticleItem:
    fields = {
        "url": URL,
        "headline": "Rains flood Brazil",
        "body": "Text.",
        "published": "2026-11-20T08:00:00-03:00",
        "authors": ["Ana Silva"],
    }
    fields.update(values)
    return ArticleItem.blank(**fields)


def pipeline(tmp_path: Path) -> ValidatePipeline:
    stats = MemoryStatsCollector(get_crawler())
    return ValidatePipeline(tmp_path / "completeness.json", warn_drop=0.25, stats=stats)


def test_complete_item_passes(tmp_path: Path) -> None:
    item = article()
    assert pipeline(tmp_path).process_item(item) is item


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
@pytest.mark.parametrize("empty", [None, ""])
def test_missing_required_field_is_dropped_with_url_and_field(
    tmp_path: Path, field: str, empty: object
) -> None:
    validator = pipeline(tmp_path)
    with pytest.raises(MissingField, match=field) as raised:
        validator.process_item(article(**{field: empty}))
    if field != "url":
        assert URL in str(raised.value)
    assert validator.stats.get_value(f"newsbot/validate/missing/{field}") == 1


def test_completeness_is_logged_kept_in_stats_and_saved(tmp_path: Path, caplog) -> None:
    validator = pipeline(tmp_path)
    for n in range(4):
        validator.process_item(article(byline="By Ana Silva" if n == 0 else None))
    with caplog.at_level(logging.INFO):
        validator.close_spider()
    assert validator.stats.get_value("newsbot/completeness/byline") == 25.0
    assert validator.stats.get_value("newsbot/completeness/headline") == 100.0
    assert "byline" in caplog.text and "25.0%" in caplog.text
    saved = json.loads((tmp_path / "completeness.json").read_text())
    assert saved["items"] == 4 and saved["fields"]["byline"] == 0.25


def test_a_big_drop_since_the_previous_crawl_is_a_warning(tmp_path: Path, caplog) -> None:
    first = pipeline(tmp_path)
    for _ in range(20):
        first.process_item(article())
    first.close_spider()

    second = pipeline(tmp_path)
    for n in range(20):
        second.process_item(article(authors=["Ana Silva"] if n < 3 else []))
    with caplog.at_level(logging.WARNING):
        second.close_spider()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "Field 'authors' fell from 100% to 15% of items since the previous crawl; "
        "did the page markup change?"
    ]


def test_no_items_no_completeness(tmp_path: Path) -> None:
    validator = pipeline(tmp_path)
    validator.close_spider()
    assert not (tmp_path / "completeness.json").exists()
