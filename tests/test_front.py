"""Section front parser on fixtures written in the collection (2021+) and legacy (<=2018) shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbot.parsers.front import parse_front

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
FRONT_URL = "https://www.nytimes.com/section/world/americas"
SITE = "https://www.nytimes.com"


def collection_front() -> bytes:
    return (FIXTURES / "site" / "section" / "world" / "americas" / "index.html").read_bytes()


def test_collection_front_links_in_rank_order() -> None:
    entries = parse_front(collection_front(), FRONT_URL)
    assert [e.canonical_url.removeprefix(SITE) for e in entries] == [
        # JSON-LD ItemList order first ...
        "/2026/01/05/world/americas/andes-glacier-survey.html",
        "/2026/01/05/world/americas/river-ferry-returns.html",
        "/2026/01/04/us/politics/budget-talks-stall.html",  # promoted from another section
        # ... then the stream in page order; video and author links are not articles.
        "/2026/01/04/world/americas/coffee-harvest-rains.html",
        "/2026/01/03/world/americas/border-market-night.html",
        "/2026/01/02/world/americas/moved-story.html",
        "/2026/01/01/world/americas/missing-page.html",
        "/2026/01/01/world/americas/private-draft.html",
    ]
    assert [e.rank for e in entries] == list(range(1, 9))


def test_links_are_cleaned_for_requesting() -> None:
    by_url = {
        e.canonical_url.removeprefix(SITE): e for e in parse_front(collection_front(), FRONT_URL)
    }
    # Relative with click-tracking; absolute without www. and with share parameters; ../ relative
    # with a fragment: all become plain https://www URLs.
    for path in (
        "/2026/01/05/world/americas/andes-glacier-survey.html",
        "/2026/01/04/world/americas/coffee-harvest-rains.html",
        "/2026/01/03/world/americas/border-market-night.html",
        "/2026/01/04/us/politics/budget-talks-stall.html",
    ):
        assert by_url[path].url == SITE + path


def test_headline_and_summary_as_shown_on_the_front() -> None:
    entries = {
        e.canonical_url.rsplit("/", 1)[-1]: e for e in parse_front(collection_front(), FRONT_URL)
    }
    glacier = entries["andes-glacier-survey.html"]
    assert glacier.headline == "Volunteers Measure a Glacier\u2019s Retreat"
    assert glacier.summary == "The ice edge moved uphill again, a survey team found."
    assert glacier.block == "jsonld"
    coffee = entries["coffee-harvest-rains.html"]
    assert (coffee.headline, coffee.summary, coffee.block) == (
        "Coffee Pickers Wait Out the Rain",
        "Wet slopes have slowed the harvest.",
        "stream",
    )
    assert entries["border-market-night.html"].headline == "Night Market on the Border Road"


def test_legacy_front() -> None:
    page = (FIXTURES / "front-legacy.html").read_text(encoding="utf-8")
    entries = parse_front(page, FRONT_URL)
    assert [(e.rank, e.url.removeprefix(SITE), e.block) for e in entries] == [
        (1, "/2017/03/02/world/americas/lake-levels-drop.html", "legacy-highlights"),
        (2, "/2017/03/01/world/americas/port-strike-ends.html", "legacy-highlights"),
        (3, "/2017/02/28/world/canada/snow-festival.html", "legacy-latest"),
    ]
    assert entries[0].headline == "Lake Levels Drop Across the Plateau"
    assert entries[0].summary == "Farmers have moved their herds to higher pasture."
    # The first card seen wins; a repeat in the latest panel does not change it.
    assert entries[1].headline == "Port Strike Ends After Nine Days"


def test_unknown_template_falls_back_to_article_links() -> None:
    page = """<html><body><main>
      <a href="/2026/02/01/world/americas/one.html?smid=url-share">One</a>
      <a href="/section/world">World</a>
      <a href="https://www.nytimes.com/2026/02/01/world/americas/one.html">One again</a>
    </main></body></html>"""
    entries = parse_front(page, FRONT_URL)
    assert [(e.url, e.headline, e.block) for e in entries] == [
        (f"{SITE}/2026/02/01/world/americas/one.html", "One", "links")
    ]


def test_broken_jsonld_and_empty_page() -> None:
    page = '<html><head><script type="application/ld+json">{not json</script></head></html>'
    assert parse_front(page, FRONT_URL) == []
    assert parse_front(b"", FRONT_URL) == []


def test_embedded_collection_cards_fill_in_headlines() -> None:
    # JSON-LD lists the story; its card sits in another collection block ("More in Opinion").
    page = """<html><head><script type="application/ld+json">
      {"@type":"CollectionPage","mainEntity":{"@type":"ItemList","itemListElement":[
        {"@type":"ListItem","url":"https://www.nytimes.com/2026/02/02/opinion/tea.html",
         "position":1}]}}</script></head>
      <body><main><section><header><h2>More in Opinion</h2></header><ol><li><article>
        <h2><span itemprop="name">A. Writer</span></h2>
        <h2><a href="/2026/02/02/opinion/tea.html">Why Tea Beats Coffee</a></h2>
        <p>An argument in three cups.</p>
      </article></li></ol></section></main></body></html>"""
    [entry] = parse_front(page, FRONT_URL)
    assert (entry.headline, entry.summary, entry.block) == (
        "Why Tea Beats Coffee",
        "An argument in three cups.",
        "jsonld",
    )


def _front(json_ld: object, cards: str = "") -> str:
    block = json.dumps(json_ld) if not isinstance(json_ld, str) else json_ld
    return (
        f'<html><head><script type="application/ld+json">{block}</script></head>'
        f"<body><main>{cards}</main></body></html>"
    )


def _item_list(*entries: object) -> dict:
    return {
        "@type": "CollectionPage",
        "mainEntity": {"@type": "ItemList", "itemListElement": list(entries)},
    }


def _paths(page: str) -> list[str]:
    return [e.url.removeprefix(SITE) for e in parse_front(page, FRONT_URL)]


A = "/2026/02/01/world/americas/a.html"
B = "/2026/02/01/world/americas/b.html"
CARD_B = f'<article><h2><a href="{B}">B</a></h2></article>'


@pytest.mark.parametrize("bad", ["a string", 7, 2.5, True, None, [], {"item": "a string"}])
def test_a_bad_item_list_entry_costs_only_that_entry(bad: object) -> None:
    # A string or a number in itemListElement raised AttributeError/TypeError and lost the
    # whole front, with every article found only there.
    page = _front(_item_list(bad, {"url": SITE + A, "position": 1}), CARD_B)
    assert _paths(page) == [A, B]


@pytest.mark.parametrize("elements", [7, "a string", {"url": SITE + A}, None])
def test_an_item_list_that_is_not_a_list_costs_only_the_list(elements: object) -> None:
    page = _front({"@type": "CollectionPage", "mainEntity": {"@type": "ItemList",
                   "itemListElement": elements}}, CARD_B)  # fmt: skip
    assert _paths(page) == [B]


def test_an_item_list_typed_by_a_list() -> None:
    page = _front({"mainEntity": {"@type": ["ItemList", {"x": 1}], "itemListElement": [
        {"item": {"url": SITE + A}}]}})  # fmt: skip
    assert _paths(page) == [A]


def test_json_ld_nested_100k_deep_costs_only_that_block() -> None:
    assert _paths(_front("[" * 100_000 + "]" * 100_000, CARD_B)) == [B]


@pytest.mark.parametrize(
    "href",
    [
        "http://[::1/2026/02/01/world/americas/x.html",
        "https://[www.nytimes.com]/2026/02/01/world/americas/x.html",
        "https://www.nytimes.com:99999/2026/02/01/world/americas/x.html",
    ],
)
def test_a_bad_host_in_a_link_costs_only_that_link(href: str) -> None:
    cards = f'<article><h2><a href="{href}">X</a></h2></article>{CARD_B}'
    page = _front(_item_list({"url": href}, {"url": SITE + A}), cards)
    assert _paths(page) == [A, B]
    assert _paths(page.replace("<head>", f'<head><base href="{href}">')) == [A, B]


def test_a_control_byte_in_an_attribute_name_costs_nothing() -> None:
    # lxml refuses to read such a name back; copying a link's attributes raised ValueError.
    card = f'<article><h2><a x\x01y="1" href="{B}">B</a></h2></article>'
    assert _paths(_front(_item_list(), card)) == [B]
