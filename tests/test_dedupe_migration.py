"""A de-duplication store signed with MinHash scheme 1 is re-signed from the index on open."""

from __future__ import annotations

import logging
import random
import sqlite3
from pathlib import Path

import pytest
from test_minhash import scheme_1_minhash

import newsbot.state.dedupe_store as dedupe_store
from newsbot.items import ArticleItem
from newsbot.pipelines.clean import CleanPipeline
from newsbot.pipelines.dedupe import DedupePipeline
from newsbot.search.writer import ArchiveWriter
from newsbot.state.dedupe_store import STORE_FILE, DedupeStore
from newsbot.state.minhash import SCHEME, minhash

BASE = "https://www.nytimes.com/2026/11/2{n}/world/americas/story-{n}.html"
ORPHAN = "https://www.nytimes.com/2026/11/19/world/americas/never-indexed.html"
_rng = random.Random(11)
_WORDS = [f"palabra{n}" for n in range(3000)]


def article(n: int) -> ArticleItem:
    body = "\n\n".join(" ".join(_rng.choices(_WORDS, k=60)) for _ in range(8))
    item = ArticleItem.blank(
        url=BASE.format(n=n), body=body, headline=f"Story {n}", published="2026-11-20T08:00:00Z"
    )
    return CleanPipeline().process_item(item)


def near_copy(body: str) -> str:
    words = body.split(" ")
    words[50] = "cambiado"
    return " ".join(words)


@pytest.fixture
def scheme_1_archive(tmp_path: Path) -> list[ArticleItem]:
    """An index of three articles, and a store beside it as a newsbot of scheme 1 left it: no
    scheme recorded, scheme-1 signatures, and a row the index never got (a crawl that died)."""
    items = [article(n) for n in range(3)]
    with ArchiveWriter(tmp_path) as writer:
        for item in items:
            writer.put(dict(item))
        writer.commit()
    with DedupeStore(tmp_path / STORE_FILE) as store:
        for item in items:
            store.remember(item["url"], item["content_hash"], scheme_1_minhash(item["body"]))
        store.remember(ORPHAN, "cd" * 32, scheme_1_minhash("words of an orphan " * 40))
        store.add_alias(items[0]["url"].replace(".html", ".amp.html"), items[0]["url"])
        store.add_alias(ORPHAN.replace(".html", ".amp.html"), ORPHAN)
        store.db.execute("DELETE FROM meta WHERE key = 'minhash_scheme'")
        store.commit()
    return items


def test_the_store_is_re_signed_and_finds_near_copies_of_what_it_held(
    tmp_path: Path, scheme_1_archive: list[ArticleItem], caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = DedupePipeline(tmp_path / STORE_FILE)
    with caplog.at_level(logging.WARNING):
        pipeline.open_spider()
    assert pipeline.store.resigned == 3
    # Said first (a large archive takes minutes), and how it ended after.
    assert "4 articles are of MinHash scheme 1; re-signing" in caplog.text
    assert "re-signed 3 articles" in caplog.text
    store = pipeline.store
    for item in scheme_1_archive:
        assert store.signature_of(item["url"]) == minhash(item["body"])
    assert not store.has(ORPHAN)
    assert store.primary_for(ORPHAN.replace(".html", ".amp.html")) is None
    amp = scheme_1_archive[0]["url"].replace(".html", ".amp.html")
    assert store.primary_for(amp) == scheme_1_archive[0]["url"]
    # The bands are the new signatures': a near copy of a stored article is found.
    second = scheme_1_archive[1]
    match = store.near(minhash(near_copy(second["body"])), exclude="")
    assert match is not None and match.url == second["url"]
    pipeline.close_spider()
    with DedupeStore(tmp_path / STORE_FILE) as again:
        assert again.resigned == 0
        assert again._get_meta("minhash_scheme", None) == SCHEME


def test_a_migration_cut_short_leaves_the_old_store_and_runs_again(
    tmp_path: Path, scheme_1_archive: list[ArticleItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def dies_on_the_second(text: str) -> bytes:
        calls.append(text)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as a Ctrl-C (or a kill) in the middle
        return minhash(text)

    monkeypatch.setattr(dedupe_store, "minhash", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        DedupeStore(tmp_path / STORE_FILE).open()
    monkeypatch.undo()
    with sqlite3.connect(tmp_path / STORE_FILE) as db:  # as it was: nothing half-done
        rows = dict(db.execute("SELECT url, signature FROM articles"))
        assert not db.execute("SELECT 1 FROM meta WHERE key = 'minhash_scheme'").fetchall()
    assert len(rows) == 4
    for item in scheme_1_archive:
        assert rows[item["url"]] == scheme_1_minhash(item["body"])
    with DedupeStore(tmp_path / STORE_FILE) as store:  # the migration, from the start
        assert store.resigned == 3
    with DedupeStore(tmp_path / STORE_FILE) as store:
        assert store.resigned == 0
        for item in scheme_1_archive:
            assert store.signature_of(item["url"]) == minhash(item["body"])


def test_a_store_without_an_index_beside_it_keeps_no_scheme_1_signature(tmp_path: Path) -> None:
    with DedupeStore(tmp_path / STORE_FILE) as store:
        store.remember(ORPHAN, "cd" * 32, scheme_1_minhash("orphan words " * 40))
        store.db.execute("DELETE FROM meta WHERE key = 'minhash_scheme'")
        store.commit()
    with DedupeStore(tmp_path / STORE_FILE) as store:
        assert store.resigned == 0
        assert not store.has(ORPHAN)


def test_a_new_store_is_of_the_current_scheme_from_the_start(tmp_path: Path) -> None:
    with DedupeStore(tmp_path / STORE_FILE) as store:
        assert store._get_meta("minhash_scheme", None) == SCHEME
