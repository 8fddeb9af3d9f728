"""The bundled sample site agrees with its manifest and has the markup each era claims."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector
from protego import Protego

from newsbot.devserver import DEFAULT_ROOT
from newsbot.settings import USER_AGENT

SITE = DEFAULT_ROOT
MANIFEST = json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))
ARTICLES = MANIFEST["articles"]
BY_URL = {a["url"]: a for a in ARTICLES}
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}
ERAS = {"legacy", "vi2018", "react", "testid"}


def local_file(url_or_path: str) -> Path:
    path = urlsplit(url_or_path).path
    target = SITE / path.lstrip("/")
    return target / "index.html" if target.is_dir() else target


def page(url_or_path: str) -> Selector:
    return Selector(text=local_file(url_or_path).read_text(encoding="utf-8"))


def text_of(node: Selector) -> str:
    return " ".join(node.xpath("string()").get().split())


def front_hrefs() -> list[str]:
    front = page("/section/world/americas")
    return front.css(
        "section#collection-highlights-container ol > li > article h2 > a::attr(href),"
        " section#stream-panel ol > li a::attr(href)"
    ).getall()


def canonical(href: str) -> str:
    parts = urlsplit(urljoin("https://www.nytimes.com/section/world/americas", href))
    return f"https://www.nytimes.com{parts.path}"


def jsonld(sel: Selector, kind: str) -> list[dict]:
    found = []
    for raw in sel.css('script[type="application/ld+json"]::text').getall():
        data = json.loads(raw)
        if data.get("@type") == kind:
            found.append(data)
    return found


# --- manifest shape ----------------------------------------------------------------------------


def test_manifest_has_the_documented_keys():
    for key in (
        "articles",
        "front",
        "front_links",
        "rss",
        "sitemap_section",
        "sitemap_off_section",
        "ignored_links",
        "disallowed",
        "amp",
        "near_duplicates",
    ):
        assert key in MANIFEST, key
    assert len(ARTICLES) >= 20
    assert len(BY_URL) == len(ARTICLES)


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["path"].rsplit("/", 1)[1])
def test_article_page_matches_manifest(article):
    url = article["url"]
    assert url.startswith("https://www.nytimes.com/")
    assert urlsplit(url).path == article["path"]
    assert local_file(url).is_file()
    sel = page(url)
    assert sel.css('link[rel="canonical"]::attr(href)').get() == url
    assert text_of(sel.css("h1")[0]) == article["headline"]
    html = local_file(url).read_text(encoding="utf-8")
    assert article["search_phrase"] in html
    assert article["first_paragraph"] in html or article["kind"] != "article"
    assert article["era"] in ERAS
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", article["published"])
    assert set(article["sources"]) <= {"front", "rss", "sitemap"}


def test_search_phrases_are_distinctive():
    for article in ARTICLES:
        phrase = article["search_phrase"]
        holders = [
            a["url"]
            for a in ARTICLES
            if phrase in local_file(a["url"]).read_text(encoding="utf-8")
            and a["url"] != article.get("near_duplicate_of")
            and article["url"] != a.get("near_duplicate_of")
        ]
        assert holders == [article["url"]], phrase


# --- section front ------------------------------------------------------------------------------


def test_front_links_in_manifest_are_on_the_front_in_order():
    hrefs = front_hrefs()
    articles = [h for h in hrefs if canonical(h) in BY_URL]
    assert articles == MANIFEST["front_links"]
    seen: list[str] = []
    for h in articles:
        if canonical(h) not in seen:
            seen.append(canonical(h))
    assert seen == MANIFEST["front"]


def test_front_jsonld_itemlist_matches_front():
    collection = jsonld(page("/section/world/americas"), "CollectionPage")
    assert len(collection) == 1
    items = collection[0]["mainEntity"]["itemListElement"]
    assert [i["position"] for i in items] == list(range(1, len(items) + 1))
    assert [i["url"] for i in items] == MANIFEST["front"]


def test_front_has_the_collection_template_parts():
    front = page("/section/world/americas")
    assert len(front.css("section#collection-highlights-container ol > li > article h2 > a")) >= 3
    assert front.css("section#collection-highlights-container ol > li > article p")
    stream = front.css("section#stream-panel ol > li")
    assert len(stream) >= 10
    for li in stream:
        assert li.css("a::attr(href)").get()
        assert li.css("h2, h3")
    assert front.css("div[data-testid=load-more-posts]")


def test_front_link_variety():
    hrefs = front_hrefs()
    assert any(h.startswith("/20") for h in hrefs)
    assert any(h.startswith("https://www.nytimes.com/") for h in hrefs)
    assert any("action=click" in h for h in hrefs)
    assert any("smid=" in h for h in hrefs)
    front_list = [canonical(h) for h in hrefs if canonical(h) in BY_URL]
    assert len(front_list) > len(set(front_list)), "expected one article linked twice"


def test_ignored_and_disallowed_links_are_on_the_front_and_not_articles():
    html = local_file("/section/world/americas").read_text(encoding="utf-8")
    for href in MANIFEST["ignored_links"]:
        assert f'href="{href}"' in html, href
        assert canonical(href) not in BY_URL
    hosts = {urlsplit(h).hostname for h in MANIFEST["ignored_links"]}
    assert any(h and not h.endswith("nytimes.com") for h in hosts)
    for url in MANIFEST["disallowed"]:
        assert f'href="{urlsplit(url).path}"' in html
        assert url not in MANIFEST["front"]


# --- feeds ------------------------------------------------------------------------------------


def test_rss_is_valid_and_matches_manifest():
    root = ET.parse(SITE / "services/xml/rss/nyt/Americas.xml").getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    links = [i.findtext("link") for i in items]
    assert [canonical(link) for link in links] == MANIFEST["rss"]
    assert any("partner=rss" in link for link in links)
    for item in items:
        article = BY_URL[item.findtext("guid")]
        assert item.findtext("title") == article["headline"]
        assert re.fullmatch(
            r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", item.findtext("pubDate")
        )
        assert item.find("dc:creator", NS) is not None
        assert item.find("category") is not None
    only_rss = set(MANIFEST["rss"]) - set(MANIFEST["front"])
    assert only_rss, "at least one article must be reachable from the feed only"
    assert set(MANIFEST["near_duplicates"]) <= only_rss


def test_sitemap_is_valid_news_sitemap():
    root = ET.parse(SITE / "sitemaps/new/news.xml").getroot()
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    locs = []
    for url in root.findall("sm:url", NS):
        loc = url.findtext("sm:loc", namespaces=NS)
        locs.append(loc)
        assert url.findtext("sm:lastmod", namespaces=NS)
        news = url.find("news:news", NS)
        assert news is not None
        assert news.findtext("news:publication_date", namespaces=NS)
        assert news.findtext("news:title", namespaces=NS)
        assert news.findtext("news:keywords", namespaces=NS) is not None
    section = [u for u in locs if "/world/americas/" in u]
    assert section == MANIFEST["sitemap_section"]
    assert sorted(set(locs) - set(section)) == sorted(MANIFEST["sitemap_off_section"])
    assert len(MANIFEST["sitemap_off_section"]) >= 2
    assert not (SITE / "sitemaps/new/news.xml.gz").exists(), "the server gzips on the fly"


def test_sources_in_manifest_agree_with_lists():
    for article in ARTICLES:
        expected = [
            name
            for name, urls in (
                ("front", MANIFEST["front"]),
                ("rss", MANIFEST["rss"]),
                ("sitemap", MANIFEST["sitemap_section"]),
            )
            if article["url"] in urls
        ]
        assert article["sources"] == expected, article["url"]
    listed = set(MANIFEST["front"]) | set(MANIFEST["rss"]) | set(MANIFEST["sitemap_section"])
    assert listed <= set(BY_URL)


# --- robots.txt -------------------------------------------------------------------------------


def test_robots_txt_rules():
    text = (SITE / "robots.txt").read_text(encoding="utf-8")
    assert text.startswith("#")
    assert "Terms of Service" in text
    robots = Protego.parse(text)
    scrapy_ua = "Scrapy/2.13 (+https://scrapy.org)"
    front = "https://www.nytimes.com/section/world/americas"
    assert not robots.can_fetch(front, scrapy_ua)
    assert robots.can_fetch(front, USER_AGENT)
    for article in ARTICLES:
        assert robots.can_fetch(article["url"], USER_AGENT), article["url"]
    for url in MANIFEST["disallowed"]:
        assert not robots.can_fetch(url, USER_AGENT)
    article = ARTICLES[0]["url"]
    for query in ("?smid=tw-share", "?partner=rss&emc=rss", "?utm_source=x"):
        assert not robots.can_fetch(article + query, USER_AGENT)
    for path in ("/search?query=x", "/svc/x", "/ads/x"):
        assert not robots.can_fetch("https://www.nytimes.com" + path, USER_AGENT)


# --- era markers ------------------------------------------------------------------------------

BODY_SELECTORS = {
    "legacy": "div.story-body p.story-body-text",
    "vi2018": "div.StoryBodyCompanionColumn p",
    "react": "section[name=articleBody] div.StoryBodyCompanionColumn div.css-53u6y8 p.evys1bk0",
    "testid": "section[name=articleBody] div[data-testid^=companionColumn] p.evys1bk0",
}


@pytest.mark.parametrize(
    "article",
    [a for a in ARTICLES if a["kind"] == "article"],
    ids=lambda a: a["path"].rsplit("/", 1)[1],
)
def test_era_markers_and_fields(article):
    sel = page(article["url"])
    era = article["era"]
    paragraphs = [text_of(p) for p in sel.css(BODY_SELECTORS[era])]
    assert paragraphs, era
    assert paragraphs[0] == article["first_paragraph"]
    if era == "legacy":
        assert sel.css("h1#headline[itemprop=headline]")
        assert sel.css("meta[name=ptime]::attr(content)").get()
        assert sel.css("meta[name=CG]::attr(content)").get()
        names = sel.css("span.byline-author::attr(data-byline-name)").getall()
        assert names == [n.upper() for n in article["authors"]]
        assert sel.css("figcaption.caption span.caption-text") or not article["captions"]
    elif era == "vi2018":
        assert sel.css("h1[itemprop=headline] span")
        assert not sel.css(".css-53u6y8")
        assert sel.css("meta[property='article:published']::attr(content)").get().endswith("Z")
        names = sel.css("[itemprop='author creator'] span[itemprop=name]::text").getall()
        assert names == article["authors"]
    elif era == "react":
        assert sel.css("h1.e1h9rw200[itemprop=headline]")
        assert sel.css("meta[property='article:published']::attr(content)").get().endswith("Z")
        assert not sel.css("h1[data-testid=headline]")
    else:
        assert sel.css("h1[data-testid=headline]")
        assert sel.css("meta[property='article:published_time']::attr(content)").get()
        names = sel.css("span[itemprop=name] a::text").getall()
        assert names == article["authors"]
        if article["authors"]:
            assert sel.css("span.byline-prefix")
            assert text_of(sel.css("span.last-byline")[0]).startswith(article["authors"][-1])
    if article["jsonld"]:
        (news,) = jsonld(sel, "NewsArticle")
        assert news["url"] == article["url"]
        assert [a["name"] for a in news["author"] if a["@type"] == "Person"] == article["authors"]
    for cap in article["captions"]:
        assert cap["text"] in [text_of(c) for c in sel.css("figcaption span")]
    assert len(paragraphs) + article["has_correction"] == article["paragraph_count"]
    last = paragraphs[-1]
    if article["has_correction"]:
        correction = sel.css(".theme-correction, .bottom-of-article .css-acwcvw")[0]
        last = " ".join(" ".join(correction.css("::text").getall()).split())
    assert last == article["last_paragraph"]
    html = local_file(article["url"]).read_text(encoding="utf-8")
    assert "Advertisement" in html
    assert "Continue reading the main story" in html


def test_every_era_is_covered():
    counts: dict[str, int] = {}
    for a in ARTICLES:
        if a["kind"] == "article":
            counts[a["era"]] = counts.get(a["era"], 0) + 1
    assert set(counts) == ERAS, counts


def test_amp_copy_points_at_the_main_url():
    for amp_url, main_url in MANIFEST["amp"].items():
        assert local_file(amp_url).is_file()
        sel = page(amp_url)
        assert sel.css('link[rel="canonical"]::attr(href)').get() == main_url
        assert BY_URL[main_url]["amp_url"] == amp_url
        assert amp_url not in BY_URL
        assert BY_URL[main_url]["search_phrase"] in local_file(amp_url).read_text("utf-8")
        selector = BODY_SELECTORS[BY_URL[main_url]["era"]]
        assert [text_of(p) for p in sel.css(selector)] == [
            text_of(p) for p in page(main_url).css(selector)
        ]
        html = local_file(amp_url).read_text("utf-8")
        assert amp_url not in local_file("/section/world/americas").read_text("utf-8")
        assert "<html \u26a1" in html


def shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def test_near_duplicates_share_most_of_the_body():
    assert MANIFEST["near_duplicates"]
    for dup, original in MANIFEST["near_duplicates"].items():
        a, b = (
            shingles(" ".join(text_of(p) for p in page(u).css(BODY_SELECTORS[BY_URL[u]["era"]])))
            for u in (dup, original)
        )
        similarity = len(a & b) / len(a | b)
        assert 0.8 <= similarity < 1.0, similarity
        assert BY_URL[dup]["sources"] == ["rss"]
        assert BY_URL[dup]["near_duplicate_of"] == original
