"""Every `newsbot search` example in README.md finds articles in the demo archive (the bundled
sample site, crawled), so a newcomer who copies one sees what it does."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from newsbot.cli import main
from newsbot.devserver import SampleSiteServer, local_crawl_command

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def search_examples() -> list[str]:
    """`newsbot search …` lines of README's shell blocks, and inline `newsbot search …` code."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if re.match(r"^(?:\S*/)?newsbot search ", line):
                found.append(line)
    # Inline code such as `newsbot search "dockworkers strike"`; not `newsbot search QUERY` or
    # `newsbot search --json`, which name the command and an option.
    for inline in re.findall(r"`(newsbot search [^`]+)`", README):
        first = shlex.split(inline)[2]
        if not first.startswith("-") and not first.isupper():
            found.append(inline)
    return list(dict.fromkeys(found))


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("demo")
    with SampleSiteServer() as server:
        command = local_crawl_command(server.url, where / "index", where / "feed.jsonl")
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return where / "index"


def test_readme_has_search_examples() -> None:
    assert len(search_examples()) >= 4


@pytest.mark.parametrize("example", search_examples())
def test_every_search_example_finds_articles_in_the_demo_archive(
    example: str, demo_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = shlex.split(example)[1:]
    # The same search as JSON Lines, whatever format the example shows, so hits can be counted.
    argv = [a for a in argv if a != "--json"]
    if "--format" in argv:
        at = argv.index("--format")
        del argv[at : at + 2]
    assert main([*argv, "--index", str(demo_index), "--json"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [hit for hit in hits if "url" in hit], f"README's `{example}` finds nothing"
