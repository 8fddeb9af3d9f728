"""Section front parser: which articles a front shows, in what order, with its headline and summary.

Pure: takes the page (bytes or str) and its URL, returns plain dataclasses. Knows both templates:

- the collection template (2021 on): a JSON-LD `CollectionPage` whose `mainEntity` is an
  `ItemList`, the highlights block `section#collection-highlights-container` and the latest stream
  `section#stream-panel`;
- legacy fronts (up to 2018): `section.highlights article.story` and `#latest-panel article.story`;

and any other `<article>` story card (embedded collections such as "More in Opinion").

Every article link the front shows is kept, including stories promoted from other sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsel import Selector

from newsbot.parsers.common import json_types, read_json_ld
from newsbot.urls import canonical_article_url, is_discoverable_article, join_url, request_url


@dataclass
class FrontEntry:
    rank: int  # 1-based position on the front (JSON-LD order first, then page order)
    url: str  # the URL to request: tracking parameters stripped, https www host
    canonical_url: str  # the article's canonical URL (no query)
    headline: str | None  # as shown on the front
    summary: str | None  # as shown on the front
    block: str  # where it was first seen: jsonld, highlights, stream, legacy-highlights, ...


_WS = re.compile(r"\s+")


def _text(sel: Selector | None) -> str | None:
    if sel is None:
        return None
    text = _WS.sub(" ", " ".join(sel.xpath(".//text()").getall())).strip()
    return text or None


def _jsonld_urls(page: Selector) -> list[str]:
    """Item URLs of the CollectionPage's ItemList, by `position`. An entry that is not an
    object with a URL (a string, a number, an `item` that is not an object) is skipped alone."""
    scripts = [script.root for script in page.css("script")]
    found: list[tuple[int, int, str]] = []
    for n, block in enumerate(read_json_ld(scripts)):
        main = block.get("mainEntity")
        if not isinstance(main, dict) or "ItemList" not in json_types(main):
            continue
        elements = main.get("itemListElement")
        for i, element in enumerate(elements if isinstance(elements, list) else []):
            url = _entry_url(element)
            if url is not None:
                position = element.get("position")
                pos = position if type(position) is int else 10_000 + i
                found.append((n, pos, url))
    return [url for _, _, url in sorted(found)]


def _entry_url(element: object) -> str | None:
    if not isinstance(element, dict):
        return None
    item = element.get("item")
    url = element.get("url") or (item.get("url") if isinstance(item, dict) else None)
    return url if isinstance(url, str) else None


def _href(link: Selector) -> str:
    # Not `link.attrib`: it copies every attribute, and lxml refuses to read an attribute
    # whose name holds a control byte, so one such attribute would lose the whole front.
    return link.root.get("href") or ""


def _first(sel: Selector, *queries: str) -> Selector | None:
    for query in queries:
        hit = sel.css(query)
        if hit:
            return hit[0]
    return None


def _cards(page: Selector) -> list[tuple[str, str, str | None, str | None]]:
    """(block, href, headline, summary) for every story card, in page order."""
    cards: list[tuple[str, str, str | None, str | None]] = []
    # Collection template, highlights: nested <ol>s hold <article>s with an h2 > a.
    for art in page.css("section#collection-highlights-container article"):
        link = _first(art, "h2 a[href]", "h3 a[href]", "a[href]")
        if link is None:
            continue
        headline = _text(_first(art, "h2 a", "h2", "h3 a"))
        cards.append(("highlights", _href(link), headline, _text(_first(art, "p"))))
    # Collection template, latest stream: one <li> per story, the whole card inside one <a>.
    for li in page.css("section#stream-panel ol > li"):
        link = _first(li, "a[href]")
        if link is None:
            continue
        headline = _text(_first(li, "h2", "h3"))
        summary = _text(_first(li, "p:not(.byline)"))
        cards.append(("stream", _href(link), headline, summary))
    # Legacy fronts (<= 2018).
    for block, query in (
        ("legacy-highlights", "section.highlights article.story"),
        ("legacy-latest", "#latest-panel article.story"),
    ):
        for art in page.css(query):
            link = _first(art, "h2 a[href]", "h3 a[href]", "a[href]")
            if link is None:
                continue
            headline = _text(_first(art, "h2 a", "h2", "h3"))
            cards.append((block, _href(link), headline, _text(_first(art, "p.summary"))))
    # Any other story card (embedded collections such as "More in Opinion", package blocks):
    # an <article> whose heading links somewhere. The blocks above come first, so their reading
    # of a card wins; these add the cards no named block holds.
    for art in page.css("article"):
        link = _first(art, "h2 a[href]", "h3 a[href]", "h4 a[href]", "a[href]")
        if link is None:
            continue
        headline = _text(_first(art, "h2 a", "h3 a", "h4 a", "h2", "h3"))
        cards.append(("collection", _href(link), headline, _text(_first(art, "p"))))
    return cards


def parse_front(page: bytes | str, url: str) -> list[FrontEntry]:
    """The articles the front at `url` shows, deduplicated by canonical URL, ranked.

    Never raises for what the page holds: an unreadable page shows no articles, and a link or
    list entry that cannot be read costs only that link or entry."""
    text = page.decode("utf-8", "replace") if isinstance(page, bytes) else page
    sel = Selector(text=text, base_url=url)
    base = join_url(url, sel.css("base::attr(href)").get() or "") or url

    entries: dict[str, FrontEntry] = {}

    def add(href: str, block: str, headline: str | None, summary: str | None) -> None:
        absolute = join_url(base, href.strip())
        if absolute is None or not is_discoverable_article(absolute):
            return
        canonical = canonical_article_url(absolute)
        entry = entries.get(canonical)
        if entry is None:
            entries[canonical] = FrontEntry(
                rank=len(entries) + 1,
                url=request_url(absolute),
                canonical_url=canonical,
                headline=headline,
                summary=summary,
                block=block,
            )
            return
        # Seen before (JSON-LD lists URLs only): fill in what the card shows.
        entry.headline = entry.headline or headline
        entry.summary = entry.summary or summary

    for href in _jsonld_urls(sel):
        add(href, "jsonld", None, None)
    cards = _cards(sel)
    for block, href, headline, summary in cards:
        add(href, block, headline, summary)
    if not entries and not cards:
        # An unknown template: better every article link on the page than nothing.
        for link in sel.css("main a[href], body a[href]"):
            add(_href(link), "links", _text(link), None)
    return list(entries.values())
