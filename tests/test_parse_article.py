"""parse_article on pages written in each NYT markup era's shape (tests/fixtures/articles)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newsbot.items import ARTICLE_FIELDS
from newsbot.parsers import NotAnArticle, ParseError, parse_article
from newsbot.parsers.fields import body as body_field
from newsbot.parsers.fields import captions as caption_field
from newsbot.urls import canonical_article_url, is_article_url

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
PAGES = sorted(path.stem for path in FIXTURES.glob("*.html"))


def expected(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def extract(name: str) -> dict:
    want = expected(name)
    return dict(parse_article((FIXTURES / f"{name}.html").read_bytes(), want["source_url"]))


def test_every_era_has_a_fixture() -> None:
    assert {
        "legacy",
        "vi2018",
        "react",
        "testid",
        "interactive",
        "live",
        "live_pinned",
        "mobile",
        "pre2012",
        "blog2011",
        "blog2015",
        "projects",
    } <= set(PAGES)


# parser_version changes with every edit of the parser code, so no fixture can hold it.
@pytest.mark.parametrize("field", [name for name in ARTICLE_FIELDS if name != "parser_version"])
@pytest.mark.parametrize("name", PAGES)
def test_field_matches_expected(name: str, field: str) -> None:
    assert extract(name)[field] == expected(name)[field]


@pytest.mark.parametrize("name", PAGES)
def test_item_has_every_contract_field(name: str) -> None:
    assert set(extract(name)) == set(ARTICLE_FIELDS)


def test_text_and_bytes_give_the_same_item() -> None:
    page = (FIXTURES / "testid.html").read_bytes()
    assert parse_article(page) == parse_article(page.decode("utf-8"))


def test_non_utf8_bytes_are_decoded_by_declared_charset() -> None:
    page = (FIXTURES / "legacy.html").read_text(encoding="utf-8")
    latin = page.replace("utf-8", "windows-1252").replace("—", "-").replace("“", '"')
    latin = latin.replace("”", '"').replace("’", "'").replace("VARNUM", "VÁRNUM")
    item = parse_article(latin.encode("cp1252"))
    assert item["authors"] == ["Odessa Várnum", "Tobias McQuill"]
    assert item["byline"] == "By ODESSA VÁRNUM and TOBIAS McQUILL"
    assert item["body"].startswith("HARBORVIEW, N.Y. - The horn")


def test_truncated_page_still_gives_what_it_has() -> None:
    page = (FIXTURES / "react.html").read_bytes()
    cut = page[: page.index(b"Every evening at dusk")]
    item = parse_article(cut)
    assert item["headline"] == "The Lighthouse Keepers Who Refuse to Retire"
    assert item["body"].startswith("The Coast Guard automated")


@pytest.mark.parametrize(
    "page",
    [
        b"",
        b"   \n",
        "",
        b"<html><body><p>Nothing to see here.</p></body></html>",
        b"\xff\xfe\x00garbage\x00\x81\x8d",
        b'<?xml version="1.0"?><rss><channel><title>Feed</title></channel></rss>',
    ],
)
def test_not_an_article(page: str | bytes) -> None:
    with pytest.raises(NotAnArticle):
        parse_article(page)


def test_section_front_and_homepage_are_not_articles() -> None:
    front = """<html><head><meta property="og:type" content="website">
    <script type="application/ld+json">{"@type": "CollectionPage", "mainEntity":
    {"@type": "ItemList", "itemListElement": []}}</script></head><body>
    <section id="collection-highlights-container"><ol><li><article><h2><a href="/a">A</a></h2>
    <p>Summary</p></article></li></ol></section></body></html>"""
    with pytest.raises(NotAnArticle):
        parse_article(front)


def test_not_an_article_is_a_parse_error() -> None:
    assert issubclass(NotAnArticle, ParseError)


def test_url_falls_back_to_the_given_url() -> None:
    page = (FIXTURES / "live.html").read_text(encoding="utf-8")
    bare = page.replace('rel="canonical"', 'rel="nothing"').replace("og:url", "og:nothing")
    bare = bare.replace('"url":', '"nourl":')
    item = parse_article(bare, "http://nytimes.com/live/2023/04/02/us/riverside-flooding?smid=x")
    assert item["url"] == "https://www.nytimes.com/live/2023/04/02/us/riverside-flooding"


def test_copy_without_metas_scripts_or_time_attributes_falls_back_to_the_page() -> None:
    # Some saved copies drop <head> metadata and scripts; what a reader sees is still there.
    page = (FIXTURES / "testid.html").read_text(encoding="utf-8")
    for pattern in (r"<meta[^>]*>", r"<link[^>]*>", r"<script.*?</script>", r' datetime="[^"]*"'):
        page = re.sub(pattern, "", page, flags=re.DOTALL)
    item = parse_article(page)
    assert item["headline"] == "Orchard Growers Turn to Owls to Fight Voles"
    assert (item["section"], item["subsection"]) == ("U.S.", "Politics")
    assert item["authors"] == ["Rosalind Okonkwo-Haverford", "Teodor Lisk", "Amara Quenby"]
    assert (item["published"], item["published_source"]) == ("2022-05-19T00:00:00-04:00", "time")
    assert item["body"].startswith("YAKIMA, Wash. — Ledger Pruitt")


def test_unknown_template_of_an_article_still_gives_an_item() -> None:
    page = """<html lang="en"><head>
    <meta property="og:type" content="article">
    <meta property="og:url" content="https://www.nytimes.com/interactive/2024/06/01/climate/kelp.html">
    <meta property="article:published_time" content="2024-06-01T09:00:00-04:00">
    <meta name="byl" content="By Wilhelmina Stroud"></head>
    <body><main><article id="interactive"><header><h1 class="g-heading">The Kelp Line</h1>
    <p class="g-dek">Forests under the sea are moving north.</p></header>
    <p class="g-text">Off the coast of Maine, the kelp forests have crept forty miles north
    in a decade.</p>
    <figure><img src="https://static01.nyt.com/kelp.jpg"><figcaption>A diver in a kelp bed.
    <span class="g-credit">Ansel Moy</span></figcaption></figure>
    <div class="ad"><p>Advertisement</p><p>Continue reading the main story</p></div>
    <p class="g-text">Divers who mapped them in 2014 went back this spring with the same charts.</p>
    </article></main></body></html>"""
    item = parse_article(page)
    assert (item["headline"], item["kind"], item["authors"]) == (
        "The Kelp Line",
        "interactive",
        ["Wilhelmina Stroud"],
    )
    assert len(item["body"].split("\n\n")) == 2
    assert item["body"].split("\n\n")[1].startswith("Divers who mapped them")
    assert item["captions"][0]["credit"] == "Ansel Moy"
    assert item["published"] == "2024-06-01T09:00:00-04:00"


def test_stray_invalid_byte_in_a_utf8_page_keeps_the_rest_of_the_text() -> None:
    page = (
        (FIXTURES / "testid.html")
        .read_bytes()
        .replace(b"This year he lost", b"This\xff year he lost")
    )
    item = parse_article(page)
    assert "“An owl does not need a permit,”" in item["body"]
    assert "This\ufffd year he lost four trees" in item["body"]


def stripped(page: str) -> str:
    """A copy the way some archivers save pages: no `<meta>`, `<link>` or `<script>`."""
    for pattern in (r"<meta[^>]*>", r"<link[^>]*>", r"<script.*?</script>"):
        page = re.sub(pattern, "", page, flags=re.DOTALL)
    return page


def test_video_figure_without_its_script_is_not_a_caption() -> None:
    page = (FIXTURES / "testid.html").read_text(encoding="utf-8")
    video = """<figure class="sizeMedium css-q1" aria-label="media" role="group">
    <div><span class="css-1dv1kvn">Video</span><div><img src="https://static01.nyt.com/v.jpg"
    alt="Video player loading"></div></div><figcaption class="css-2 e18f7pbr0">
    <span class="css-3 e13ogyst0">Marlow Fenn walks the rows at dusk.</span></figcaption>
    </figure>"""
    page = stripped(page).replace('<p id="article-summary"', video + '<p id="article-summary"')
    texts = [caption["text"] for caption in parse_article(page)["captions"]]
    assert texts == ["A barn owl box on a post at the Willet Creek orchard in Yakima County, Wash."]


def test_legacy_dateline_gives_the_shown_day_not_the_update_time() -> None:
    # NYT5 datelines put the update time in `datetime` and show the publication day.
    page = stripped((FIXTURES / "legacy.html").read_text(encoding="utf-8"))
    old_byline = re.search(r'<p class="byline-dateline">.*?</p>', page).group()
    page = page.replace(
        old_byline,
        '<p class="byline">By <span itemprop="author creator"><span class="byline-author"'
        ' data-byline-name="Odessa Varnum">ODESSA VARNUM</span></span>'
        '<time class="dateline" datetime="2015-04-09T01:30:24-04:00" itemprop="dateModified">'
        "APRIL 7, 2015</time></p>",
    )
    item = parse_article(page)
    assert (item["published"], item["published_source"]) == ("2015-04-07T00:00:00-04:00", "time")
    assert (item["byline"], item["authors"]) == ("By ODESSA VARNUM", ["Odessa Varnum"])


def test_updated_stamp_is_not_the_publication_time() -> None:
    page = stripped((FIXTURES / "testid.html").read_text(encoding="utf-8"))
    page = page.replace(
        re.search(r'<time class="css-x7rtpa.*?</time>', page).group(),
        '<span>Updated <time datetime="2022-05-21T09:00:00-04:00">May 21, 2022</time></span>',
    )
    # Nothing else states a date, so the canonical URL's day is the best left.
    page = page.replace(
        "<body>", '<body><link rel="canonical" href="/2022/05/19/us/politics/o.html">'
    )
    assert parse_article(page)["published"] == "2022-05-19T00:00:00-04:00"


def test_live_blog_without_metas_reads_header_and_first_post() -> None:
    page = stripped((FIXTURES / "live.html").read_text(encoding="utf-8"))
    page = page.replace("<body>", '<body><link rel="canonical" href="/live/2023/04/02/us/x">')
    item = parse_article(page)
    # "Last Updated" is not the publication time; posts carry their own times.
    assert (item["published"], item["published_source"]) == ("2023-04-02T00:00:00-04:00", "url")
    assert item["authors"] == ["Quentin Ashby", "Lorna Vex"]
    assert item["byline"] == "— Quentin Ashby and Lorna Vex"


def test_live_posts_in_another_shape_and_wrapped_paragraphs() -> None:
    page = (FIXTURES / "live.html").read_text(encoding="utf-8")
    page = page.replace(
        '<div class="live-blog-post css-1gmvwo" id="post-2">',
        '<article data-testid="live-blog-post" id="post-2"><div class="css-w1">',
    )
    page = page.replace(
        "— Delphine Okoro</p></div>\n</div>", "— Delphine Okoro</p></div>\n</div></article>"
    )
    item = parse_article(page)
    body = item["body"].split("\n\n")
    assert body[2].startswith("The Red Cross opened shelters")
    assert not any(paragraph.startswith("—") for paragraph in body)


def test_first_published_from_the_app_state_when_it_agrees_with_the_shown_day() -> None:
    page = stripped((FIXTURES / "react.html").read_text(encoding="utf-8"))
    state = '<script>window.__preloadedData = {"a":{"firstPublished":"%s","url":"x"}};</script>'
    same_day = page.replace("</body>", state % "2019-10-03T13:05:09.000Z" + "</body>")
    assert parse_article(same_day)["published"] == "2019-10-03T13:05:09+00:00"
    # A related story's date is not this one's.
    other_day = page.replace("</body>", state % "2019-09-28T13:05:09.000Z" + "</body>")
    assert parse_article(other_day)["published"] == "2019-10-03T00:00:00-04:00"


def test_url_without_canonical_link_comes_from_microdata_and_share_tools() -> None:
    react = stripped((FIXTURES / "react.html").read_text(encoding="utf-8"))
    with_itemid = react.replace(
        '<html lang="en"',
        '<html lang="en" itemscope itemtype="http://schema.org/NewsArticle"'
        ' itemid="https://www.nytimes.com/2019/10/03/business/economy/lighthouse-keepers.html"',
        1,
    )
    item = parse_article(with_itemid)
    assert (
        item["url"] == "https://www.nytimes.com/2019/10/03/business/economy/lighthouse-keepers.html"
    )
    assert (item["section"], item["subsection"]) == ("Business", "Economy")
    legacy = stripped((FIXTURES / "legacy.html").read_text(encoding="utf-8"))
    shared = legacy.replace(
        '<h1 itemprop="headline"',
        '<div class="sharetools theme-classic" data-url="http://www.nytimes.com/2015/04/08/'
        'nyregion/gull-island-ferry-ends.html"></div><h1 itemprop="headline"',
    )
    item = parse_article(shared)
    assert item["url"] == "https://www.nytimes.com/2015/04/08/nyregion/gull-island-ferry-ends.html"
    assert item["section"] == "New York"


def test_url_from_app_links_when_canonical_and_og_url_are_gone() -> None:
    page = (FIXTURES / "vi2018.html").read_text(encoding="utf-8")
    page = re.sub(r'<link[^>]*rel="canonical"[^>]*>|<meta[^>]*og:url[^>]*>', "", page)
    page = page.replace(
        "</head>",
        '<meta property="al:iphone:url" content="nytimes://www.nytimes.com/2018/06/05/world/'
        'europe/ferry-strike.html"></head>',
    )
    assert parse_article(page)["url"] == (
        "https://www.nytimes.com/2018/06/05/world/europe/ferry-strike.html"
    )


@pytest.mark.parametrize(
    ("front", "names"),
    [
        ("/section/politics", ("U.S.", "Politics")),
        ("/section/business/dealbook", ("Business", "DealBook")),
        ("/section/world/middleeast", ("World", "Middle East")),
        ("/section/sports/ncaafootball", ("Sports", "College Football")),
        ("/section/climate", ("Climate", None)),
    ],
)
def test_masthead_section_link_names_section_and_subsection(
    front: str, names: tuple[str, str | None]
) -> None:
    page = stripped((FIXTURES / "testid.html").read_text(encoding="utf-8"))
    page = page.replace('href="/section/us/politics"', f'href="{front}"')
    item = parse_article(page)
    assert (item["section"], item["subsection"]) == names


def test_article_section_meta_display_names() -> None:
    page = (FIXTURES / "legacy.html").read_text(encoding="utf-8")
    page = re.sub(r'<link[^>]*rel="canonical"[^>]*>|<meta[^>]*(og:url|"CG"|"SCG")[^>]*>', "", page)
    assert parse_article(page)["section"] == "New York"


def test_lists_and_quoted_blocks_in_body_columns_are_paragraphs() -> None:
    page = (FIXTURES / "react.html").read_text(encoding="utf-8")
    page = page.replace(
        '<h2 class="css-1505tg eoo0vm40">A job with no job description</h2>',
        '<h2 class="css-1505tg eoo0vm40">A job with no job description</h2>'
        '<ul class="css-v1"><li class="css-v2">Polish the lens twice a week.</li>'
        '<li class="css-v2"><strong>Log</strong> every passing ship.</li></ul>'
        '<blockquote class="css-q1"><p class="css-q2 evys1bk0">Keep the light, and the light'
        " keeps you.</p></blockquote>"
        # A box inside the column (a briefing, related links) nests its list deeper.
        '<div class="css-box"><div><ul><li>More on lighthouses</li></ul></div></div>',
    )
    body = parse_article(page)["body"].split("\n\n")
    start = body.index("Polish the lens twice a week.")
    assert body[start : start + 4] == [
        "Polish the lens twice a week.",
        "Log every passing ship.",
        "Keep the light, and the light keeps you.",
        "Keepers like Mr. Brack are paid by local preservation trusts, not the government, and"
        " their duties are whatever the trusts say they are.",
    ]
    assert "More on lighthouses" not in body


def test_agency_byline_is_kept_but_names_no_person() -> None:
    # The contract: `authors` are people's names; the byline keeps what the page shows.
    page = (FIXTURES / "legacy.html").read_text(encoding="utf-8")
    old_byline = re.search(r'<p class="byline-dateline">.*?</p>', page).group()
    page = page.replace(
        old_byline,
        '<p class="byline-dateline"><span class="byline">By THE ASSOCIATED PRESS</span>'
        '<time class="dateline" datetime="2015-04-07">APRIL 7, 2015</time></p>',
    )
    page = re.sub(r'<meta name="(author|byl)"[^>]*>', "", page)
    item = parse_article(page)
    assert (item["byline"], item["authors"]) == ("By THE ASSOCIATED PRESS", [])


@pytest.mark.parametrize("name", ["react", "testid"])
def test_byline_found_by_microdata_when_the_class_hash_changes(name: str) -> None:
    # Emotion class names (`e1jsehar1`) change with each site build; microdata does not.
    page = stripped((FIXTURES / f"{name}.html").read_text(encoding="utf-8"))
    page = page.replace("e1jsehar1", "e9zz9zz1")
    assert parse_article(page)["authors"] == expected(name)["authors"]


def test_body_columns_under_another_wrapper_still_give_the_body() -> None:
    page = (FIXTURES / "testid.html").read_text(encoding="utf-8")
    short = '<p class="css-at9mc1 evys1bk0">He shrugged.</p>'
    page = page.replace('<div class="css-53u6y8">', '<div class="css-53u6y8">' + short)
    want = parse_article(page)["body"]
    assert "\n\nHe shrugged.\n\n" in want
    page = page.replace("StoryBodyCompanionColumn", "css-0col")
    page = re.sub(r'data-testid="companionColumn-\d"', "", page)
    assert parse_article(page)["body"] == want


def test_opinion_closing_lines_are_not_body() -> None:
    page = (FIXTURES / "react.html").read_text(encoding="utf-8")
    closing = (
        '<p class="css-exrw3m evys1bk0"><em>The Times is committed to publishing a diversity of'
        " letters to the editor. We’d like to hear what you think.</em></p>"
        '<p class="css-exrw3m evys1bk0"><em>Follow The New York Times Opinion section on'
        " Facebook and Instagram.</em></p>"
    )
    page = page.replace(
        '</div></div>\n<div id="bottom-wrapper"', closing + '</div></div>\n<div id="bottom-wrapper"'
    )
    assert "committed to publishing" in page
    assert parse_article(page)["body"] == expected("react")["body"]


def test_reporting_from_line_in_the_byline_block_is_not_a_name() -> None:
    page = stripped((FIXTURES / "testid.html").read_text(encoding="utf-8"))
    byline = re.search(r'<p class="css-4z5zii e1jsehar1">.*?</p>', page).group()
    block = (
        '<div data-testid="byline"><p><span class="byline-prefix">By </span>'
        '<span itemprop="name">Teodor Lisk</span></p>'
        "<div><span>Reporting from Yakima, Wash.</span></div></div>"
    )
    item = parse_article(page.replace(byline, block))
    assert (item["byline"], item["authors"]) == ("By Teodor Lisk", ["Teodor Lisk"])
    # A block without a byline paragraph still names its people, without the place.
    flat = '<div data-testid="byline">By Teodor Lisk Reporting from Yakima, Wash.</div>'
    assert parse_article(page.replace(byline, flat))["authors"] == ["Teodor Lisk"]


def test_pre_2014_legacy_byline_in_h6() -> None:
    page = stripped((FIXTURES / "legacy.html").read_text(encoding="utf-8"))
    old_byline = re.search(r'<p class="byline-dateline">.*?</p>', page).group()
    page = page.replace(
        old_byline,
        '<h6 class="byline">By <span itemprop="author creator"><span itemprop="name">'
        "ODESSA VARNUM</span></span></h6>",
    )
    assert parse_article(page)["authors"] == ["Odessa Varnum"]


def test_live_blog_whose_posts_are_articles() -> None:
    page = (FIXTURES / "live.html").read_text(encoding="utf-8")
    page = page.replace('<article class="live-blog-content meteredContent css-1h6whtw">', "<div>")
    page = page.replace("</article>", "</div>")
    page = re.sub(
        r'<div class="live-blog-post css-1gmvwo" (id="post-\d")>(.*?)</div>\n'
        r'(?=<div class="live|</div>)',
        r'<article data-testid="live-blog-post" \1>\2</article>\n',
        page,
        flags=re.DOTALL,
    )
    assert page.count('<article data-testid="live-blog-post"') == 2
    item = parse_article(page)
    assert item["kind"] == "live"
    assert item["body"] == expected("live")["body"]
    assert item["captions"] == expected("live")["captions"]


def test_unknown_interactive_template_skips_graphic_labels() -> None:
    page = """<html lang="en"><head><meta property="og:type" content="article">
    <link rel="canonical" href="https://www.nytimes.com/interactive/2020/03/02/us/marsh.html">
    </head><body><main><article id="interactive"><h1 class="g-heading">Salt Marsh Retreat</h1>
    <p class="g-byline">By Ilse Marrow and Bo Tennant</p>
    <p class="g-text">The marsh at Pell Cove has moved inland three hundred feet since 1990.</p>
    <div class="ai2html"><p class="g-pstyle0">1990 shoreline</p><p class="g-aiPstyle1">2020</p>
    </div><p class="g-text">Farmers who once grazed sheep there now grow nothing at all.</p>
    </article></main></body></html>"""
    item = parse_article(page)
    assert item["authors"] == ["Ilse Marrow", "Bo Tennant"]
    assert len(item["body"].split("\n\n")) == 2


def test_pre_2014_legacy_page() -> None:
    page = """<html lang="en"><head><title>Tide Mill Reopens - The New York Times</title>
    <link rel="canonical" href="http://www.nytimes.com/2012/05/14/nyregion/tide-mill.html">
    <meta name="pdate" content="20120513"><meta name="CG" content="nyregion">
    </head><body><div id="main"><div id="article"><div class="columnGroup first">
    <h1 itemprop="headline" class="articleHeadline">Tide Mill Grinds Again</h1>
    <h6 class="byline">By <span itemprop="author creator" itemscope><span itemprop="name">
    CORDELIA PRESTWICK</span></span></h6>
    <h6 class="dateline">Published: May 13, 2012</h6>
    <div class="articleSpanImage"><span><img src="http://graphics8.nytimes.com/mill.jpg"></span>
    <div class="credit">Anselm Vey for The New York Times</div>
    <p class="caption">The wheel turning on Sunday at the mill in Orrin Cove.</p></div>
    <div class="articleBody"><p itemprop="articleBody">ORRIN COVE, N.Y. — The tide mill
    ground its first corn in ninety years on Sunday.</p>
    <p itemprop="articleBody">Volunteers spent six winters rebuilding it.</p></div>
    </div></div></div></body></html>"""
    item = parse_article(page)
    assert item["headline"] == "Tide Mill Grinds Again"
    assert item["authors"] == ["Cordelia Prestwick"]
    assert [(c["text"], c["credit"]) for c in item["captions"]] == [
        (
            "The wheel turning on Sunday at the mill in Orrin Cove.",
            "Anselm Vey for The New York Times",
        )
    ]
    assert len(item["body"].split("\n\n")) == 2
    assert item["published"] == "2012-05-13T00:00:00-04:00"


def test_headline_without_era_heading_or_metas() -> None:
    page = stripped((FIXTURES / "vi2018.html").read_text(encoding="utf-8"))
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, flags=re.DOTALL)
    no_h1 = page.replace(heading.group(), "")
    title = re.search(r"<title>(.*?) - The New York Times</title>", page).group(1)
    assert parse_article(no_h1)["headline"] == title


def test_lead_image_between_header_and_body_is_a_caption() -> None:
    # Feature layouts put the lead image after the header, before the body section.
    page = (FIXTURES / "react.html").read_text(encoding="utf-8")
    viewer = re.search(r'<div class="css-79elbk".*?</figure></div></div>\n', page, re.DOTALL)
    page = page.replace(viewer.group(), "").replace(
        "</header></div>", "</header></div>" + viewer.group()
    )
    assert parse_article(page)["captions"] == expected("react")["captions"]


INTERACTIVE_WITHOUT_OG_TYPE = """<html lang="en"><head>
<title>Where the Lagoon Went - The New York Times</title>
<link rel="canonical"
  href="https://www.nytimes.com/interactive/2023/04/02/world/americas/lagoon-maps.html">
<meta property="article:published_time" content="2023-04-02T05:00:00-04:00">
</head><body><main><article id="story"><header><h1>Where the Lagoon Went</h1>
<p class="g-byline">By Odile Farrant</p></header>
<div class="g-graphic"><p class="g-pstyle0">1998</p></div>
<div class="g-text"><p>Survey flights show the lagoon shrinking by a third in twenty years.</p>
<p>Fishing cooperatives have moved their boats twice.</p></div>
</article></main></body></html>"""


@pytest.mark.parametrize(
    "page",
    [
        INTERACTIVE_WITHOUT_OG_TYPE,
        # a saved copy that kept only the canonical link
        re.sub(r"<meta [^>]*>", "", INTERACTIVE_WITHOUT_OG_TYPE),
    ],
)
def test_interactive_without_og_type_is_still_an_article(page: str) -> None:
    item = parse_article(page)
    assert (
        item["url"]
        == "https://www.nytimes.com/interactive/2023/04/02/world/americas/lagoon-maps.html"
    )
    assert item["headline"] == "Where the Lagoon Went"
    assert item["authors"] == ["Odile Farrant"]
    assert item["kind"] == "interactive"
    assert item["body"].split("\n\n") == [
        "Survey flights show the lagoon shrinking by a third in twenty years.",
        "Fishing cooperatives have moved their boats twice.",
    ]
    assert item["published"].startswith("2023-04-02")


def test_page_fetched_from_an_article_url_is_read_even_without_any_sign() -> None:
    bare = re.sub(r"<(meta|link) [^>]*>", "", INTERACTIVE_WITHOUT_OG_TYPE)
    with pytest.raises(NotAnArticle):
        parse_article(bare)
    url = "https://www.nytimes.com/interactive/2023/04/02/world/americas/lagoon-maps.html"
    item = parse_article(bare, url)
    assert item["url"] == url
    assert item["headline"] == "Where the Lagoon Went"
    assert item["published"] is not None and item["published"].startswith("2023-04-02")


# --- classes of misses found on pages the parser was not tuned on ---------------------------


def _testid_with(old: str, new: str) -> dict:
    page = (FIXTURES / "testid.html").read_text(encoding="utf-8")
    assert old in page
    return dict(parse_article(page.replace(old, new, 1)))


@pytest.mark.parametrize(
    "heading",
    [
        # balance-text line breaks
        "Orchard Growers Turn<br>to Owls to Fight Voles",
        # a second, hidden copy for another layout
        "Orchard Growers Turn to Owls to Fight Voles"
        '<span style="display: none">Orchard Growers Turn to Owls to Fight Voles</span>',
        # the same words twice (a visible and a screen-reader copy)
        "<span>Orchard Growers Turn to Owls to Fight Voles</span>"
        "<span>Orchard Growers Turn to Owls to Fight Voles</span>",
    ],
)
def test_visible_headline_reads_as_shown(heading: str) -> None:
    page = (FIXTURES / "testid.html").read_text(encoding="utf-8")
    old = re.search(r'(<h1[^>]*data-testid="headline"[^>]*>)(.*?)</h1>', page, re.DOTALL)
    item = parse_article(page.replace(old.group(), old.group(1) + heading + "</h1>"))
    assert item["headline"] == "Orchard Growers Turn to Owls to Fight Voles"


def test_blog_masthead_is_not_the_headline() -> None:
    page = (FIXTURES / "blog2011.html").read_text(encoding="utf-8")
    # Without the era's entry-title hook the page's first h1 is the blog's name.
    page = page.replace('class="entry-title"', 'class="post-heading"')
    assert parse_article(page)["headline"] == "A Quiet Bid for a Noisy Brewer"


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("Photographs and Text by Ines Walcott", ["Ines Walcott"]),
        (
            "By Ines Walcott and Per Lund; Video by Ada Brisk",
            ["Ines Walcott", "Per Lund", "Ada Brisk"],
        ),
        ("By Reuters", []),
        ("By Ines Walcott and The Associated Press", ["Ines Walcott"]),
        ("By ‘The Morning Ledger’", []),
        ("By The Harbor Hour Podcast", []),
        ("By Ann Show", ["Ann Show"]),
    ],
)
def test_byline_credits_name_people_only(byline: str, authors: list[str]) -> None:
    page = stripped((FIXTURES / "legacy.html").read_text(encoding="utf-8"))
    old = re.search(r'<p class="byline-dateline">.*?</p>', page).group()
    item = parse_article(
        page.replace(old, f'<p class="byline-dateline"><span class="byline">{byline}</span></p>')
    )
    assert (item["byline"], item["authors"]) == (byline, authors)


def test_bare_by_is_no_byline() -> None:
    page = stripped((FIXTURES / "legacy.html").read_text(encoding="utf-8"))
    old = re.search(r'<p class="byline-dateline">.*?</p>', page).group()
    item = parse_article(
        page.replace(old, '<p class="byline-dateline"><span class="byline">By </span></p>')
    )
    assert (item["byline"], item["authors"]) == (None, [])


def test_byline_split_over_elements_takes_the_stated_byline() -> None:
    page = (FIXTURES / "legacy.html").read_text(encoding="utf-8")
    old = re.search(r'<p class="byline-dateline">.*?</p>', page).group()
    page = page.replace(
        old, '<p class="byline-dateline"><span class="byline">By ODESSA VARNUM</span></p>'
    )
    assert parse_article(page)["authors"] == ["Odessa Varnum", "Tobias McQuill"]


def test_italic_cross_promotion_above_the_story_is_not_body() -> None:
    first = '<p class="css-at9mc1 evys1bk0">'
    promo = (
        '<p class="css-at9mc1 evys1bk0"><em>Follow our <a href="/live/x">live coverage</a>'
        " of the harvest.</em></p>"
    )
    item = _testid_with(first, promo + first)
    assert item["body"] == expected("testid")["body"]


def test_paragraphs_after_an_unclosed_embed_are_kept() -> None:
    page = (FIXTURES / "react.html").read_text(encoding="utf-8")
    body = expected("react")["body"].split("\n\n")
    # An embed that never closes its <div> swallows the paragraphs after it.
    first = page.index('<p class="css-exrw3m evys1bk0">')
    page = page[:first] + '<div class="embed"><div class="embed-frame">' + page[first:]
    got = parse_article(page)["body"].split("\n\n")
    assert got[-3:] == body[-3:]


def test_related_thumbnails_are_not_captions() -> None:
    thumb = (
        '<a href="/2022/05/01/us/other-story.html"><figure class="css-y3qb10"><img alt=""'
        ' src="https://static01.nyt.com/t.jpg"><figcaption><section>Ivo Kern for The New York'
        " Times</section></figcaption></figure></a>"
    )
    item = _testid_with('<p id="article-summary"', thumb + '<p id="article-summary"')
    assert item["captions"] == expected("testid")["captions"]


def test_caption_controls_are_not_caption_text() -> None:
    caption = "A barn owl box on a post at the Willet Creek orchard in Yakima County, Wash."
    item = _testid_with(caption, caption + "<button>View Location</button>")
    assert item["captions"][0]["text"] == caption


def test_mirror_host_canonical_names_the_www_article() -> None:
    assert (
        canonical_article_url(
            "http://www10.nytimes.com/2011/01/11/world/asia/x.html?pagewanted=all"
        )
        == "https://www.nytimes.com/2011/01/11/world/asia/x.html"
    )
    assert expected("pre2012")["url"].startswith("https://www.nytimes.com/")


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://dealbook.nytimes.com/2011/04/11/a-post-slug/", True),
        ("http://wordplay.blogs.nytimes.com/2013/02/01/puzzle/", True),
        ("https://wordplay.blogs.nytimes.com/2013/02/01/", False),
        ("https://dealbook.nytimes.com/category/deals/", False),
        ("https://www.nytimes.com/2011/04/11/a-post-slug/", False),
        ("https://blogs.example.com/2011/04/11/a-post-slug/", False),
    ],
)
def test_blog_post_urls_are_articles(url: str, article: bool) -> None:
    assert is_article_url(url) is article


@pytest.mark.parametrize(
    "canonical",
    [
        "https://127.0.0.1:8080/2019/10/03/business/economy/lighthouse-keepers.html",
        "https://www.example.com/2019/10/03/business/economy/lighthouse-keepers.html",
        "https://www.nytimes.com/section/business/economy",
    ],
)
def test_untrusted_canonical_gives_way_to_the_fetch_url(canonical: str) -> None:
    page = (FIXTURES / "react.html").read_text(encoding="utf-8")
    page = re.sub(r'(rel="canonical" href=")[^"]*', rf"\g<1>{canonical}", page)
    page = re.sub(r'(property="og:url" content=")[^"]*', rf"\g<1>{canonical}", page)
    page = page.replace('"url":', '"nourl":')
    fetched = "https://www.nytimes.com/2019/10/03/business/economy/other-page.html"
    assert parse_article(page, fetched)["url"] == fetched


def test_page_of_a_hundred_thousand_figures_parses_and_caps_its_captions() -> None:
    # `_captions` used to test `following::` per figure: quadratic, minutes at this size.
    figures = (
        '<figure><img src="https://static01.nyt.com/f.jpg"><figcaption>Dot.</figcaption></figure>'
    )
    section = (
        '<section class="meteredContent css-1r7ky0e" name="articleBody" itemprop="articleBody">'
    )
    item = _testid_with(section, section + figures * 100_000)
    assert len(item["captions"]) == caption_field.MAX_FIGURES
    assert item["body"] == expected("testid")["body"]


def test_page_of_short_paragraphs_only_is_not_an_article() -> None:
    # Work stops after the probe: no article-sized paragraph among the first blocks.
    blocks = '<p class="css-at9mc1 evys1bk0">Word.</p>' * (body_field.PROBE_BLOCKS + 10)
    page = (FIXTURES / "testid.html").read_text(encoding="utf-8")
    start = page.index('<div class="css-53u6y8">') + len('<div class="css-53u6y8">')
    with pytest.raises(NotAnArticle):
        parse_article(page[:start] + blocks + page[start:])


def test_blog_post_without_metas_takes_its_section_from_the_blog_host() -> None:
    page = stripped((FIXTURES / "blog2011.html").read_text(encoding="utf-8"))
    page = page.replace(
        "<body>",
        '<body><link rel="canonical" href="http://dealbook.nytimes.com/2012/03/05/a-quiet-bid-for-a-noisy-brewer/">',
    )
    item = parse_article(page)
    assert (item["section"], item["subsection"]) == ("Business", "DealBook")
    assert item["published"] == "2012-03-05T16:05:00-05:00"


def test_prose_starting_with_by_is_no_signature() -> None:
    page = (FIXTURES / "projects.html").read_text(encoding="utf-8")
    page = page.replace(
        "By Noor Halvorsen, Emeric Tash and Ottilie van Damme.",
        "By the end of the decade, the desk had moved twice.",
    )
    assert parse_article(page)["authors"] == []


def test_credit_in_unknown_markup_is_split_at_its_label() -> None:
    figure = (
        '<figure class="css-f1"><img src="https://static01.nyt.com/r.jpg"><figcaption>'
        "<span>Rafts tied up at the landing.</span><span>Credit...Ana Roe</span>"
        "</figcaption></figure>"
    )
    item = _testid_with('<p id="article-summary"', figure + '<p id="article-summary"')
    assert (item["captions"][0]["text"], item["captions"][0]["credit"]) == (
        "Rafts tied up at the landing.",
        "Ana Roe",
    )


def test_front_lists_blog_posts_it_links_to() -> None:
    from newsbot.parsers.front import parse_front

    front = """<html><body><main><section id="stream-panel"><ol>
    <li><article><a href="https://dealbook.nytimes.com/2012/03/05/a-quiet-bid/?src=dlbksb">
    <h2>A Quiet Bid</h2></a></article></li>
    <li><article><a href="http://wordplay.blogs.nytimes.com/2013/02/01/puzzle/">
    <h2>Puzzle</h2></a></article></li>
    <li><article><a href="https://dealbook.nytimes.com/category/deals/"><h2>Deals</h2></a>
    </article></li></ol></section></main></body></html>"""
    urls = [entry.url for entry in parse_front(front, "https://www.nytimes.com/section/business")]
    assert urls == [
        "https://dealbook.nytimes.com/2012/03/05/a-quiet-bid/",
        "https://wordplay.blogs.nytimes.com/2013/02/01/puzzle/",
    ]


def test_paragraphs_an_unclosed_embed_swallows_mid_body_are_kept_in_order() -> None:
    page = (FIXTURES / "react.html").read_text(encoding="utf-8")
    # The embed opens before the second paragraph and never closes: every later paragraph of
    # the column (and the columns after it) ends up inside it.
    second = page.index('<p class="css-exrw3m evys1bk0">The Coast Guard')
    page = page[:second] + '<div class="embed"><div class="embed-frame">' + page[second:]
    assert parse_article(page)["body"] == expected("react")["body"]


def test_italic_promo_that_links_away_is_not_body_anywhere() -> None:
    anchor = '<p class="css-exrw3m evys1bk0">Keepers like Mr. Brack'
    promo = (
        '<p class="css-exrw3m evys1bk0"><em>Read more about the coast’s last keepers'
        ' <a href="https://www.nytimes.com/2019/01/01/us/keepers.html">here</a>.</em></p>'
    )
    page = (FIXTURES / "react.html").read_text(encoding="utf-8").replace(anchor, promo + anchor)
    assert parse_article(page)["body"] == expected("react")["body"]


def test_thumbnail_in_a_sidebar_is_not_a_caption() -> None:
    sidebar = (
        '<aside class="css-r3l4"><a href="https://www.nytimes.com/2022/05/01/us/other.html">'
        '<h3>Orchards Try Owls Again</h3></a><figure><img src="https://static01.nyt.com/t.jpg">'
        '<figcaption><span class="e1z0qqy90"><span>Credit...</span><span>Ivo Kern</span></span>'
        "</figcaption></figure></aside>"
    )
    item = _testid_with('<p id="article-summary"', sidebar + '<p id="article-summary"')
    assert item["captions"] == expected("testid")["captions"]


@pytest.mark.parametrize(
    "box",
    [
        '<aside class="related"><h2>Related</h2><p>Orchards try owls again.</p></aside>',
        '<div class="newsletter"><p>Get our weekly letter.</p><button>Sign Up</button></div>',
    ],
)
def test_box_inside_a_paragraph_left_open_is_not_part_of_it(box: str) -> None:
    page = (FIXTURES / "pre2012.html").read_text(encoding="utf-8")
    page = page.replace("<NYT_AUTHOR_ID>", "<NYT_AUTHOR_ID>" + box, 1)
    assert parse_article(page)["body"] == expected("pre2012")["body"]


def test_signature_skips_a_sign_up_form_pulled_into_the_story() -> None:
    form = '<form class="registration"><p>By signing up, you agree to receive updates.</p></form>'
    page = (FIXTURES / "projects.html").read_text(encoding="utf-8")
    page = page.replace("</article>", form + "</article>", 1)
    assert parse_article(page)["authors"] == expected("projects")["authors"]


def test_signature_is_the_byline_when_the_page_states_none() -> None:
    page = (FIXTURES / "projects.html").read_text(encoding="utf-8")
    page = re.sub(r"<meta[^>]*>", "", page)
    assert parse_article(page)["authors"] == expected("projects")["authors"]


def test_time_of_a_related_story_is_not_the_publication_date() -> None:
    page = (FIXTURES / "projects.html").read_text(encoding="utf-8")
    page = re.sub(r"<meta[^>]*>", "", page)
    page = page.replace(
        "</article>",
        '<section class="related-coverage"><article class="story"><a href="/2017/03/09/x.html">'
        "<time>March 9, 2017</time></a></article></section></article>",
        1,
    )
    assert parse_article(page)["published"] is None


@pytest.mark.parametrize(
    ("name", "before"),
    [
        ("pre2012", "<p>\n&ldquo;Nobody is waiting"),
        ("blog2011", "<p>Regulatory filings show"),
    ],
)
def test_unclosed_embed_in_a_template_without_paragraph_classes_keeps_the_rest(
    name: str, before: str
) -> None:
    page = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    assert before in page
    page = page.replace(before, '<div class="embed"><div>' + before, 1)
    assert parse_article(page)["body"] == expected(name)["body"]


def test_update_stamp_glued_to_the_shown_day_gives_the_day_not_the_update_time() -> None:
    page = stripped((FIXTURES / "react.html").read_text(encoding="utf-8"))
    page = page.replace(
        '<time class="css-129k401 e16638kd0" datetime="2019-10-03">Oct. 3, 2019</time>',
        '<time datetime="2019-10-04T18:11:15-04:00"><span>Oct. 3, 2019</span>'
        "<span>Updated 6:11 p.m. ET</span></time>",
    )
    item = parse_article(page, "https://www.nytimes.com/2019/10/03/nyregion/x.html")
    assert item["published"] == "2019-10-03T00:00:00-04:00"
