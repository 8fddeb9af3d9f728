"""`newsbot history`: versions and diffs of one article; errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbot.cli import main
from newsbot.items import ArticleItem
from newsbot.search.history import History, diff, record, version_key
from newsbot.search.writer import ArchiveWriter

URL = "https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html"
AMP = URL.replace(".html", ".amp.html")


def article(**values: object) -> dict:
    fields = {
        "url": URL,
        "headline": "Rains flood Brazil",
        "body": "First paragraph.\n\nSecond paragraph.",
        "published": "2026-11-20T08:00:00-03:00",
        "content_hash": "h1",
        "crawled_at": "2026-11-21T10:00:00Z",
        "alternates": [AMP],
    }
    fields.update(values)
    return dict(ArticleItem.blank(**fields))


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    crawls = [
        article(),
        article(crawled_at="2026-11-21T12:00:00Z"),  # unchanged: no new version
        article(
            headline="Floods kill 12 in Brazil",
            byline="By Ana Silva",
            authors=["Ana Silva"],
            body="First paragraph.\n\nSecond paragraph, corrected.\n\nA third.",
            content_hash="h2",
            crawled_at="2026-11-22T09:00:00Z",
        ),
    ]
    for crawled in crawls:
        with ArchiveWriter(tmp_path) as writer:
            writer.put(crawled)
            writer.commit()
    return tmp_path


def test_record_counts_only_real_changes() -> None:
    history, outcome = record(None, None, article(), "t1")
    assert outcome == "new" and history.revisions == 1
    history, outcome = record(history, article(), article(tags=["x"]), "t2")
    assert outcome == "unchanged" and history.last_seen == "t2"
    history, outcome = record(history, article(), article(byline="By A"), "t3")
    assert outcome == "revised" and history.revisions == 2 and history.current_since == "t3"
    assert History.from_json(history.to_json()) == history
    assert version_key(article()) != version_key(article(authors=["A"]))


def test_diff_shows_headline_byline_and_paragraphs() -> None:
    changes = diff(article(), article(headline="New", byline="By A", body="First paragraph."))
    assert changes["headline"] == ["@@ -1 +1 @@", "-Rains flood Brazil", "+New"]
    assert "+By A" in changes["byline"]
    assert "-Second paragraph." in changes["body"]
    assert diff(article(), article()) == {}


def test_history_shows_versions_and_the_headline_change(index_dir: Path, capsys) -> None:
    assert main(["history", URL + "?smid=tw-share", "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "first seen 2026-11-21T10:00:00Z, last seen 2026-11-22T09:00:00Z, 2 version(s)" in out
    assert "version 1  crawled 2026-11-21T10:00:00Z" in out
    assert "version 2  crawled 2026-11-22T09:00:00Z" in out
    assert "-Rains flood Brazil" in out and "+Floods kill 12 in Brazil" in out
    assert "+By Ana Silva" in out
    assert "+Second paragraph, corrected." in out
    assert f"also at {AMP}" in out


def test_history_json_by_alternate_url(index_dir: Path, capsys) -> None:
    assert main(["history", AMP, "--index", str(index_dir), "--json"]) == 0
    record_ = json.loads(capsys.readouterr().out)
    assert record_["url"] == URL and record_["revisions"] == 2
    assert [v["headline"] for v in record_["versions"]] == [
        "Rains flood Brazil",
        "Floods kill 12 in Brazil",
    ]
    assert record_["versions"][1]["changes"]["headline"][1:] == [
        "-Rains flood Brazil",
        "+Floods kill 12 in Brazil",
    ]
    assert record_["versions"][0]["item"]["body"] == "First paragraph.\n\nSecond paragraph."


def test_unknown_url_is_a_one_line_error(index_dir: Path, capsys) -> None:
    code = main(
        ["history", "https://www.nytimes.com/2026/01/01/nope.html", "--index", str(index_dir)]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "no article with URL https://www.nytimes.com/2026/01/01/nope.html" in err


def test_missing_index_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    assert main(["history", URL, "--index", str(tmp_path / "none")]) != 0
    err = capsys.readouterr().err
    assert err.startswith("newsbot history: error: no index at") and err.count("\n") == 1
