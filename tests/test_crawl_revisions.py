"""Whole crawls of the sample site through every pipeline: revisions, copies, near-duplicates.

Each test runs `scrapy crawl americas` (conftest's `run_crawl`) against the local sample site,
with the index committing every half second so the crawls stay short.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from newsbot.cli import main
from newsbot.search.history import find
from newsbot.search.schema import document_to_item
from newsbot.search.searcher import open_searcher

SITE = "https://www.nytimes.com"
FAST = ("-s", "NEWSBOT_INDEX_COMMIT_SECONDS=0.5")
RSS = "/services/xml/rss/nyt/Americas.xml"
CHANGED = f"{SITE}/2021/06/09/world/americas/argentina-rio-verde-governor-election.html"
NEW_HEADLINE = "Río Verde Elects a Governor Who Promised to Tax the Mines"
MANAUS = f"{SITE}/2021/06/10/world/americas/brazil-amazon-river-drought-manaus.html"
PRINT = f"{SITE}/2021/06/10/world/americas/print/brazil-amazon-river-drought-manaus.html"


def stored_items(index_dir: Path) -> dict[str, dict[str, Any]]:
    with open_searcher(index_dir, allow_empty=True) as searcher:
        return {
            stored["url"]: document_to_item(stored)
            for stored in searcher.reader().all_stored_fields()
        }


def site_path(url: str) -> str:
    return url.removeprefix(SITE)


def page(server: Any, url: str) -> str:
    return (server.root / site_path(url).lstrip("/")).read_text(encoding="utf-8")


def test_recrawl_with_one_changed_article_records_a_revision(
    site_server, manifest, run_crawl, tmp_path: Path, capsys
) -> None:
    articles = {a["url"]: a for a in manifest["articles"]}
    proc, first = run_crawl(site_server, tmp_path, *FAST)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {i["url"] for i in first} == set(articles)

    original = page(site_server, CHANGED)
    old_headline = articles[CHANGED]["headline"]
    assert old_headline in original
    site_server.override(site_path(CHANGED), original.replace(old_headline, NEW_HEADLINE))
    proc, second = run_crawl(site_server, tmp_path, *FAST, "-a", "refetch=all")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'newsbot/index/revised': 1," in proc.stderr
    assert {i["url"] for i in second} == set(articles)

    index_dir = tmp_path / "index"
    stored = stored_items(index_dir)
    assert set(stored) == set(articles)  # one document per article after two crawls
    assert stored[CHANGED]["headline"] == NEW_HEADLINE
    with open_searcher(index_dir, allow_empty=True) as searcher:
        revisions = {url: find(searcher, url)[0].revisions for url in articles}
    assert revisions == {url: 2 if url == CHANGED else 1 for url in articles}

    assert main(["history", CHANGED, "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "2 version(s)" in out
    assert f"-{old_headline}" in out and f"+{NEW_HEADLINE}" in out
    assert main(["history", CHANGED, "--index", str(index_dir), "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)["versions"]
    assert [v["headline"] for v in versions] == [old_headline, NEW_HEADLINE]


def _rss_with_copies(server: Any) -> str:
    """The section feed plus three more entries for the Manaus story: its AMP page, a tracking
    variant and a print copy."""
    rss = page(server, SITE + RSS)
    entry = re.search(r"<item>(?:(?!</item>).)*?" + re.escape(MANAUS) + r".*?</item>", rss, re.S)
    assert entry is not None
    amp = MANAUS.replace(".html", ".amp.html")
    copies = [amp, MANAUS + "?smid=tw-share&utm_source=twitter", PRINT]
    extra = "".join(entry.group().replace(MANAUS, copy.replace("&", "&amp;")) for copy in copies)
    return rss.replace("</channel>", extra + "</channel>")


def test_amp_tracking_and_print_copies_end_as_one_document(
    site_server, manifest, run_crawl, tmp_path: Path
) -> None:
    amp = MANAUS.replace(".html", ".amp.html")
    assert manifest["amp"] == {amp: MANAUS}
    site_server.override(RSS, _rss_with_copies(site_server))
    # The print copy names no canonical URL, so only its text ties it to the original; whichever
    # the crawl meets first, the plain article URL keeps the document.
    copy = page(site_server, MANAUS).replace(f'rel="canonical" href="{MANAUS}"', "")
    site_server.override(site_path(PRINT), copy)

    proc, feed = run_crawl(site_server, tmp_path, *FAST)
    assert proc.returncode == 0, proc.stderr[-3000:]
    stored = stored_items(tmp_path / "index")
    assert set(stored) == {a["url"] for a in manifest["articles"]}
    assert set(stored[MANAUS]["alternates"]) == {amp, PRINT}
    assert {i["url"] for i in feed} <= set(stored)


def test_near_duplicate_is_flagged_as_the_manifest_says(
    site_server, manifest, run_crawl, tmp_path: Path
) -> None:
    proc, _ = run_crawl(site_server, tmp_path, *FAST)
    assert proc.returncode == 0, proc.stderr[-3000:]
    stored = stored_items(tmp_path / "index")
    flagged = {
        url: item["near_duplicate_of"] for url, item in stored.items() if item["near_duplicate_of"]
    }
    assert flagged == manifest["near_duplicates"]


def test_near_duplicate_dropped_when_asked(
    site_server, manifest, run_crawl, tmp_path: Path
) -> None:
    proc, _ = run_crawl(site_server, tmp_path, *FAST, "-s", "NEWSBOT_DEDUPE_NEAR=drop")
    assert proc.returncode == 0, proc.stderr[-3000:]
    stored = stored_items(tmp_path / "index")
    assert len(stored) == len(manifest["articles"]) - 1
    assert "item_dropped_reasons_count/NearDuplicate': 1" in proc.stderr
