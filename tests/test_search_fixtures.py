"""A small hand-made archive shared by the search, export, reindex and stats tests.

Built in tmp_path from items through `item_to_document`, exactly as the crawl's pipeline does,
so these tests need no crawl.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from whoosh import index

from newsbot.cli import main
from newsbot.items import ARTICLE_FIELDS
from newsbot.search.schema import SCHEMA, item_to_document, open_writer


def make_item(slug: str, headline: str, published: str, body: str, **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {name: None for name in ARTICLE_FIELDS}
    item.update(authors=[], captions=[], tags=[], alternates=[], translations={})
    item.update(
        url=f"https://www.nytimes.com/{published[:10].replace('-', '/')}/world/{slug}.html",
        headline=headline,
        published=published,
        body=body,
        section="World",
        subsection="Americas",
        language="en",
        word_count=len(body.split()),
        crawled_at="2017-03-01T10:00:00Z",
    )
    item.update(fields)
    return item


ARTICLES: list[dict[str, Any]] = [
    make_item(
        "border-wall",
        "Trump Orders Wall Built on Mexican Border",
        "2017-01-25T17:00:00+00:00",
        "President Trump signed an order to build a wall along the border with Mexico.\n\n"
        "Officials in Mexico City reacted with anger to the report.",
        summary="The executive order fulfils a campaign promise.",
        authors=["Kirk Semple"],
        byline="By Kirk Semple",
        captions=[
            {
                "text": "A border fence near Tijuana.",
                "credit": "Associated Press",
                "image_url": None,
            }
        ],
    ),
    make_item(
        "mexico-meeting",
        "Mexico's President Cancels Meeting With Trump",
        "2017-01-26T15:00:00-05:00",
        "Enrique Peña Nieto cancelled a visit to Washington after the wall order. "
        "The report said talks would continue.",
        authors=["Azam Ahmed", "Kirk Semple"],
        byline="By Azam Ahmed and Kirk Semple",
        captions=[{"text": "The presidential palace.", "credit": "Reuters", "image_url": None}],
    ),
    make_item(
        "brazil-prison",
        "Brazil Prison Riot Leaves Dozens Dead",
        "2017-02-01T12:00:00+00:00",
        "A riot in a prison in northern Brazil left dozens dead, the report said. "
        "Officials blamed gang rivalries.",
        authors=["Simon Romero"],
        byline="By Simon Romero",
    ),
    make_item(
        "canada-election",
        "Canada Election Reform Abandoned",
        "2017-02-02T00:00:00+00:00",
        "The government abandoned its promise of electoral reform before the next election. "
        "Critics said the election promise was broken, according to a report.",
        authors=["Ian Austen"],
        byline="By Ian Austen",
        subsection="Canada",
    ),
    make_item(
        "venezuela-election",
        "Venezuela Delays Regional Election",
        "2017-01-01T00:00:00Z",
        "Venezuela's electoral council delayed the election again. A report blamed the economy.",
        authors=["Nicholas Casey"],
        byline="By Nicholas Casey",
    ),
    make_item(
        "europe-new-year",
        "Europe Greets the New Year Under Heavy Security",
        "2016-12-31T23:59:59+00:00",
        "Cities across Europe tightened security for New Year celebrations, a report said.",
        authors=["Alison Smale"],
        byline="By Alison Smale",
        subsection="Europe",
    ),
    make_item(
        "escape-sequences",
        "Hostile \x1b]0;pwned\x07Headline \x1b[31mIn Red",
        "2017-02-03T09:00:00+00:00",
        "Hostile text \x1b[2J with a \x9b31m wall of control bytes in the report body.",
        authors=["Mallory \x1b[5mBlink"],
        byline="By Mallory",
    ),
]


def build_index(directory: Path, items: list[dict[str, Any]] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    writer = open_writer(index.create_in(str(directory), SCHEMA))
    for item in ARTICLES if items is None else items:
        writer.add_document(**item_to_document(item))
    writer.commit()
    return directory


def write_feed(path: Path, items: list[dict[str, Any]], extra_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(item, ensure_ascii=False) for item in items]
    path.write_text("\n".join([*lines, *extra_lines]) + "\n", encoding="utf-8")
    return path


def cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    """Run `newsbot ARGV` in-process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# Few enough words that common ones appear in most documents, so their posting lists span many
# 128-posting blocks, and rare ones appear in a handful.
WORDS = [f"w{n}" for n in range(400)]


def generated_items(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    items = []
    for number in range(count):
        body_words = rng.choices(WORDS, weights, k=rng.randrange(20, 400))
        items.append(
            {
                "url": f"https://www.nytimes.com/2017/0{1 + number % 9}/01/world/a{number}.html",
                "headline": " ".join(rng.choices(WORDS, weights, k=6)),
                "summary": " ".join(rng.choices(WORDS, weights, k=15)),
                "body": " ".join(body_words),
                "authors": [rng.choice(["Ana Pérez", "Bo Li", "Kim Ode"])],
                "byline": None,
                "captions": [{"text": " ".join(rng.choices(WORDS, k=5)), "credit": "Agence"}],
                "section": rng.choice(["World", "Business"]),
                "subsection": "Americas",
                "published": f"2017-0{1 + number % 9}-01T12:00:00+00:00",
                "word_count": len(body_words),
            }
        )
    return items
