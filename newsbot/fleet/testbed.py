"""A test bed for the fleet's tests and benchmark: a synthetic mirror of several sections, a
server that answers it slowly, and a private redis-server.

Every word is generated here (seeded, so the same arguments give the same bytes); the markup
follows the shapes the parsers read (a collection front with a JSON-LD ItemList, articles with
JSON-LD NewsArticle and an articleBody section). `SlowSiteServer` serves it with a latency per
response and remembers when each request arrived, to measure the rate a host sees.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from newsbot.devserver import SampleSiteServer
from newsbot.sites import SECTIONS

ROBOTS = "User-agent: *\nDisallow: /private/\n"
_SYLLABLES = ("ka", "lo", "mi", "ren", "tu", "sa", "vel", "or", "din", "pa", "que", "ston", "ar")


def _words(rng: random.Random, count: int) -> str:
    return " ".join(
        "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(count)
    )


def _article(url: str, headline: str, section: str, day: int, rng: random.Random) -> str:
    published = f"2024-03-{day:02d}T10:00:00.000Z"
    paragraphs = "".join(f"<p>{_words(rng, 40).capitalize()}.</p>" for _ in range(4))
    jsonld = {
        "@context": "http://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": published,
        "dateModified": published,
        "url": url,
        "author": [{"@type": "Person", "name": "Fleet Reporter"}],
        "articleSection": "World",
    }
    return f"""<!DOCTYPE html><html lang="en"><head><title>{headline} - The New York Times</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="{headline}">
<meta name="description" content="A made-up story from the {section} mirror.">
<meta property="article:published" content="{published}">
<meta property="article:section" content="World">
<meta name="byl" content="By Fleet Reporter">
<script type="application/ld+json">{json.dumps(jsonld)}</script>
</head><body><main id="site-content"><article id="story"><header><h1>{headline}</h1></header>
<section name="articleBody"><div class="StoryBodyCompanionColumn"><div>{paragraphs}</div></div>
</section></article></main></body></html>"""


def _front(section_path: str, urls: list[str]) -> str:
    items = [{"@type": "ListItem", "url": u, "position": n} for n, u in enumerate(urls, 1)]
    jsonld = {
        "@context": "http://schema.org",
        "@type": "CollectionPage",
        "url": f"https://www.nytimes.com/section/{section_path}",
        "mainEntity": {"@type": "ItemList", "itemListElement": items},
    }
    cards = "".join(f'<li><article><h2><a href="{u}">Story</a></h2></article></li>' for u in urls)
    return f"""<!DOCTYPE html><html lang="en"><head><title>{section_path}</title>
<script type="application/ld+json">{json.dumps(jsonld)}</script></head>
<body><section id="stream-panel"><ol>{cards}</ol></section></body></html>"""


def write_mirror(root: Path, sections: list[str], per_section: int, seed: int = 16) -> list[str]:
    """Write fronts and `per_section` articles for each named section; return the article URLs."""
    rng = random.Random(seed)
    (root / "robots.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_text(ROBOTS, encoding="utf-8")
    every: list[str] = []
    for name in sections:
        path = SECTIONS[name].path
        urls = []
        for n in range(per_section):
            day = 1 + n % 28
            slug = f"{name}-story-{n:04d}"
            rel = f"2024/03/{day:02d}/{path}/{slug}.html"
            url = f"https://www.nytimes.com/{rel}"
            page = root / rel
            page.parent.mkdir(parents=True, exist_ok=True)
            headline = f"{name.capitalize()} story {n}: {_words(rng, 4)}"
            page.write_text(_article(url, headline, name, day, rng), encoding="utf-8")
            urls.append(url)
        front = root / "section" / path / "index.html"
        front.parent.mkdir(parents=True, exist_ok=True)
        front.write_text(_front(path, urls), encoding="utf-8")
        every += urls
    return every


class SlowSiteServer(SampleSiteServer):
    """The sample-site server, answering each request after `latency` seconds (a (low, high)
    range), and keeping each request's arrival time."""

    def __init__(self, root: Path, latency: tuple[float, float] = (0.0, 0.0)) -> None:
        super().__init__(root=root, port=0)
        self.latency = latency
        self._arrivals: list[float] = []
        self._arrivals_lock = threading.Lock()

    def _answer(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        with self._arrivals_lock:
            self._arrivals.append(time.monotonic())
        low, high = self.latency
        if high > 0:
            time.sleep(random.uniform(low, high))
        return super()._answer(raw_path)

    def arrivals(self) -> list[float]:
        with self._arrivals_lock:
            return list(self._arrivals)


@contextmanager
def local_redis(directory: Path) -> Iterator[str]:
    """A private redis-server on a Unix socket in `directory` (no persistence); yields its
    unix:// URL and stops the server afterwards. FileNotFoundError when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install -y redis-server)")
    directory.mkdir(parents=True, exist_ok=True)
    sock = directory / "redis.sock"
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"unix://{sock}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)
