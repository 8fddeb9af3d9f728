"""A synthetic, deterministic news corpus for the search benchmarks.

Articles have the crawl feed's item shape, 800-1,200 body words drawn from a Zipf-like
vocabulary (word of rank r has weight 1/r), so term frequencies look like real text: a few
very common words, a long tail of rare ones. The same seed and size always give the same
bytes, so numbers from different runs and different Whoosh forks compare like for like.

    python bench/corpus.py --docs 1000 -o /tmp/corpus.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SEED = 20170125
VOCABULARY_SIZE = 40_000
_ONSETS = (
    "b",
    "br",
    "c",
    "ch",
    "d",
    "f",
    "g",
    "gr",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "pr",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "w",
    "z",
)
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou")
_CODAS = ("", "", "n", "r", "l", "s", "m", "nd", "st")
SECTIONS = (
    ("World", "Americas"),
    ("World", "Europe"),
    ("World", "Asia"),
    ("U.S.", None),
    ("Business", None),
    ("Opinion", None),
)
FIRST_NAMES = (
    "Kirk",
    "Azam",
    "Simon",
    "Ian",
    "Nicholas",
    "Alison",
    "Elisabeth",
    "Ernesto",
    "Paulina",
    "Randal",
    "Anatoly",
    "Hannah",
    "Motoko",
    "Steven",
    "Julie",
)
LAST_NAMES = (
    "Semple",
    "Ahmed",
    "Romero",
    "Austen",
    "Casey",
    "Smale",
    "Malkin",
    "Londono",
    "Villegas",
    "Archibold",
    "Kurmanaev",
    "Beech",
    "Rich",
    "Erlanger",
    "Turkewitz",
)
START = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = int(dt.timedelta(days=6 * 365).total_seconds())


def vocabulary(size: int = VOCABULARY_SIZE, seed: int = SEED) -> list[str]:
    """`size` distinct pronounceable words, most frequent first.

    Shorter words get the higher ranks, as in real language, so the average word is about as
    long as in English news text.
    """
    rng = random.Random(seed)
    words: dict[str, None] = {}
    while len(words) < size:
        syllables = rng.choice((1, 2, 2, 2, 3, 3))
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        words.setdefault(word, None)
    return sorted(words, key=len)


class Corpus:
    """Generates articles; article i is the same for a given seed whatever else is generated."""

    def __init__(self, seed: int = SEED) -> None:
        self.seed = seed
        self.words = vocabulary(seed=seed)
        self.cumulative = list(
            itertools.accumulate(1 / rank for rank in range(1, len(self.words) + 1))
        )
        self.authors = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]

    def _text(self, rng: random.Random, count: int) -> str:
        return " ".join(rng.choices(self.words, cum_weights=self.cumulative, k=count))

    def _body(self, rng: random.Random) -> str:
        remaining = rng.randint(800, 1200)
        paragraphs = []
        while remaining > 0:
            length = min(remaining, rng.randint(40, 120))
            remaining -= length
            paragraphs.append(self._text(rng, length).capitalize() + ".")
        return "\n\n".join(paragraphs)

    def article(self, number: int) -> dict[str, Any]:
        rng = random.Random(self.seed * 1_000_003 + number)
        published = START + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS))
        section, subsection = rng.choice(SECTIONS)
        authors = rng.sample(self.authors, rng.choice((1, 1, 1, 2)))
        body = self._body(rng)
        slug = "-".join(self._text(rng, 4).split())
        url = f"https://www.nytimes.com/{published:%Y/%m/%d}/world/{slug}-{number}.html"
        return {
            "url": url,
            "source_url": url,
            "headline": self._text(rng, rng.randint(6, 12)).title(),
            "summary": self._text(rng, rng.randint(15, 30)).capitalize() + ".",
            "section": section,
            "subsection": subsection,
            "authors": authors,
            "byline": "By " + " and ".join(authors),
            "published": published.isoformat(),
            "published_raw": published.isoformat(),
            "published_source": "jsonld",
            "modified": None,
            "body": body,
            "captions": [
                {
                    "text": self._text(rng, rng.randint(8, 16)).capitalize() + ".",
                    "credit": rng.choice(("Associated Press", "Reuters", "The New York Times")),
                    "image_url": f"https://static01.nyt.com/images/{number}.jpg",
                }
            ],
            "tags": self._text(rng, 3).split(),
            "language": "en",
            "word_count": len(body.split()),
            "kind": "article",
            "short_url": None,
            "translations": {},
            "is_free": False,
            "crawled_at": (published + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "content_hash": None,
            "alternates": [],
            "near_duplicate_of": None,
        }

    def articles(self, count: int) -> Iterator[dict[str, Any]]:
        return (self.article(number) for number in range(count))


def raw_text_bytes(item: dict[str, Any]) -> int:
    """UTF-8 bytes of the searchable text: what a reader would call the article's text."""
    parts = [item["headline"], item["summary"] or "", item["body"]]
    parts += [c["text"] for c in item["captions"]]
    return sum(len(p.encode("utf-8")) for p in parts)


def write_feed(path: Path, count: int, seed: int = SEED) -> int:
    """Write `count` articles as a JSON Lines feed; return the raw text bytes."""
    corpus = Corpus(seed)
    raw = 0
    with path.open("w", encoding="utf-8") as handle:
        for item in corpus.articles(count):
            raw += raw_text_bytes(item)
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return raw


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="number of articles")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("-o", "--output", type=Path, required=True, help="feed file to write")
    args = parser.parse_args()
    raw = write_feed(args.output, args.docs, args.seed)
    print(f"wrote {args.docs} articles, {raw:,} bytes of text, to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
