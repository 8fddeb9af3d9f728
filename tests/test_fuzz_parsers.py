"""Fuzz the pure parsers and helpers with mutated copies of our own pages, fronts, feeds and
sitemaps, and check that only each one's documented exceptions escape.

    parse_article                      ParseError (NotAnArticle included)
    parse_front                        nothing: an unreadable front shows no articles
    parse_rss, parse_sitemap, gunzip   FeedError
    split_url, join_url, is_*_url,
    is_site_host, in_section           nothing
    canonical_article_url,
    request_url, strip_tracking        ValueError, and only for what split_url cannot read
    parse_datetime, iso_or_none,
    has_time                           nothing

What comes out must be usable too: every URL a parser returns can be requested and is in its
canonical form, and every date can go through the index's UTC conversion.

The inputs are the seed corpus (tests/fixtures and sample_site) stacked with one to three
mutations: truncations, byte flips, control bytes, splices from other documents, deep nesting,
absurd dates, bad URLs (IPv6 brackets, ports, control bytes, odd Unicode), bad JSON-LD shapes,
control bytes in attribute names, undeclared XML prefixes. Case `i` of a target comes from its
own `random.Random(f"{SEED}:{target}:{i}")`, so a failure names the case, and
`NEWSBOT_FUZZ_CASE=target:i` replays it alone. `NEWSBOT_FUZZ_ITERATIONS=N` runs N cases per
target instead of the suite's few thousand in all (a deep run; see docs/fuzzing.md).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import random
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fuzz_helpers import assert_no_crashes, case_numbers, run_case

from newsbot.dates import has_time, iso_or_none, isoformat, parse_datetime
from newsbot.parsers import ParseError, parse_article
from newsbot.parsers.feeds import FeedError, gunzip, parse_rss, parse_sitemap
from newsbot.parsers.front import parse_front
from newsbot.search.schema import item_to_document, utc_naive
from newsbot.urls import (
    canonical_article_url,
    in_section,
    is_article_url,
    is_discoverable_article,
    is_site_host,
    join_url,
    request_url,
    split_url,
    strip_tracking,
)

SEED = 20261201
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLE_SITE = ROOT / "sample_site"
SITE = "https://www.nytimes.com"
ARTICLE_URL = f"{SITE}/2021/06/11/world/americas/panama-canal-water-levels-ships.html"
FRONT_URL = f"{SITE}/section/world/americas"
RSS_URL = "https://rss.nytimes.com/services/xml/rss/nyt/Americas.xml"
SITEMAP_URL = f"{SITE}/sitemaps/new/news.xml.gz"

# Cases per target in the suite: about 9,000 inputs in all, a few seconds on a laptop.
SUITE_CASES = {
    "article": 1500,
    "front": 800,
    "rss": 900,
    "sitemap": 900,
    "gunzip": 400,
    "url": 2500,
    "date": 2500,
}


# --- the triggers the fuzzing of real pages found, one by one ------------------------------------

REACT = FIXTURES / "articles" / "react.html"
REACT_URL = f"{SITE}/2019/10/03/business/economy/lighthouse-keepers.html"


def react_with(head: str = "", replace: tuple[str, str] = ("", "")) -> dict[str, Any]:
    page = REACT.read_text(encoding="utf-8").replace(*replace).replace("<head>", "<head>" + head)
    item = parse_article(page, REACT_URL)
    item_to_document(dict(item))  # what the index makes of it must not raise either
    return dict(item)


def ld(block: object) -> str:
    text = block if isinstance(block, str) else json.dumps(block)
    return f'<script type="application/ld+json">{text}</script>'


def test_a_type_list_holding_an_object() -> None:
    # json_types raised TypeError (an object is unhashable) and the article was lost.
    item = react_with(ld({"@type": [{"@id": "#x"}, "NewsArticle"], "datePublished": "2019-10-03"}))
    assert item["headline"] == "The Lighthouse Keepers Who Refuse to Retire"
    assert item["published"] == "2019-10-03T09:00:12+00:00"  # the meta states a time


def test_json_ld_nested_100k_deep() -> None:
    # json.loads raised RecursionError and the article was lost.
    item = react_with(ld("[" * 100_000 + "]" * 100_000) + ld('{"@graph":' * 50_000 + "1"))
    assert item["url"] == REACT_URL


@pytest.mark.parametrize(
    "href",
    [
        "https://[www.nytimes.com/2019/10/03/business/economy/lighthouse-keepers.html",
        "https://www.nytimes.com:99999/2019/10/03/business/economy/lighthouse-keepers.html",
    ],
)
def test_a_bad_host_in_the_canonical_link(href: str) -> None:
    # urljoin raised ValueError and the article was lost; the next address source is used.
    item = react_with(
        replace=(f'rel="canonical" href="{REACT_URL}"', f'rel="canonical" href="{href}"')
    )
    assert item["url"] == REACT_URL
    bad_translation = f'<link rel="alternate" hreflang="es" href="{href}">'
    assert "es" not in react_with(bad_translation)["translations"]


@pytest.mark.parametrize("date", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_a_published_date_outside_the_calendar_in_utc(date: str) -> None:
    # It parsed, and then the index's UTC conversion raised OverflowError. Now it is no date,
    # and the page's next date source gives the publication time.
    item = react_with(ld({"@type": "NewsArticle", "datePublished": date}))
    assert (item["published"], item["published_source"]) == ("2019-10-03T09:00:12+00:00", "meta")


def test_a_control_byte_in_an_attribute_name() -> None:
    item = react_with('<meta x\x01y="1" name="byl" content="By Nobody">')
    assert item["authors"] == ["Corin Tallow", "Maeve Ostrander"]


@pytest.mark.parametrize("depth", [300, 1500])
def test_elements_nested_deeper_than_256(depth: int) -> None:
    # libxml2 stops parsing at 256 levels unless told otherwise: a deep widget before the story
    # made the whole article NotAnArticle. Up to its huge-tree limit (2048) the page is read, and
    # a caption nested that deep is read without recursion.
    nest = "<div>" * depth + "x" + "</div>" * depth
    caption = "Hollis Brack has kept the Saltmarsh Point light since 1981."
    deep_caption = "<span>" * depth + caption + "</span>" * depth
    item = react_with(replace=("<body>", "<body>" + nest))
    assert item["headline"] == "The Lighthouse Keepers Who Refuse to Retire"
    item = react_with(replace=(f'<span class="css-8i9d0s e13ogyst0">{caption}', deep_caption))
    assert item["captions"][0]["text"] == caption


@pytest.mark.parametrize("charset", ["idna", "undefined", "zlib"])
def test_a_charset_that_is_no_web_encoding(charset: str) -> None:
    # Bytes that are not UTF-8 are decoded by the charset the page declares; `idna` cannot
    # replace what it cannot read and `undefined` fails on anything: UnicodeError lost the page.
    page = REACT.read_bytes().replace(
        b'<meta charset="utf-8">', f'<meta charset="{charset}">'.encode()
    )
    item = parse_article(page.replace(b"Refuse", b"Refus\xe9"), REACT_URL)
    assert item["headline"] == "The Lighthouse Keepers Who Refus\u00e9 to Retire"


# --- the seed corpus ---------------------------------------------------------------------------


def _read(paths: list[Path]) -> list[bytes]:
    found = [path.read_bytes() for path in sorted(paths)]
    assert found, "the fuzz corpus is missing"
    return found


@cache
def corpus(kind: str) -> list[bytes]:
    pages = [*FIXTURES.rglob("*.html"), *SAMPLE_SITE.rglob("*.html")]
    fronts = [p for p in pages if "section" in p.parts or p.name.startswith("front")]
    if kind == "article":
        return _read([p for p in pages if p not in fronts])
    if kind == "front":
        return _read(fronts)
    xml = [*FIXTURES.rglob("*.xml"), *SAMPLE_SITE.rglob("*.xml")]
    if kind == "rss":
        return _read([p for p in xml if "rss" in p.parts])
    return _read([p for p in xml if "sitemaps" in p.parts])


# --- nasty values ------------------------------------------------------------------------------

BAD_URLS = [
    "http://[::1/2021/06/11/world/americas/x.html",
    "https://[www.nytimes.com]/2021/06/11/world/americas/x.html",
    "https://www.nytimes.com]/2021/06/11/world/americas/x.html",
    "https://[fe80::1%25eth0]/2021/06/11/world/x.html",
    "https://[::ffff:127.0.0.1]:443/2021/06/11/world/x.html",
    "https://www.nytimes.com:99999/2021/06/11/world/americas/x.html",
    "https://www.nytimes.com:-1/2021/06/11/world/americas/x.html",
    "https://www.nytimes.com:abc/2021/06/11/world/americas/x.html",
    "https://www.nytimes.com:443/2021/06/11/world/americas/x.html",
    "http://www.nytimes.com:80/2021/06/11/world/americas/x.html",
    "https://WWW.NYTIMES.COM./2021/06/11/world/americas/x.html",
    "https://user:pass@www.nytimes.com:443/2021/06/11/world/americas/x.html",
    "https://www.nytimes.com\x00/2021/06/11/world/americas/x.html",
    "https://www.nytimes.com/2021/06/11/world/americas/x\x01\x7f.html",
    "https://www.nytimes.com\uff0f2021/06/11/world/americas/x.html",
    "https://www.nytimes.com\u2100/2021/06/11/world/x.html",
    "https://xn--nytimes-.com/2021/06/11/world/x.html",
    "//www.nytimes.com/2021/06/11/world/americas/x.html",
    "///2021/06/11/world/americas/x.html",
    "javascript:alert(1)",
    "data:text/html,<b>x</b>",
    "https://",
    "https://:443",
    "http://127.0.0.1:0/2021/06/11/world/americas/x.html",
    "https://www.nytimes.com/2021/06/11/world/americas/x.html?%ff=%00&a=" + "b" * 3000,
    "https://www.nytimes.com/" + "a/" * 2000 + "x.html",
    "https://www.nytimes.com/2021/06/11/world/americas/%E2%80%AEx.html#frag[",
    "\t https://www.nytimes.com/2021/06/11/world/americas/x.html \n",
    "../../../../2021/06/11/world/americas/x.html",
    "",
]
BAD_DATES = [
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31",
    "0001-01-01",
    "0000-00-00T00:00:00Z",
    "Mon, 01 Jan 12345678901234567890 00:00:00 GMT",
    "Mon, 01 Jan 99999 00:00:00 +9999",
    "Mon, 99 Foo 2021 99:99:99 GMT",
    "Sun, 31 Dec 9999 23:59:59 -2359",
    "Mon, 1 Jan 0001 00:00:00 +2359",
    "20211301000000",
    "99991231235959",
    "00010101",
    "Feb. 30, 2021, 13:99 p.m. ET",
    "Sept. 99, 9999",
    "December 31, 9999, 11:59 p.m. ET",
    "2021-06-11T25:61:61Z",
    "2021-06-11T10:00:00+99:00",
    "2021-06-11T10:00:00.99999999999+05:30",
    "１２３４-０６-１１",
    "2021-06-11T10:00:00\x00Z",
    "-2021-06-11",
    "1" * 400,
    "",
]
ODD_BYTES = [
    b"\x00",
    b"\x01",
    b"\x0b",
    b"\x1b[31m",
    b"\x7f",
    b"\x80",
    b"\xc3",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    "\u202e".encode(),
    "\ufffe".encode(),
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"&#0;",
    b"&#xD800;",
    b"&#99999999;",
    b"&undefined;",
    b"<?xml version='1.0' encoding='bogus'?>",
    b'<meta charset="utf-16">',
    b"</html>",
    b"<script>",
    b"</script>",
]
ARTICLE_TYPES = ["NewsArticle", "CollectionPage", "ItemList", "LiveBlogPosting", "Person"]


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value: the shapes JSON-LD blocks take, and the ones they should not."""
    roll = rng.random()
    if depth > 4 or roll < 0.3:
        return rng.choice(
            [None, True, 0, -1, 2**70, 1e308, "", "x", rng.choice(BAD_URLS), rng.choice(BAD_DATES)]
        )
    if roll < 0.55:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = [
        "@type",
        "@graph",
        "url",
        "item",
        "position",
        "name",
        "headline",
        "datePublished",
        "dateModified",
        "author",
        "mainEntity",
        "mainEntityOfPage",
        "itemListElement",
        "keywords",
        "isAccessibleForFree",
        "description",
        "inLanguage",
    ]
    obj: dict[str, Any] = {k: _json_value(rng, depth + 1) for k in rng.sample(keys, 4)}
    if rng.random() < 0.5:
        obj["@type"] = rng.choice(
            [rng.choice(ARTICLE_TYPES), [rng.choice(ARTICLE_TYPES), {"@id": "x"}], [[]], 5]
        )
    return obj


def _json_ld(rng: random.Random) -> str:
    roll = rng.randrange(7)
    if roll == 0:
        depth = rng.choice([500, 5_000, 100_000])
        return rng.choice(["[", '{"@graph":']) * depth + "1" + rng.choice(["]", "}"]) * depth
    if roll == 1:
        deep: Any = {"@type": "NewsArticle"}
        for _ in range(rng.choice([200, 900, 3000])):
            deep = {"@graph": [deep]}
        try:
            return json.dumps(deep)
        except RecursionError:
            return "[" * 3000
    if roll == 2:
        entries = [
            rng.choice(
                [
                    "x",
                    5,
                    None,
                    [],
                    {"item": "s"},
                    {"url": 5},
                    {"url": rng.choice(BAD_URLS)},
                    {
                        "item": {"url": f"{SITE}/2021/06/01/world/americas/a.html"},
                        "position": rng.choice([1, "2", True, None, 2**80]),
                    },
                ]
            )
            for _ in range(rng.randrange(1, 8))
        ]
        main = {
            "@type": rng.choice(["ItemList", ["ItemList"], [{"a": 1}]]),
            "itemListElement": rng.choice([entries, 5, "s", {"url": "x"}]),
        }
        return json.dumps({"@type": "CollectionPage", "mainEntity": main})
    if roll == 3:
        return json.dumps(
            {
                "@type": [{"@id": "x"}, "NewsArticle"],
                "headline": "h",
                "datePublished": rng.choice(BAD_DATES),
            }
        )
    text = json.dumps(_json_value(rng))
    return text if roll < 6 else text[: rng.randrange(len(text) + 1)]


# --- mutations ---------------------------------------------------------------------------------

Mutation = Callable[[random.Random, bytes, list[bytes]], bytes]


def _at(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def _insert(rng: random.Random, data: bytes, piece: bytes) -> bytes:
    at = _at(rng, data)
    return data[:at] + piece + data[at:]


def truncate(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    return data[: _at(rng, data)]


def flip_bytes(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def odd_bytes(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    for _ in range(rng.randint(1, 4)):
        data = _insert(rng, data, rng.choice(ODD_BYTES))
    return data


def splice(rng: random.Random, data: bytes, others: list[bytes]) -> bytes:
    other = rng.choice(others)
    start = _at(rng, other)
    piece = other[start : start + rng.randrange(1, 4096)]
    return _insert(rng, data, piece)


def cut_or_repeat(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    start = _at(rng, data)
    end = min(len(data), start + rng.randrange(1, 2048))
    if rng.random() < 0.5:
        return data[:start] + data[end:]
    return data[:end] + data[start:end] * rng.randint(1, 20) + data[end:]


def deep_nesting(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    tag = rng.choice([b"div", b"span", b"figure", b"article", b"p", b"b", b"url", b"item"])
    depth = rng.choice([100, 300, 3000])
    return _insert(
        rng,
        data,
        b"<" + tag + b">" * depth
        if rng.random() < 0.5
        else (b"<" + tag + b">") * depth + b"x" + (b"</" + tag + b">") * depth,
    )


_VALUE = re.compile(
    rb"((?:href|src|srcset|content|datetime|data-url|itemid|value)=[\"'])([^\"']*)([\"'])"
)
_TEXT = re.compile(
    rb"(<(?:loc|link|guid|pubDate|lastmod|news:publication_date|time|title)[^>]*>)([^<]*)(<)"
)


def nasty_values(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    """Attribute values and element texts (URLs, dates) replaced by bad URLs and absurd dates."""

    def replace(match: re.Match[bytes]) -> bytes:
        if rng.random() > 0.3:
            return match.group()
        value = rng.choice(BAD_URLS + BAD_DATES).encode("utf-8", "surrogatepass")
        value = value.replace(b'"', b"").replace(b"'", b"").replace(b"<", b"")
        return match.group(1) + value + match.group(3)

    return _TEXT.sub(replace, _VALUE.sub(replace, data))


def json_ld_block(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    block = b'<script type="application/ld+json">' + _json_ld(rng).encode() + b"</script>"
    head = data.find(b"<head>")
    if head >= 0 and rng.random() < 0.7:
        return data[: head + 6] + block + data[head + 6 :]
    return _insert(rng, data, block)


def json_ld_values(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    """The page's own JSON-LD with some values swapped for random ones."""

    def mutate(value: Any, depth: int = 0) -> Any:
        if rng.random() < 0.15:
            return _json_value(rng)
        if isinstance(value, dict):
            return {k: mutate(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [mutate(v, depth + 1) for v in value]
        return value

    def replace(match: re.Match[bytes]) -> bytes:
        try:
            value = json.loads(match.group(2))
        except (ValueError, RecursionError):
            return match.group()
        return match.group(1) + json.dumps(mutate(value)).encode() + match.group(3)

    return re.sub(rb"(<script[^>]*ld\+json[^>]*>)(.*?)(</script>)", replace, data, flags=re.S)


def control_attribute(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    """A control byte inside an attribute name (`h\x01ref=`, `<a x\x01y="1" href=…>`), which
    lxml refuses to read back when a parser copies every attribute."""
    odd = bytes([rng.choice([1, 2, 8, 11, 12, 14, 27, 31, 127])])
    roll = rng.randrange(3)
    if roll == 0:
        names = [m.start() for m in re.finditer(rb" (?:href|class|rel|content|name|id)=", data)]
        if names:
            at = rng.choice(names) + 2
            return data[:at] + odd + data[at:]
    if roll == 1:
        tags = [m.end() for m in re.finditer(rb"<(?:a|meta|link|time|img|script|article) ", data)]
        if tags:
            at = rng.choice(tags)
            return data[:at] + b"x" + odd + b'y="1" ' + data[at:]
    link = b"<a x" + odd + b'y="1" href="/2021/06/01/world/americas/b.html">b</a>'
    return _insert(rng, data, link)


def xml_prefixes(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    """Namespace declarations dropped or prefixes the document never declares."""
    roll = rng.randrange(3)
    if roll == 0:
        return re.sub(rb'\sxmlns:\w+="[^"]*"', b"", data)
    if roll == 1:
        return data.replace(b"<news:", b"<zz:").replace(b"</news:", b"</zz:")
    piece = rng.choice(
        [b'<atom:link href="x"/>', b"<news:title>t</news:title>", b"<a:b:c/>", b"<:x/>"]
    )
    return _insert(rng, data, piece)


def doctype(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    """Entity declarations, external entities and a laughs-style expansion."""
    decl = rng.choice(
        [
            b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>',
            b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
            b'<!DOCTYPE r SYSTEM "http://127.0.0.1:1/x.dtd">',
        ]
    )
    body = data.split(b"?>", 1)[-1] if data.startswith(b"<?xml") else data
    return decl + body.replace(b"</title>", b"&d;&x;</title>", 1)


# Elements each parser reads a URL or a date from, to be filled with a bad one.
ELEMENTS = [
    '<link rel="canonical" href="{}">',
    '<link rel="alternate" hreflang="es" href="{}">',
    '<meta property="og:url" content="{}">',
    '<meta name="al:iphone:url" content="nytimes://www.{}">',
    '<meta property="article:published_time" content="{}">',
    '<meta name="ptime" content="{}">',
    '<meta name="utime" content="{}">',
    '<base href="{}">',
    '<header><time datetime="{}">{}</time></header>',
    '<div class="sharetools" data-url="{}"></div>',
    '<figure><img src="{}" srcset="{} 2x"><figcaption>c<span class="credit">{}</span></figcaption>'
    "</figure>",
    '<script>window.__preloadedData = {{"firstPublished":"{}"}}</script>',
    '<article><h2><a href="{}">{}</a></h2><p>s</p></article>',
    '<section id="stream-panel"><ol><li><a href="{}"><h2>{}</h2></a></li></ol></section>',
    '<html itemscope itemtype="https://schema.org/NewsArticle" itemid="{}">',
    "<figure><figcaption>" + "<span>" * 1500 + "{}" + "</span>" * 1500 + "</figcaption></figure>",
]


def bad_element(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    """An element the parsers read a URL or a date from, holding a bad one."""
    template = rng.choice(ELEMENTS)
    values = [rng.choice(BAD_URLS + BAD_DATES).replace('"', "") for _ in range(3)]
    piece = template.format(*values[: template.count("{}")])
    return _insert(rng, data, piece.encode("utf-8", "surrogatepass"))


_TAG = re.compile(rb"<(/?)(p|div|span|article|section|figure|header|main|time|h1|h2|a|li)\b")
_TAGS = [b"p", b"div", b"figure", b"figcaption", b"article", b"header", b"time", b"h1", b"a"]


def swap_tags(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    """Some elements renamed to others, so each era's paths meet shapes they do not expect."""

    def swap(match: re.Match[bytes]) -> bytes:
        return b"<" + match.group(1) + (rng.choice(_TAGS) if rng.random() < 0.2 else match.group(2))

    return _TAG.sub(swap, data)


ODD_CHARSETS = [b"idna", b"undefined", b"utf-7", b"utf-16", b"utf-32", b"punycode", b"zlib",
                b"rot13", b"unicode_escape", b"cp037", b"bogus", b"x" * 300]  # fmt: skip


def charset_label(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    """A charset the page (or feed) declares that is no web encoding, with a byte that is not
    UTF-8, so the declared codec is the one tried."""
    label = rng.choice(ODD_CHARSETS)
    if data.startswith(b"<?xml"):
        data = re.sub(rb'encoding="[^"]*"', b'encoding="' + label + b'"', data, count=1)
    else:
        data = b'<meta charset="' + label + b'">' + re.sub(rb"<meta charset=[^>]*>", b"", data)
    return _insert(rng, data, rng.choice([b"\xe9", b"\xff\xfe", b"\x80"]))


# What any document meets; then, twice for the likelier faults, what each kind of document meets.
ANY_DOCUMENT: list[Mutation] = [
    charset_label,
    truncate,
    flip_bytes,
    odd_bytes,
    splice,
    cut_or_repeat,
    deep_nesting,
    nasty_values,
    nasty_values,
]
HTML_MUTATIONS: list[Mutation] = [
    *ANY_DOCUMENT,
    *[bad_element, json_ld_block, json_ld_values] * 2,
    swap_tags,
    control_attribute,
]
XML_MUTATIONS: list[Mutation] = [*ANY_DOCUMENT, nasty_values, xml_prefixes, xml_prefixes, doctype]


def mutated(rng: random.Random, kind: str, mutations: list[Mutation], applied: list[str]) -> bytes:
    """A seed of `kind` with one to three mutations; their names go to `applied`."""
    seeds = corpus(kind)
    data = rng.choice(seeds)
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice(mutations)
        data = mutation(rng, data, seeds)
        applied.append(mutation.__name__)
    return data


def as_text_sometimes(rng: random.Random, data: bytes) -> bytes | str:
    return data.decode("utf-8", "replace") if rng.random() < 0.3 else data


# --- what must hold for each output ------------------------------------------------------------


def check_url(url: str) -> None:
    """A URL a parser returns can be requested as is, and is already in canonical form."""
    assert split_url(url) is not None, url
    assert request_url(url) == url, url


def check_date(iso: str | None) -> None:
    """A date a parser returns reads back, and survives the index's UTC conversion."""
    if iso is not None:
        assert iso_or_none(iso) == iso
        utc_naive(iso)


def run_article(rng: random.Random, applied: list[str]) -> None:
    page = mutated(rng, "article", HTML_MUTATIONS, applied)
    url = rng.choice([ARTICLE_URL, None, rng.choice(BAD_URLS)])
    try:
        item = parse_article(as_text_sometimes(rng, page), url)
    except ParseError:
        return
    check_date(item.get("published"))
    check_date(item.get("modified"))
    if item.get("url"):
        assert split_url(item["url"]) is not None
        assert canonical_article_url(item["url"]) == item["url"]
    for href in (item.get("translations") or {}).values():
        assert split_url(href) is not None
    for caption in item.get("captions") or []:
        assert caption["image_url"] is None or split_url(caption["image_url"]) is not None
    document = dict(item)
    document["url"] = document.get("url") or ARTICLE_URL
    item_to_document(document)


def run_front(rng: random.Random, applied: list[str]) -> None:
    page = mutated(rng, "front", HTML_MUTATIONS, applied)
    for entry in parse_front(as_text_sometimes(rng, page), rng.choice([FRONT_URL, *BAD_URLS])):
        check_url(entry.url)
        assert canonical_article_url(entry.url) == entry.canonical_url


def run_feed(
    kind: str, parse: Callable[[bytes | str, str], list[Any]], url: str
) -> Callable[[random.Random, list[str]], None]:
    def run(rng: random.Random, applied: list[str]) -> None:
        body = mutated(rng, kind, XML_MUTATIONS, applied)
        try:
            entries = parse(as_text_sometimes(rng, body), rng.choice([url, *BAD_URLS]))
        except FeedError:
            return
        for entry in entries:
            check_url(entry.url)
            check_date(entry.published)
            check_date(getattr(entry, "lastmod", None))  # sitemaps only

    return run


def run_gunzip(rng: random.Random, applied: list[str]) -> None:
    body = mutated(rng, "sitemap", XML_MUTATIONS, applied)
    packed = gzip.compress(body * rng.choice([1, 1, 50]), compresslevel=rng.choice([1, 9]))
    if rng.random() < 0.7:
        damage = rng.choice([truncate, flip_bytes, cut_or_repeat, splice])
        packed = damage(rng, packed, [body])
        applied.append(f"gzip-{damage.__name__}")
    with contextlib.suppress(FeedError):
        gunzip(packed, max_size=rng.choice([1, 1024, 64 * 1024, 10**7]))


_URL_SEEDS = [
    ARTICLE_URL,
    f"{SITE}/live/2021/06/11/world/americas/tropical-storm-caribbean",
    f"{SITE}/interactive/2021/06/09/world/americas/central-america-drought-map.html",
    f"{SITE}/es/2022/01/25/espanol/juegos.html?smid=tw&page=2#x",
    "http://nytimes.com/2021/06/11/world/americas/x.html?utm_source=a&action=click",
]


def _fuzzed_url(rng: random.Random) -> str:
    url = rng.choice(_URL_SEEDS + BAD_URLS)
    for _ in range(rng.randint(0, 3)):
        at = rng.randrange(len(url) + 1)
        piece = rng.choice(
            [
                "[",
                "]",
                ":",
                ":443",
                ":80",
                ":0",
                ":65536",
                "@",
                "%",
                "%zz",
                "#",
                "?",
                "/",
                ".",
                "\x00",
                "\x01",
                "\x7f",
                "\u0085",
                "\uff0f",
                "\u2100",
                "\ufe5f",
                "\ud800",
                " ",
                "\\",
            ]
        )
        url = url[:at] + piece + url[at:]
    return url


def run_url(rng: random.Random, applied: list[str]) -> None:
    url, base = _fuzzed_url(rng), _fuzzed_url(rng)
    parts = split_url(url)
    joined = join_url(base, url)
    assert joined is None or split_url(joined) is not None
    is_site_host(parts.hostname if parts else url)
    in_section(url, "world/americas")
    discoverable = is_discoverable_article(url)
    assert not is_article_url(url) or discoverable
    for helper in (canonical_article_url, request_url, strip_tracking):
        try:
            out = helper(url)
        except ValueError:
            # Documented where urlsplit raises, which split_url reports as unreadable.
            assert parts is None
            continue
        # A readable URL stays readable.
        assert parts is None or split_url(out) is not None
    if discoverable:
        canonical = canonical_article_url(url)
        assert canonical_article_url(canonical) == canonical
        assert request_url(request_url(url)) == request_url(url)


def run_date(rng: random.Random, applied: list[str]) -> None:
    text = rng.choice([*BAD_DATES, "2021-06-11T10:00:00-04:00", "Fri, 11 Jun 2021 14:00:00 GMT"])
    if rng.random() < 0.7:
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars) + 1)
            chars.insert(at, rng.choice("0123456789+-:TZ ,.\x00\u0661\uff11" + "9" * 10))
        text = "".join(chars)
    has_time(text)
    when = parse_datetime(text)
    if when is not None:
        assert isinstance(when, datetime) and when.tzinfo is not None
        check_date(isoformat(when))
    check_date(iso_or_none(text))


TARGETS: dict[str, Callable[[random.Random, list[str]], None]] = {
    "article": run_article,
    "front": run_front,
    "rss": run_feed("rss", parse_rss, RSS_URL),
    "sitemap": run_feed("sitemap", parse_sitemap, SITEMAP_URL),
    "gunzip": run_gunzip,
    "url": run_url,
    "date": run_date,
}


@pytest.mark.parametrize("target", list(TARGETS))
def test_only_documented_exceptions_escape(target: str) -> None:
    numbers = case_numbers(target, SUITE_CASES[target])
    crashes = [c for i in numbers if (c := run_case(SEED, target, i, TARGETS[target]))]
    assert_no_crashes(crashes, len(numbers))
