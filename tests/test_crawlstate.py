"""Incremental state: what counts as already stored and unchanged."""

from __future__ import annotations

from pathlib import Path

from newsbot.state.crawlstate import CrawlState, newest

URL = "https://www.nytimes.com/2026/01/05/world/americas/x.html"
OTHER = "https://www.nytimes.com/2026/01/05/world/americas/y.html"


def test_unknown_articles_are_fetched(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "sub" / "state.sqlite")
    assert state.needs_fetch([URL], None)
    assert state.needs_fetch([URL], "2026-01-05T10:00:00Z")
    assert len(state) == 0


def test_stored_articles_are_skipped_unless_a_source_says_newer(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "state.sqlite")
    state.record([URL + "?page=1"], URL, "2026-01-05T10:00:00-05:00", "2026-01-05T16:00:00Z")
    assert not state.needs_fetch([URL], None)  # the front gives no date
    assert not state.needs_fetch([URL], "2026-01-05T15:00:00Z")  # feed pubDate, older
    assert not state.needs_fetch([URL], "2026-01-05T16:00:00+00:00")  # same lastmod
    assert state.needs_fetch([URL], "2026-01-05T16:00:01Z")  # newer lastmod
    assert not state.needs_fetch([URL + "?page=1"], None)  # known by the fetched URL too
    assert state.needs_fetch([OTHER], None)


def test_modified_date_counts_as_known(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "state.sqlite")
    state.record([], URL, "2026-01-06T10:00:00Z", None)
    assert not state.needs_fetch([URL], "Mon, 05 Jan 2026 14:00:00 +0000")
    assert state.needs_fetch([URL], "Tue, 06 Jan 2026 11:00:00 +0000")


def test_state_survives_reopening_and_keeps_newest_source_date(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    state = CrawlState(path)
    state.record([], URL, None, "2026-01-05T16:00:00Z")
    state.record([], URL, None, "2026-01-04T16:00:00Z")  # an older date does not win
    state.close()
    again = CrawlState(path)
    stored = again.get(URL)
    assert stored is not None and stored.source_date == "2026-01-05T16:00:00Z"
    assert stored.stored_at.endswith("Z")
    assert len(again) == 1


def test_newest() -> None:
    assert newest(None, "2026-01-05T16:00:00Z", "Mon, 05 Jan 2026 17:00:00 +0000") == (
        "Mon, 05 Jan 2026 17:00:00 +0000"
    )
    assert newest(None, "nonsense") is None
