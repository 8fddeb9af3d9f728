"""IndexPipeline alone: batches, releases items only after their commit, records the crawl."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from whoosh import index

from newsbot.items import ArticleItem
from newsbot.pipelines.index import IndexPipeline
from newsbot.search.schema import open_writer
from newsbot.search.searcher import open_searcher
from newsbot.search.writer import IndexBusy, read_crawl_state


def article(n: int) -> ArticleItem:
    return ArticleItem.blank(
        url=f"https://www.nytimes.com/2026/11/2{n}/world/americas/story-{n}.html",
        headline=f"Story {n}",
        body=f"Body of story {n}.",
        published="2026-11-20T08:00:00-03:00",
        content_hash=f"hash-{n}",
    )


def documents(index_dir: Path) -> int:
    with open_searcher(index_dir, allow_empty=True) as searcher:
        return searcher.doc_count()


def test_items_are_released_only_after_their_batch_is_committed(tmp_path: Path) -> None:
    pipeline = IndexPipeline(tmp_path, commit_items=2, commit_seconds=60)
    released: list[str] = []

    async def feed(item: ArticleItem) -> None:
        await pipeline.process_item(item)
        # What the feed exporter would write at this moment must already be in the index.
        assert documents(tmp_path) >= len(released) + 1
        released.append(item["url"])

    async def crawl() -> None:
        pipeline.open_spider()
        first = asyncio.ensure_future(feed(article(1)))
        await asyncio.sleep(0.05)
        assert released == []  # waiting for its batch
        await asyncio.gather(first, feed(article(2)))
        third = asyncio.ensure_future(feed(article(3)))
        await asyncio.sleep(0.05)
        assert len(released) == 2
        pipeline.close_spider()  # the last, partial batch is committed at close
        await third

    asyncio.run(crawl())
    assert len(released) == 3
    assert documents(tmp_path) == 3
    assert read_crawl_state(tmp_path)["last_crawl"]["status"] == "finished"


def test_old_batch_is_committed_by_the_timer(tmp_path: Path) -> None:
    pipeline = IndexPipeline(tmp_path, commit_items=100, commit_seconds=0.2)

    async def crawl() -> None:
        pipeline.open_spider()
        await asyncio.wait_for(pipeline.process_item(article(1)), timeout=5)
        assert documents(tmp_path) == 1
        pipeline.close_spider()

    asyncio.run(crawl())


def test_recrawl_leaves_the_document_count_unchanged(tmp_path: Path) -> None:
    async def crawl() -> None:
        pipeline = IndexPipeline(tmp_path, commit_items=10, commit_seconds=0.1)
        pipeline.open_spider()
        await asyncio.gather(*(pipeline.process_item(article(n)) for n in range(5)))
        pipeline.close_spider()

    asyncio.run(crawl())
    asyncio.run(crawl())
    assert documents(tmp_path) == 5


def test_an_unfinished_crawl_is_noticed_by_the_next(tmp_path: Path, caplog) -> None:
    async def crawl(finish: bool) -> None:
        pipeline = IndexPipeline(tmp_path, commit_items=1)
        pipeline.open_spider()
        await pipeline.process_item(article(1))
        if finish:
            pipeline.close_spider()
        else:  # what SIGKILL leaves behind: no close, the OS drops the locks
            pipeline._timer.stop()
            pipeline.writer.close()

    asyncio.run(crawl(finish=False))
    assert read_crawl_state(tmp_path)["last_crawl"]["status"] == "running"
    asyncio.run(crawl(finish=True))
    assert "did not finish" in caplog.text
    assert documents(tmp_path) == 1


def test_a_failed_commit_fails_its_items_and_the_next_one_stores_them(tmp_path: Path) -> None:
    pipeline = IndexPipeline(tmp_path, commit_items=1, lock_timeout=0.2)

    async def crawl() -> None:
        pipeline.open_spider()
        reindex = open_writer(index.open_dir(str(tmp_path)))  # e.g. `newsbot reindex` writing
        try:
            with pytest.raises(IndexBusy, match="write lock"):
                await pipeline.process_item(article(1))
        finally:
            reindex.cancel()
        await pipeline.process_item(article(2))
        pipeline.close_spider()

    asyncio.run(crawl())
    # Article 1 never reached the feed, but its document is not lost either.
    assert documents(tmp_path) == 2
    assert read_crawl_state(tmp_path)["last_crawl"]["status"] == "finished"
