"""README is the user's manual: it must name every command, option, setting and item field."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from newsbot.cli import build_parser
from newsbot.items import ARTICLE_FIELDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        max(action.option_strings, key=len)
        for action in parser._actions
        if action.option_strings and "--help" not in action.option_strings
    ]


def test_readme_has_the_two_quickstart_commands() -> None:
    assert "python3 dev.py demo" in README
    assert "python3 dev.py test" in README


def test_ci_runs_the_readme_test_command() -> None:
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_readme_documents_command_and_options(name: str) -> None:
    assert f"### `newsbot {name}" in README, f"README has no section for `newsbot {name}`"
    section = README.split(f"### `newsbot {name}")[1].split("\n### ")[0]
    # Options every command shares are documented once, before the first command's section.
    shared = README.split("## The `newsbot` command")[1].split("\n### ")[0]
    for option in _options(_subcommands()[name]):
        assert f"`{option}" in section + shared, f"README's `newsbot {name}` lacks {option}"


def test_every_command_has_help_with_an_example() -> None:
    for name, parser in _subcommands().items():
        assert parser.description, name
        assert "example:" in (parser.epilog or ""), name


def _settings_in_code() -> set[str]:
    pattern = re.compile(r"\bNEWSBOT_[A-Z0-9_]*[A-Z0-9]\b")
    names: set[str] = set()
    for path in (ROOT / "newsbot").rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def test_readme_documents_every_setting() -> None:
    missing = sorted(name for name in _settings_in_code() if f"`{name}`" not in README)
    assert not missing, f"settings missing from README: {missing}"


def test_readme_documents_every_item_field() -> None:
    missing = [name for name in ARTICLE_FIELDS if f"`{name}`" not in README]
    assert not missing, f"item fields missing from README: {missing}"
