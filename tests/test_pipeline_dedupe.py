"""DedupePipeline alone (and wired to IndexPipeline by signals): URL, content, near-duplicate."""

from __future__ import annotations

import asyncio
import contextlib
import random
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

import newsbot.search.writer as writer_module
from newsbot.items import ArticleItem
from newsbot.pipelines.clean import CleanPipeline
from newsbot.pipelines.dedupe import DedupePipeline, DuplicateArticle, NearDuplicate, url_rank
from newsbot.pipelines.index import IndexPipeline
from newsbot.search.schema import document_to_item
from newsbot.search.searcher import open_searcher
from newsbot.search.writer import ArchiveWriter
from newsbot.state.dedupe_store import STORE_FILE, DedupeStore, band_values, minhash, similarity

URL = "https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html"
AMP = URL.replace(".html", ".amp.html")
OTHER = "https://www.nytimes.com/2026/11/20/world/americas/chile-vote.html"
SETTINGS = {"NEWSBOT_INDEX_COMMIT_ITEMS": 1}

_rng = random.Random(7)
_WORDS = [f"word{n}" for n in range(3000)]
BODY = "\n\n".join(" ".join(_rng.choices(_WORDS, k=60)) for _ in range(10))


def article(url: str = URL, body: str = BODY, **values: object) -> ArticleItem:
    values = {"headline": "Rains", "published": "2026-11-20T08:00:00Z", **values}
    item = ArticleItem.blank(url=url, body=body, **values)
    return CleanPipeline().process_item(item)


def near_copy(body: str = BODY) -> str:
    words = body.split(" ")
    words[100] = "changed"
    return " ".join(words) + " Syndicated by the Wire Service."


def test_minhash_similarity_high_for_edits_low_for_other_text() -> None:
    assert similarity(minhash(BODY), minhash(BODY)) == 1.0
    assert similarity(minhash(BODY), minhash(near_copy())) >= 0.8
    other = " ".join(_rng.choices(_WORDS, k=600))
    assert similarity(minhash(BODY), minhash(other)) < 0.2


def test_signature_is_stable_and_banded() -> None:
    signature = minhash(BODY)
    assert len(signature) == 2 * 64
    assert band_values(signature) == band_values(minhash(BODY))
    assert len(set(band_values(signature))) == 16


def test_url_rank_prefers_plain_article_urls() -> None:
    assert url_rank(URL) < url_rank(AMP)
    assert url_rank(AMP) < url_rank("https://syndication.example.com/brazil.html")


@pytest.fixture
def dedupe(tmp_path: Path):
    pipeline = DedupePipeline(tmp_path / STORE_FILE)
    pipeline.open_spider()
    yield pipeline
    pipeline.close_spider()


def test_same_url_passes_every_time(dedupe: DedupePipeline) -> None:
    assert dedupe.process_item(article()) is not None
    changed = article(body=BODY + " A correction.")
    assert dedupe.process_item(changed)["near_duplicate_of"] is None


def test_same_content_under_another_url_is_dropped(dedupe: DedupePipeline) -> None:
    dedupe.process_item(article())
    with pytest.raises(DuplicateArticle, match=f"{AMP} has the same content as {URL}"):
        dedupe.process_item(article(AMP))
    # Once known as an alternate it stays one, even if the copy goes stale.
    with pytest.raises(DuplicateArticle, match="known alternate"):
        dedupe.process_item(article(AMP, body=BODY + " stale"))


def test_plain_url_takes_over_from_an_amp_copy_seen_first(dedupe: DedupePipeline) -> None:
    dedupe.process_item(article(AMP))
    item = dedupe.process_item(article())
    assert item["alternates"] == [AMP]
    with pytest.raises(DuplicateArticle):
        dedupe.process_item(article(AMP))


def test_near_duplicate_is_flagged(dedupe: DedupePipeline) -> None:
    dedupe.process_item(article())
    item = dedupe.process_item(article(OTHER, body=near_copy()))
    assert item["near_duplicate_of"] == URL


def test_near_duplicate_dropped_when_asked(tmp_path: Path) -> None:
    pipeline = DedupePipeline(tmp_path / STORE_FILE, near="drop")
    pipeline.open_spider()
    pipeline.process_item(article())
    with pytest.raises(NearDuplicate, match=f"{OTHER} is a near-duplicate of {URL}"):
        pipeline.process_item(article(OTHER, body=near_copy()))


def test_state_persists_across_runs_only_when_committed(tmp_path: Path) -> None:
    first = DedupePipeline(tmp_path / STORE_FILE)
    first.open_spider()
    first.process_item(article())
    first.close_spider()
    crashed = DedupePipeline(tmp_path / STORE_FILE)
    crashed.open_spider()
    crashed.process_item(article(OTHER, body="Entirely different words here."))
    crashed.store.close()  # no commit: as after SIGKILL
    with DedupeStore(tmp_path / STORE_FILE) as store:
        assert store.has(URL)
        assert not store.has(OTHER)


def test_reconcile_adds_what_the_index_committed_and_the_store_lost(tmp_path: Path) -> None:
    with ArchiveWriter(tmp_path) as writer:  # committed to the index ...
        writer.put(dict(article(alternates=[AMP])))
        writer.commit()
    with DedupeStore(tmp_path / STORE_FILE) as store:  # ... killed before the store's commit
        store.remember(AMP, "ab" * 32, minhash("stale amp copy"))
        store.commit()
        assert store.reconcile(tmp_path) == 1
        assert store.reconcile(tmp_path) == 0
        assert store.has(URL)
        assert not store.has(AMP) and store.primary_for(AMP) == URL


def test_amp_and_tracking_copies_end_as_one_document_with_alternates(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict=SETTINGS | {"NEWSBOT_INDEX_DIR": str(tmp_path)})
    crawler.stats.open_spider()
    dedupe = DedupePipeline.from_crawler(crawler)
    indexer = IndexPipeline.from_crawler(crawler)
    printed = "https://www.nytimes.com/print/2026/11/20/brazil-rains.html"

    async def run() -> None:
        dedupe.open_spider()
        indexer.open_spider()
        crawled = [
            article(AMP),
            article(URL + "?smid=tw-share&utm_source=x", source_url=URL + "?smid=tw-share"),
            article(printed),
            article(OTHER, body=near_copy()),
        ]
        for item in crawled:
            with contextlib.suppress(DuplicateArticle):
                await indexer.process_item(dedupe.process_item(item))
        indexer.close_spider()
        dedupe.close_spider()

    asyncio.run(run())
    with open_searcher(tmp_path, allow_empty=True) as searcher:
        assert searcher.doc_count() == 2
        item = document_to_item(searcher.document(url=URL))
        other = document_to_item(searcher.document(url=OTHER))
    assert item["alternates"] == [AMP, printed]
    assert other["near_duplicate_of"] == URL
    assert crawler.stats.get_value("newsbot/dedupe/promoted") == 1
    assert crawler.stats.get_value("newsbot/dedupe/duplicate") == 1
    assert crawler.stats.get_value("newsbot/dedupe/near") == 1


def test_unknown_near_mode_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NEWSBOT_DEDUPE_NEAR"):
        DedupePipeline(tmp_path / STORE_FILE, near="ignore")


def test_copy_fetched_from_an_alternate_address_of_a_stored_article(
    dedupe: DedupePipeline,
) -> None:
    dedupe.process_item(article())
    amp_page = article(source_url=AMP, body=BODY + " A byline left in the AMP body.")
    with pytest.raises(DuplicateArticle, match=f"{AMP} is a copy of the stored {URL}"):
        dedupe.process_item(amp_page)


def test_alternate_address_seen_first_is_recorded(dedupe: DedupePipeline) -> None:
    item = dedupe.process_item(article(source_url=AMP))
    assert item["alternates"] == [AMP]
    with pytest.raises(DuplicateArticle, match="known alternate"):
        dedupe.process_item(article(AMP))


def test_the_later_published_near_duplicate_is_flagged_whatever_the_order(
    tmp_path: Path,
) -> None:
    crawler = get_crawler(settings_dict=SETTINGS | {"NEWSBOT_INDEX_DIR": str(tmp_path)})
    dedupe = DedupePipeline.from_crawler(crawler)
    indexer = IndexPipeline.from_crawler(crawler)
    later = article(OTHER, body=near_copy(), published="2026-11-21T08:00:00Z")

    async def run() -> None:
        dedupe.open_spider()
        indexer.open_spider()
        await indexer.process_item(dedupe.process_item(later))
        earlier = dedupe.process_item(article(published="2026-11-20T08:00:00Z"))
        assert earlier["near_duplicate_of"] is None
        await indexer.process_item(earlier)
        indexer.close_spider()
        dedupe.close_spider()

    asyncio.run(run())
    with open_searcher(tmp_path, allow_empty=True) as searcher:
        assert document_to_item(searcher.document(url=OTHER))["near_duplicate_of"] == URL
        assert document_to_item(searcher.document(url=URL))["near_duplicate_of"] is None


def test_a_store_that_fails_to_open_lets_go_of_the_crawl_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: DedupeStore) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(DedupeStore, "open", broken)
    with pytest.raises(OSError, match="disk full"):
        DedupePipeline(tmp_path / STORE_FILE).open_spider()
    monkeypatch.undo()
    # Nothing of the failed crawl holds the index: the next crawl opens at once.
    pipeline = DedupePipeline(tmp_path / STORE_FILE, lock_timeout=0.2)
    pipeline.open_spider()
    pipeline.close_spider()
    assert tmp_path not in writer_module._HELD
