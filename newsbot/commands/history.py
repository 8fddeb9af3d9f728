"""`newsbot history`: the versions of one article the crawls have seen, and what changed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from newsbot.cli import add_index_argument, resolve_index
from newsbot.errors import NewsbotError
from newsbot.search.history import diff, find, timeline
from newsbot.search.searcher import open_searcher
from newsbot.terminal import clean, json_line
from newsbot.urls import canonical_article_url, strip_tracking

NAME = "history"
HELP = "show the versions of an article seen by successive crawls, with a diff between them"
EXAMPLE = (
    "newsbot history https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html --json"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="article URL (canonical, AMP or with tracking)")
    add_index_argument(parser)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object with every version"
    )


def _versions(url: str, index_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    wanted = canonical_article_url(strip_tracking(url))
    with open_searcher(index_dir, allow_empty=True) as searcher:
        found = find(searcher, wanted)
    if found is None:
        raise NewsbotError(
            f"no article with URL {wanted} in {index_dir}",
            hint="`newsbot search` shows the URLs the index holds",
        )
    history, item = found
    versions = timeline(history, item)
    before: dict[str, Any] | None = None
    for number, version in enumerate(versions, start=1):
        version["version"] = number
        version["changes"] = diff(before, version["item"]) if before else {}
        before = version["item"]
    summary = {
        "url": item["url"],
        "alternates": item.get("alternates") or [],
        "first_seen": history.first_seen,
        "last_seen": history.last_seen,
        "revisions": history.revisions,
    }
    return summary, versions


def run(args: argparse.Namespace) -> int:
    summary, versions = _versions(args.url, resolve_index(args))
    if args.json:
        print(json_line({**summary, "versions": versions}))
        return 0
    print(clean(summary["url"]))
    for alternate in summary["alternates"]:
        print(f"  also at {clean(alternate)}")
    print(
        f"first seen {clean(summary['first_seen'])}, last seen {clean(summary['last_seen'])}, "
        f"{summary['revisions']} version(s)"
    )
    for version in versions:
        item = version["item"]
        print()
        print(
            f"version {version['version']}  crawled {clean(version['crawled_at'])}"
            f"  body sha256 {clean((version['content_hash'] or '-')[:12])}"
        )
        print(f"  {clean(item.get('headline'))}")
        if item.get("byline"):
            print(f"  {clean(item['byline'])}")
        for part, lines in version["changes"].items():
            print(f"  {part} changed:")
            for line in lines:
                print(f"    {clean(line)}")
    return 0
