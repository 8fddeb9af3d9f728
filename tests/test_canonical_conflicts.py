"""A page whose canonical link names another stored article never replaces or deletes it.

Page A (fetched at A) says `<link rel=canonical href=B>`. It is a copy of B (an AMP or print
page) only when B is not an article of its own yet, or when A carries B's text. Otherwise the
two conflict: A is stored under its own URL, B stays as it was, and the conflict is logged once
as a WARNING and counted in `newsbot/dedupe/canonical_conflict`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from test_pipeline_dedupe import BODY, article, near_copy

from newsbot.pipelines.dedupe import DedupePipeline, DuplicateArticle
from newsbot.pipelines.index import IndexPipeline
from newsbot.search.history import find
from newsbot.search.searcher import open_searcher

B = "https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html"
A = "https://www.nytimes.com/2026/11/21/world/americas/chile-vote.html"
OTHER_BODY = " ".join(f"different{n} words" for n in range(400))
CONFLICT = "newsbot/dedupe/canonical_conflict"


def page_at(fetched: str, canonical: str, body: str, headline: str = "Page") -> Any:
    """The item a page fetched at `fetched` gives when it names `canonical` as its URL."""
    return article(canonical, body=body, headline=headline, source_url=fetched)


class Crawl:
    """DedupePipeline wired to IndexPipeline, as in a crawl, over one index directory."""

    def __init__(self, index_dir: Path) -> None:
        settings = {"NEWSBOT_INDEX_DIR": str(index_dir), "NEWSBOT_INDEX_COMMIT_ITEMS": 1}
        self.crawler = get_crawler(settings_dict=settings)
        self.crawler.stats.open_spider()
        self.dedupe = DedupePipeline.from_crawler(self.crawler)
        self.index = IndexPipeline.from_crawler(self.crawler)
        self.index_dir = index_dir

    def run(self, *items: Any) -> list[str]:
        """Process the items; return the URLs they were stored under (None when dropped)."""
        stored: list[str] = []

        async def go() -> None:
            self.dedupe.open_spider()
            self.index.open_spider()
            for item in items:
                with contextlib.suppress(DuplicateArticle):
                    stored.append(
                        (await self.index.process_item(self.dedupe.process_item(item)))["url"]
                    )
            self.index.close_spider()
            self.dedupe.close_spider()

        asyncio.run(go())
        return stored

    def documents(self) -> dict[str, dict[str, Any]]:
        with open_searcher(self.index_dir) as searcher:
            urls = [fields["url"] for fields in searcher.reader().all_stored_fields()]
            return {url: find(searcher, url) for url in urls}

    def stat(self, name: str) -> Any:
        return self.crawler.stats.get_value(name)


def test_a_page_naming_a_stored_article_with_other_text_keeps_its_own_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawl = Crawl(tmp_path)
    crawl.run(article(B, body=BODY, headline="Rains"))
    caplog.set_level(logging.WARNING, logger="newsbot.pipelines.dedupe")

    stored = crawl.run(page_at(A, B, OTHER_BODY, headline="Vote"))

    assert stored == [A]
    documents = crawl.documents()
    assert set(documents) == {A, B}
    history_b, item_b = documents[B]
    assert item_b["headline"] == "Rains" and item_b["body"] == BODY
    assert item_b["alternates"] == [] and history_b.revisions == 1
    assert documents[A][1]["headline"] == "Vote"
    assert crawl.stat(CONFLICT) == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert A in warnings[0].getMessage() and B in warnings[0].getMessage()


def test_a_stored_article_whose_page_now_names_another_url_is_not_deleted(
    tmp_path: Path,
) -> None:
    crawl = Crawl(tmp_path)
    crawl.run(article(A, body=OTHER_BODY, headline="Vote"))

    # Its page now names B, which is not stored: storing it as B would retire A's document.
    stored = crawl.run(page_at(A, B, OTHER_BODY + " Updated.", headline="Vote, updated"))

    assert stored == [A]
    documents = crawl.documents()
    assert set(documents) == {A}
    history, item = documents[A]
    assert item["headline"] == "Vote, updated" and history.revisions == 2
    assert crawl.stat(CONFLICT) == 1


def test_the_same_conflict_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    crawl = Crawl(tmp_path)
    caplog.set_level(logging.WARNING, logger="newsbot.pipelines.dedupe")
    crawl.run(
        article(B, body=BODY),
        page_at(A, B, OTHER_BODY),
        page_at(A, B, OTHER_BODY + " again"),
    )
    assert crawl.stat(CONFLICT) == 2
    assert len([r for r in caplog.records if "canonical" in r.getMessage()]) == 1
    assert set(crawl.documents()) == {A, B}


@pytest.mark.parametrize("body", [BODY, near_copy()], ids=["same text", "nearly the same"])
def test_a_real_copy_still_becomes_an_alternate(tmp_path: Path, body: str) -> None:
    amp = B.replace(".html", ".amp.html")
    crawl = Crawl(tmp_path)
    crawl.run(article(B, body=BODY))

    assert crawl.run(page_at(amp, B, body)) == []

    documents = crawl.documents()
    assert set(documents) == {B}
    assert documents[B][1]["alternates"] == [amp]
    assert crawl.stat(CONFLICT) is None


def test_a_new_article_named_by_its_amp_page_is_stored_under_the_canonical(
    tmp_path: Path,
) -> None:
    amp = B.replace(".html", ".amp.html")
    crawl = Crawl(tmp_path)
    assert crawl.run(page_at(amp, B, BODY)) == [B]
    assert crawl.documents()[B][1]["alternates"] == [amp]
    assert crawl.stat(CONFLICT) is None
