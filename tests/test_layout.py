"""The package layout the design fixes: Whoosh stays behind `newsbot.search`, the crawl's stores
(crawl state, de-duplication) behind `newsbot.state`."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "newsbot"


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def test_only_the_search_package_imports_whoosh() -> None:
    importers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(m == "whoosh" or m.startswith("whoosh.") for m in imported_modules(path))
    }
    assert importers, "the scan found no Whoosh import at all"
    assert {p for p in importers if not p.startswith("search/")} == set()


def test_the_crawls_stores_live_in_the_state_package() -> None:
    stores = {path.name for path in (PACKAGE / "state").glob("*.py")}
    assert {"crawlstate.py", "dedupe_store.py", "redis_backend.py"} <= stores
    assert not list((PACKAGE / "search").glob("*dedupe*"))
