"""Crawl commits merge segments by tiers: a bounded number of segments, and a commit never
rewrites more than one tier's worth of them."""

from __future__ import annotations

from pathlib import Path

from whoosh import writing

from newsbot.search.searcher import open_searcher
from newsbot.search.writer import MERGE_FANOUT, ArchiveWriter, merge_by_tiers, write_batch


def story(n: int, revision: int = 0) -> dict:
    return {
        "url": f"https://www.nytimes.com/2026/11/20/world/americas/story-{n}.html",
        "headline": f"Story {n} revision {revision}",
        "body": f"Body of story {n}, revision {revision}: word{n} and tier{revision}.",
        "published": "2026-11-20T08:00:00-03:00",
        "crawled_at": f"2026-11-2{1 + revision % 8}T08:00:00Z",
        "content_hash": f"hash-{n}-{revision}",
    }


def segment_sizes(writer: ArchiveWriter) -> list[int]:
    return sorted(segment.doc_count() for segment in writer.index._segments())


def test_segments_stay_few_and_every_article_is_found_once(tmp_path: Path) -> None:
    merges = []

    def watched(index_writer: writing.SegmentWriter, segments: list) -> list:
        kept = merge_by_tiers(index_writer, segments)
        merges.append(len(segments) - len(kept))
        return kept

    original = writing.SegmentWriter.commit
    stories = 0
    with ArchiveWriter(tmp_path / "index") as writer:
        try:
            writing.SegmentWriter.commit = lambda self, mergetype=None, **options: original(
                self, mergetype=watched, **options
            )
            for batch in range(120):
                for k in range(7):
                    n = batch * 5 + k  # two of each batch's stories are the next batch's too
                    writer.put(story(n, revision=batch))
                    stories = max(stories, n + 1)
                writer.commit()
                # At most MERGE_FANOUT - 1 segments wait in each tier (1-9, 10-99, 100-999
                # documents), and the one just written.
                assert len(segment_sizes(writer)) <= 3 * (MERGE_FANOUT - 1) + 1
        finally:
            writing.SegmentWriter.commit = original
        assert max(merges) == MERGE_FANOUT  # merges happened, one tier at a time
        assert set(merges) <= {0, MERGE_FANOUT}
        assert sum(segment_sizes(writer)) == stories
    with open_searcher(tmp_path / "index") as searcher:
        assert searcher.doc_count() == stories
        for n in (0, 4, 5, 300, stories - 1):
            assert len(list(searcher.documents(url=story(n)["url"]))) == 1
        # The revised story kept its newest text through the merges.
        latest = searcher.document(url=story(5)["url"])
        assert "revision 1" in latest["item"]


def test_a_crawl_s_last_batch_adds_its_segment_and_the_next_commit_merges(
    tmp_path: Path,
) -> None:
    with ArchiveWriter(tmp_path / "index") as writer:
        for n in range(MERGE_FANOUT - 1):
            writer.put(story(n))
            writer.commit()
        assert segment_sizes(writer) == [1] * (MERGE_FANOUT - 1)
        # The tier is full with this one; the batch the crawl waits for at its end leaves the
        # merge to the next commit.
        writer.put(story(100))
        batch = writer.seal(merge=False)
        assert batch is not None
        write_batch(writer.index, batch, lock_timeout=5)
        writer.confirm(batch)
        assert segment_sizes(writer) == [1] * MERGE_FANOUT
        writer.put(story(101))
        writer.commit()
        assert segment_sizes(writer) == [MERGE_FANOUT + 1]
    with open_searcher(tmp_path / "index") as searcher:
        assert searcher.doc_count() == MERGE_FANOUT + 1
