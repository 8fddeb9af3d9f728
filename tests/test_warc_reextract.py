"""`newsbot reextract`: today's parser over the stored captures; parser changes are kept apart
from revisions, and an unchanged parser changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from newsbot.devserver import local_crawl_command
from newsbot.search.history import find
from newsbot.search.searcher import open_searcher

ROOT = Path(__file__).resolve().parent.parent
# Runs newsbot with a parser that differs from today's in one visible way, and says so in its
# version: what a parser upgrade looks like, in a fresh process as the command would run it.
CHANGED_PARSER = """
import sys
import newsbot.parsers.version as version
import newsbot.parsers.article as article
import newsbot.warc.parse as parse

version.PARSER_VERSION = "9.9.9+changed"
today = article.parse_article

def upgraded(page, url=None):
    item = today(page, url)
    item["headline"] = item["headline"].upper()
    return item

parse.parse_article = upgraded
from newsbot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def newsbot(work: Path, *args: str, changed_parser: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEWSBOT_FEED_DIR": str(work / "feeds")}
    prefix = ["-c", CHANGED_PARSER] if changed_parser else ["-m", "newsbot"]
    return subprocess.run(
        [sys.executable, *prefix, *args, "--index", str(work / "index")],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def snapshot(index_dir: Path) -> dict[str, tuple[str, dict]]:
    with open_searcher(index_dir) as searcher:
        urls = [doc["url"] for doc in searcher.reader().all_stored_fields()]
        return {url: (find(searcher, url)[0].to_json(), find(searcher, url)[1]) for url in urls}


def test_reextract_keeps_parser_changes_apart_from_revisions(site_server, manifest, tmp_path):
    command = local_crawl_command(site_server.url, tmp_path / "index", tmp_path / "feed.jsonl")
    crawled = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    before = snapshot(tmp_path / "index")

    # The same parser again: nothing changes, not even the feed.
    same = newsbot(tmp_path, "reextract")
    assert same.returncode == 0, same.stderr
    assert f"{len(before)} dropped: AlreadyCurrent" in same.stderr
    assert snapshot(tmp_path / "index") == before
    assert not any(feed.read_text() for feed in (tmp_path / "feeds").glob("reextract-*.jsonl"))

    # A changed parser, for one article.
    url = manifest["articles"][0]["url"]
    # One process: the patch lives in this interpreter, not in freshly started workers.
    changed = newsbot(
        tmp_path, "reextract", "--url", url + "?smid=tw", "--procs", "1", changed_parser=True
    )
    assert changed.returncode == 0, changed.stderr
    after = snapshot(tmp_path / "index")
    history, item = json.loads(after[url][0]), after[url][1]
    assert item["headline"] == before[url][1]["headline"].upper()
    assert item["parser_version"] == "9.9.9+changed"
    assert history["versions"] == []  # not a revision of the article
    (change,) = history["parser_changes"]
    assert change["parser_version"] == "9.9.9+changed"
    assert change["previous_parser_version"] == before[url][1]["parser_version"]
    assert change["item"]["headline"] == before[url][1]["headline"]
    assert {u: v for u, v in after.items() if u != url} == {
        u: v for u, v in before.items() if u != url
    }

    shown = newsbot(tmp_path, "history", url, "--json")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["revisions"] == 1
    (version,) = record["versions"]
    (parser_change,) = version["parser_changes"]
    assert parser_change["fields"] == ["headline"] and "headline" in parser_change["changes"]
    text = newsbot(tmp_path, "history", url).stdout
    assert "a parser change, not a revision" in text and "9.9.9+changed" in text

    # --since after every capture selects nothing; a day before them all, everything.
    later = newsbot(tmp_path, "reextract", "--since", "2999-01-01")
    assert later.returncode == 0 and "0 pages to parse" in later.stderr


def test_reextract_without_captures_says_where_it_looked(tmp_path: Path) -> None:
    done = newsbot(tmp_path, "reextract")
    assert done.returncode == 1
    assert "no WARC captures in" in done.stderr and "Traceback" not in done.stderr
    bad = newsbot(tmp_path, "reextract", "--since", "yesterday")
    assert bad.returncode == 2 and "is not a day" in bad.stderr
