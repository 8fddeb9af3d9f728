"""`newsbot history`: the versions of one article the crawls have seen, and what changed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from newsbot.cli import add_index_argument, add_url_argument, resolve_index
from newsbot.errors import NewsbotError
from newsbot.search.history import History, changed_fields, diff, find, timeline
from newsbot.search.searcher import open_searcher
from newsbot.terminal import clean, json_line

NAME = "history"
HELP = "show the versions of an article seen by successive crawls, with a diff between them"
EXAMPLE = (
    "newsbot history https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html --json"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_url_argument(parser)
    add_index_argument(parser)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object with every version"
    )


def _versions(url: str, index_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    wanted = url  # already canonical: see cli.article_url
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
    for version in versions:
        version["parser_changes"] = _parser_changes(history, version, versions)
    summary = {
        "url": item["url"],
        "alternates": item.get("alternates") or [],
        "first_seen": history.first_seen,
        "last_seen": history.last_seen,
        "revisions": history.revisions,
    }
    return summary, versions


def _parser_changes(
    history: History, version: dict[str, Any], versions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The re-extractions of one version, each with what the new parser changed."""
    entries = [c for c in history.parser_changes if c.get("version_since") == version["crawled_at"]]
    changes = []
    for number, entry in enumerate(entries):
        after = entries[number + 1]["item"] if number + 1 < len(entries) else version["item"]
        changes.append(
            {
                "at": entry["at"],
                "parser_version": entry.get("parser_version"),
                "previous_parser_version": entry.get("previous_parser_version"),
                "fields": changed_fields(entry["item"], after),
                "changes": diff(entry["item"], after),
            }
        )
    return changes


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
        _print_changes(version["changes"], "  ")
        for change in version["parser_changes"]:
            was = clean(change["previous_parser_version"])
            print(
                f"  re-extracted {clean(change['at'])} by parser {clean(change['parser_version'])}"
                f" (was {was}): a parser change, not a revision"
            )
            print(f"    fields: {clean(', '.join(change['fields']))}")
            _print_changes(change["changes"], "    ")
    return 0


def _print_changes(changes: dict[str, list[str]], indent: str) -> None:
    for part, lines in changes.items():
        print(f"{indent}{part} changed:")
        for line in lines:
            print(f"{indent}  {clean(line)}")
