"""The whole path a user takes: `scrapy crawl americas` on the sample site, then `newsbot`."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newsbot.devserver import DEFAULT_ROOT, SampleSiteServer, local_crawl_command

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACT_FIELDS = ("headline", "authors", "section", "subsection", "language")


def instant(iso: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(iso)
    assert when.tzinfo is not None, f"{iso} has no offset"
    return when


def newsbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsbot", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def crawl(index: Path, feed: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], list]:
    """`scrapy crawl americas` against a fresh sample-site server; returns the server's log too."""
    with SampleSiteServer(port=0) as server:
        command = local_crawl_command(server.url, index, feed, *extra)
        proc = subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        return proc, list(server.requests)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One crawl of the sample site, shared by the checks below because a crawl takes seconds."""
    tmp_path = tmp_path_factory.mktemp("e2e")
    feed = tmp_path / "feed.jsonl"
    proc, requests = crawl(tmp_path / "index", feed)
    items = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines() if line]
    manifest = json.loads((DEFAULT_ROOT / "manifest.json").read_text(encoding="utf-8"))
    return {
        "proc": proc,
        "items": items,
        "index": tmp_path / "index",
        "requests": requests,
        "manifest": manifest,
    }


def test_crawl_succeeds(crawled: dict[str, Any]) -> None:
    proc = crawled["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


def test_feed_has_every_sample_article_exactly_once(crawled: dict[str, Any]) -> None:
    urls = Counter(item["url"] for item in crawled["items"])
    expected = {article["url"] for article in crawled["manifest"]["articles"]}
    assert set(urls) == expected
    assert max(urls.values()) == 1


def test_feed_items_match_the_pages(crawled: dict[str, Any]) -> None:
    by_url = {item["url"]: item for item in crawled["items"]}
    for article in crawled["manifest"]["articles"]:
        item = by_url[article["url"]]
        for field in CONTRACT_FIELDS:
            assert item[field] == article[field], (article["url"], field)
        # Pages state their times in different offsets; the instant is what must agree.
        assert instant(item["published"]) == instant(article["published"]), article["url"]
        assert item["crawled_at"].endswith("Z")
        assert item["source_url"].startswith("https://www.nytimes.com/")
        assert item["word_count"] > 0
        first_paragraph = item["body"].split("\n\n")[0]
        assert first_paragraph == article["first_paragraph"], article["url"]


def test_items_carry_every_contract_field(crawled: dict[str, Any]) -> None:
    from newsbot.items import ARTICLE_FIELDS

    for item in crawled["items"]:
        assert set(ARTICLE_FIELDS) <= set(item), item["url"]


def test_index_holds_one_document_per_article(crawled: dict[str, Any]) -> None:
    stats = newsbot("stats", "--json", "--index", str(crawled["index"]))
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["documents"] == len(crawled["manifest"]["articles"])


def test_search_finds_an_article_by_a_phrase_first(crawled: dict[str, Any]) -> None:
    for article in crawled["manifest"]["articles"][:5]:
        phrase = article["search_phrase"]
        found = newsbot("search", f'"{phrase}"', "--json", "--index", str(crawled["index"]))
        assert found.returncode == 0, found.stderr
        hits = [json.loads(line) for line in found.stdout.splitlines()]
        assert hits and hits[0]["url"] == article["url"], phrase


def test_recrawl_over_the_same_index_keeps_the_document_count(
    crawled: dict[str, Any], tmp_path: Path
) -> None:
    proc, _ = crawl(crawled["index"], tmp_path / "again.jsonl", "-a", "refetch=all")
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = json.loads(newsbot("stats", "--json", "--index", str(crawled["index"])).stdout)
    assert stats["documents"] == len(crawled["manifest"]["articles"])
