"""Article pages -> `ArticleItem`: structured data first (JSON-LD, `<meta>`), the DOM of the
page's markup era for what only the page shows (visible headline, byline, body, captions)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from newsbot.dates import NEW_YORK, has_time, iso_or_none, isoformat, parse_datetime
from newsbot.items import ArticleItem
from newsbot.parsers import (
    nyt_generic,
    nyt_legacy,
    nyt_live,
    nyt_mobile,
    nyt_react,
    nyt_testid,
    nyt_vi2018,
)
from newsbot.parsers.common import (
    Element,
    Landmarks,
    Markup,
    NotAnArticle,
    clean,
    find_landmarks,
    first_meta,
    json_types,
    main_article,
    parse_html,
    read_json_ld,
    read_meta,
    text_of,
    xpath,
)
from newsbot.urls import canonical_article_url, is_article_url, join_url

# Most specific first: a live blog also matches the 2021 headline hook, a 2021 page also has
# the 2018–2020 body section. Legacy is tested before vi2018 because its test (a paragraph
# class) is cheaper than vi2018's (a div class) and the two never share markup.
ERAS: tuple[Markup, ...] = (
    nyt_live.MARKUP,
    nyt_testid.MARKUP,
    nyt_react.MARKUP,
    nyt_legacy.MARKUP,
    nyt_vi2018.MARKUP,
    nyt_mobile.MARKUP,
    nyt_generic.MARKUP,
)

ARTICLE_TYPES = {
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "ReviewNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
}
# Section fronts and homepages; "WebSite" is left out because article pages carry it too.
COLLECTION_TYPES = {"CollectionPage", "ItemList"}


def parse_article(page: str | bytes, url: str | None = None) -> ArticleItem:
    """Every contract field of the article on `page`; `url` is where the page was fetched from.

    Raises NotAnArticle for homepages, section fronts and empty pages, ParseError for input that
    is not HTML at all.
    """
    landmarks = find_landmarks(parse_html(page))
    meta = read_meta(landmarks.metas)
    json_ld = read_json_ld(landmarks.scripts)
    ld_article = _article_object(json_ld)
    found = _detect_markup(landmarks, url)
    if found is None or (ld_article is None and _is_collection(json_ld)):
        raise NotAnArticle("no article markup (a homepage, section front or other page)")
    markup, container = found
    body = _body(container, markup)
    headline = _headline(container, markup, meta, ld_article)
    if not body or not headline:
        raise NotAnArticle("no article headline or body")
    canonical = _canonical_url(landmarks, container, meta, ld_article, url)
    published, published_raw, published_source = _published(
        container, markup, meta, ld_article, landmarks.scripts, canonical
    )
    byline = _byline(container, markup, meta)
    section, subsection = _sections(landmarks.root, meta, canonical)
    body_text = "\n\n".join(body)
    return ArticleItem.blank(
        url=canonical,
        source_url=url,
        headline=headline,
        summary=_summary(meta, ld_article),
        section=section,
        subsection=subsection,
        authors=_authors(byline, meta, ld_article),
        byline=byline,
        published=published,
        published_raw=published_raw,
        published_source=published_source,
        modified=_modified(meta, ld_article),
        body=body_text,
        captions=_captions(container, markup),
        tags=_tags(meta, ld_article),
        language=_language(landmarks.root, meta, ld_article),
        word_count=len(body_text.split()),
        kind=_kind(markup, meta, canonical, section),
        short_url=_short_url(page),
        translations=_translations(landmarks.links, canonical),
        is_free=_is_free(ld_article),
    )


def _detect_markup(landmarks: Landmarks, url: str | None) -> tuple[Markup, Element] | None:
    """The first era whose landmark the page has, with the element that holds the article.

    A page fetched from an article URL is read as an article even when it carries none of the
    signs the generic reader looks for: a crawl that drops it would lose the article silently.
    """
    for markup in ERAS:
        element = markup.find_story(landmarks)
        if element is not None:
            return markup, element
    if url and is_article_url(url):
        element = main_article(landmarks)
        if element is not None:
            return nyt_generic.MARKUP, element
    return None


def _article_object(json_ld: list[dict[str, Any]]) -> dict[str, Any] | None:
    for obj in json_ld:
        if json_types(obj) & ARTICLE_TYPES:
            return obj
    return None


def _is_collection(json_ld: list[dict[str, Any]]) -> bool:
    return any(json_types(obj) & COLLECTION_TYPES for obj in json_ld)


# --- URL -------------------------------------------------------------------------------------


def _canonical_url(
    landmarks: Landmarks,
    container: Element,
    meta: dict[str, list[str]],
    ld_article: dict[str, Any] | None,
    url: str | None,
) -> str | None:
    """The page's own address: canonical link and metas first, then what copies without a
    `<head>` keep (the microdata `itemid` on `<html>`, NYT5 share tools' `data-url`)."""
    sources: list[Callable[[], str | None]] = [
        lambda: next(
            (li.get("href") for li in landmarks.links if li.get("rel") == "canonical"), None
        ),
        lambda: first_meta(meta, "og:url", "canonicalurl", "url", "twitter:url"),
        lambda: _ld_text(ld_article, "url") or _ld_text(ld_article, "mainEntityOfPage"),
        lambda: _app_link(first_meta(meta, "al:iphone:url", "al:ipad:url")),
        lambda: _article_itemid(landmarks.root),
        lambda: next(iter(_SHARE_URL(container)), None),
        lambda: url,
    ]
    for read in sources:
        candidate = (read() or "").strip()
        if candidate.startswith(("http://", "https://", "/")):
            absolute = join_url(url or "https://www.nytimes.com/", candidate)
            if absolute is not None:
                return canonical_article_url(absolute)
    return None


_SHARE_URL = xpath("(.//*[has-class('sharetools')]/@data-url)[1]")


def _app_link(link: str | None) -> str | None:
    """App links (`nytimes://www.nytimes.com/2018/...`) name the web address after the scheme."""
    if link and link.startswith("nytimes://www."):
        return "https://" + link.removeprefix("nytimes://")
    return None


def _article_itemid(root: Element) -> str | None:
    """`<html itemscope itemtype=…NewsArticle itemid=URL>`, as NYT pages from 2014 on have it."""
    if "Article" in (root.get("itemtype") or "") or root.get("itemid", "").endswith(".html"):
        return root.get("itemid")
    return None


# --- headline, summary -----------------------------------------------------------------------

_PUBLISHED_NOTE = re.compile(r"\s*\(Published \d{4}\)\s*$")
_SITE_SUFFIX = re.compile(r"\s+[-|–]\s+(?:The New York Times|NYTimes\.com)\s*$")


def _headline(
    container: Element,
    markup: Markup,
    meta: dict[str, list[str]],
    ld_article: dict[str, Any] | None,
) -> str | None:
    for element in markup.headline(container):
        text = text_of(element)
        if text:
            return text
    fallback = first_meta(meta, "hdl", "headline", "og:title") or _ld_text(ld_article, "headline")
    if not fallback:
        # A copy without metas whose heading the era does not know: the story's first <h1>,
        # else the document title.
        heading = next(iter(_FIRST_H1(container)), None)
        fallback = text_of(heading) if heading is not None else ""
        fallback = fallback or _DOCUMENT_TITLE(container)
    if not fallback:
        return None
    return _SITE_SUFFIX.sub("", _PUBLISHED_NOTE.sub("", clean(fallback))) or None


_FIRST_H1 = xpath("(.//h1)[1]")
_DOCUMENT_TITLE = xpath("string(/html/head/title)")


def _summary(meta: dict[str, list[str]], ld_article: dict[str, Any] | None) -> str | None:
    found = _ld_text(ld_article, "description") or first_meta(
        meta, "description", "og:description", "twitter:description"
    )
    return clean(found) or None


# --- byline and authors ----------------------------------------------------------------------

_NAME_SEPARATORS = re.compile(r"\s*[,;]\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
# "Photographs by Jane Roe" inside a byline: the role goes, the name stays.
_ROLE = re.compile(r"^(?:[\w ]+\s)?by\s+", re.IGNORECASE)
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,;])")


# 2022-on headers put "Reporting from Kyiv, Ukraine" in the byline block, after the names.
_REPORTING_FROM = re.compile(r"\s*\b(?:Reporting|Reported) from\b.*$", re.IGNORECASE)


def _byline(container: Element, markup: Markup, meta: dict[str, list[str]]) -> str | None:
    # Text pieces are joined with spaces: 2021 bylines put "By" in its own span with no space.
    # An era's byline path may give text nodes (the byline without its dateline) or elements.
    pieces = (
        piece
        for found in markup.byline(container)
        for piece in (found.itertext() if isinstance(found, Element) else (found,))
    )
    shown = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", clean(" ".join(pieces)))
    shown = _REPORTING_FROM.sub("", shown)
    stated = clean(first_meta(meta, "byl"))
    # A post's sign-off ("— Name and Name", live blogs) stands in only when the page states none.
    if shown.startswith(("—", "–")) and stated:
        return stated
    return shown or stated or None


def _authors(
    byline: str | None, meta: dict[str, list[str]], ld_article: dict[str, Any] | None
) -> list[str]:
    known = _ld_people(ld_article) + _split_names(first_meta(meta, "author") or "")
    names = _split_names(byline or "") or known
    by_folded = {name.casefold(): name for name in known}
    return [by_folded.get(name.casefold()) or _proper_case(name) for name in names]


def _split_names(byline: str) -> list[str]:
    text = clean(byline).lstrip("—–- ")
    names = (_ROLE.sub("", name).strip() for name in _NAME_SEPARATORS.split(text))
    return list(dict.fromkeys(name for name in names if name))


def _proper_case(name: str) -> str:
    """Legacy bylines are upper case ("WILLIAM K. RASHBAUM"); mixed case is left as written."""
    if not name.isupper():
        return name
    return re.sub(r"[^\W\d_]+", lambda word: word.group().capitalize(), name.lower())


def _ld_people(ld_article: dict[str, Any] | None) -> list[str]:
    authors = (ld_article or {}).get("author") or []
    if isinstance(authors, dict):
        authors = [authors]
    names = []
    for author in authors if isinstance(authors, list) else []:
        if isinstance(author, dict) and "Person" in json_types(author) and author.get("name"):
            names.append(clean(str(author["name"])))
    return names


# --- dates -----------------------------------------------------------------------------------

_UPDATE_LABEL = re.compile(r"\bupdated\b", re.IGNORECASE)
# The app state React pages embed (`window.__preloadedData`) names the story's first publication.
_FIRST_PUBLISHED = '"firstPublished":"'
_URL_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")
_PUBLISHED_META = ("article:published_time", "article:published", "datepublished")


def _published(
    container: Element,
    markup: Markup,
    meta: dict[str, list[str]],
    ld_article: dict[str, Any] | None,
    scripts: list[Element],
    canonical: str | None,
) -> tuple[str | None, str | None, str | None]:
    """(ISO instant, raw string, source). A source stating a time beats one that states only a
    day, so sources are read in order until one gives a time."""

    def candidates() -> Iterator[tuple[str | None, str]]:
        # A generator, so the header's <time> elements are only read when no earlier source
        # states a time, which is most pages.
        yield _ld_text(ld_article, "datePublished"), "jsonld"
        yield first_meta(meta, *_PUBLISHED_META), "meta"
        yield first_meta(meta, "ptime"), "meta"
        yield first_meta(meta, "pdate", "dat", "displaydate"), "meta"
        for stated in _stated_dates(container, markup):
            yield stated, "time"
        yield _url_date(canonical), "url"

    day_only: tuple[datetime, str, str] | None = None
    for raw, source in candidates():
        when = parse_datetime(raw)
        if when is None or raw is None:
            continue
        if has_time(raw):
            return isoformat(when), raw, source
        day_only = day_only or (when, raw, source)
    if day_only is None:
        return None, None, None
    stated = _app_state_time(scripts, day_only[0])
    if stated is not None:
        return isoformat(parse_datetime(stated) or day_only[0]), stated, "time"
    return isoformat(day_only[0]), day_only[1], day_only[2]


def _stated_dates(container: Element, markup: Markup) -> list[str]:
    """Publication dates the story header shows, skipping update stamps ("Updated …",
    `itemprop=dateModified`: legacy datelines show the publication day as text but give the
    update time in `datetime`). Live blogs' posts carry their own times: only the header counts.
    """
    # The story header's own dateline comes first; related-article promos further down carry
    # dates too. (lxml's tag-filtered `iter` runs in C, unlike a `.//header//time` path.)
    first = list(islice(container.iter("time"), 3))
    times = [element for element in first if _in_header(element, container)]
    if not times and markup.era != "live":
        times = first[:1]
    found = []
    for element in times:
        shown = text_of(element)
        if _is_update_stamp(element, shown):
            continue
        if element.get("itemprop") != "dateModified" and element.get("datetime"):
            found.append(element.get("datetime"))
        if shown:
            found.append(shown)
    return found


def _in_header(element: Element, container: Element) -> bool:
    for ancestor in element.iterancestors():
        if ancestor.tag == "header":
            return True
        if ancestor is container:
            return False
    return False


def _is_update_stamp(element: Element, shown: str) -> bool:
    """A time whose own text or the label just before it says "Updated"."""
    if _UPDATE_LABEL.search(shown):
        return True
    parent = element.getparent()
    for holder in (parent, parent.getparent() if parent is not None else None):
        if holder is not None and _UPDATE_LABEL.search(holder.text or ""):
            return True
    previous = element.getprevious()
    return previous is not None and bool(_UPDATE_LABEL.search(text_of(previous)))


def _app_state_time(scripts: list[Element], day: datetime) -> str | None:
    """The first-publication instant from the React app state, only when it falls on the day the
    page shows (the state also describes related stories)."""
    for script in scripts:
        text = script.text or ""
        start = text.find(_FIRST_PUBLISHED)
        if start < 0:
            continue
        start += len(_FIRST_PUBLISHED)
        raw = text[start : text.find('"', start)]
        when = parse_datetime(raw)
        if when is not None and has_time(raw) and when.astimezone(NEW_YORK).date() == day.date():
            return raw
        return None
    return None


def _url_date(url: str | None) -> str | None:
    match = _URL_DATE.search(urlsplit(url or "").path)
    return "-".join(match.groups()) if match else None


def _modified(meta: dict[str, list[str]], ld_article: dict[str, Any] | None) -> str | None:
    return iso_or_none(
        _ld_text(ld_article, "dateModified")
        or first_meta(meta, "article:modified_time", "article:modified", "datemodified", "utime")
    )


# --- section ---------------------------------------------------------------------------------

# URL and `meta CG/SCG` slugs -> the names the site shows for them.
SECTION_NAMES = {
    "africa": "Africa",
    "americas": "Americas",
    "arts": "Arts",
    "asia": "Asia Pacific",
    "australia": "Australia",
    "automobiles": "Automobiles",
    "books": "Books",
    "briefing": "Briefing",
    "business": "Business",
    "canada": "Canada",
    "climate": "Climate",
    "dance": "Dance",
    "dealbook": "DealBook",
    "dining": "Food",
    "design": "Art & Design",
    "economy": "Economy",
    "education": "Education",
    "elections": "Elections",
    "energy-environment": "Energy & Environment",
    "es": "En español",
    "espanol": "En español",
    "europe": "Europe",
    "fashion": "Fashion",
    "food": "Food",
    "health": "Health",
    "insider": "Times Insider",
    "jobs": "Jobs",
    "magazine": "Magazine",
    "media": "Media",
    "middleeast": "Middle East",
    "movies": "Movies",
    "music": "Music",
    "nyregion": "New York",
    "obituaries": "Obituaries",
    "opinion": "Opinion",
    "personaltech": "Personal Tech",
    "politics": "Politics",
    "realestate": "Real Estate",
    "review": "Book Review",
    "science": "Science",
    "smallbusiness": "Small Business",
    "space": "Space & Cosmos",
    "sports": "Sports",
    "style": "Style",
    "sunday": "Sunday Review",
    "t-magazine": "T Magazine",
    "technology": "Technology",
    "television": "Television",
    "theater": "Theater",
    "tmagazine": "T Magazine",
    "travel": "Travel",
    "upshot": "The Upshot",
    "us": "U.S.",
    "well": "Well",
    "world": "World",
    "your-money": "Your Money",
    # Sports desks whose slug is not their name.
    "football": "Pro Football",
    "ncaabasketball": "College Basketball",
    "ncaafootball": "College Football",
    "reader-center": "Reader Center",
    "learning": "The Learning Network",
    # `meta article:section` states display names, some of them older than today's.
    "business day": "Business",
    "n.y. / region": "New York",
    "new york": "New York",
    "fashion & style": "Style",
    "sunday review": "Sunday Review",
}
# Fronts at the top level (`/section/politics`) of desks that belong to a section: what a
# masthead link to them says about the section.
SECTION_OF = {
    "politics": "us",
    "elections": "us",
    "dealbook": "business",
    "economy": "business",
    "media": "business",
    "energy-environment": "business",
    "personaltech": "technology",
    "africa": "world",
    "americas": "world",
    "asia": "world",
    "australia": "world",
    "canada": "world",
    "europe": "world",
    "middleeast": "world",
    "dance": "arts",
    "design": "arts",
    "music": "arts",
    "television": "arts",
}
_SECTION_PATH = re.compile(r"^/(?:(?:live|interactive)/)?\d{4}/\d{2}/\d{2}/((?:[\w-]+/)*)")


# The masthead links to the section front (/section/world/americas) when metas are gone.
_MASTHEAD_SECTION = xpath("(//*[@id='masthead-section-label']//a/@href)[1]")
_SECTION_FRONT_PATH = re.compile(r"/section/((?:[\w-]+/?)+)")


def _sections(
    root: Element, meta: dict[str, list[str]], canonical: str | None
) -> tuple[str | None, str | None]:
    from_url = _url_sections(canonical) or _masthead_sections(root, meta)
    section = first_meta(meta, "cg") or (from_url[0] if from_url else None)
    subsection = first_meta(meta, "scg")
    if not subsection and len(from_url) > 1 and from_url[0] == section:
        subsection = from_url[1]
    if not section:
        shown = clean(first_meta(meta, "article:section"))
        return (_section_name(shown) if shown else None), None
    return _section_name(section), _section_name(subsection) if subsection else None


def _masthead_sections(root: Element, meta: dict[str, list[str]]) -> list[str]:
    if first_meta(meta, "cg"):
        return []
    link = next(iter(_MASTHEAD_SECTION(root)), "")
    match = _SECTION_FRONT_PATH.search(link)
    parts = [part for part in match.group(1).split("/") if part] if match else []
    if len(parts) == 1 and parts[0] in SECTION_OF:
        return [SECTION_OF[parts[0]], parts[0]]
    return parts


def _url_sections(url: str | None) -> list[str]:
    match = _SECTION_PATH.match(urlsplit(url or "").path)
    return [part for part in match.group(1).split("/") if part] if match else []


def _section_name(slug: str) -> str:
    slug = clean(slug)
    found = SECTION_NAMES.get(slug.lower())
    if found:
        return found
    # A display name ("U.S.", "Art & Design") stays as written; a slug is title-cased.
    return slug if not slug.islower() else slug.replace("-", " ").title()


# --- body ------------------------------------------------------------------------------------

# Page furniture that can sit inside the body's containers.
_BOILERPLATE = re.compile(
    r"^(?:Advertisement|Continue reading the main story|Supported by|Site Index"
    r"|Thanks for reading The Times\..*|Subscribe to The Times.*|Order Reprints.*"
    r"|A version of this article appears in print on.*"
    # The standing lines that close opinion pieces.
    r"|The Times is committed to publishing a diversity of letters to the editor\..*"
    r"|Follow The New York Times Opinion section on .*)$",
    re.IGNORECASE,
)
# "[Get New York Today in your inbox.]": a paragraph wholly in brackets is an editor's promo.
_BRACKETED_PROMO = re.compile(r"^\[[^\[\]]+\]$")
_CONTRIBUTORS = re.compile(
    r"contributed (?:reporting|research)|(?:reporting|research) (?:was|were) contributed"
    r"|\breported from\b|contributed to this (?:article|report)|^additional reporting by\b",
    re.IGNORECASE,
)
_CORRECTION_LABEL = re.compile(r"^(?:Correction|Corrections|Editors?[’']? Note)\b", re.IGNORECASE)


def _body(container: Element, markup: Markup) -> list[str]:
    paragraphs = [text for block in markup.paragraphs(container) for text in _block_texts(block)]
    kept = [text for text in paragraphs if _is_body_text(text)]
    if not kept:
        # Body columns under another wrapper: the paragraph class every React build since
        # 2018 gives body text.
        texts = ((p, text_of(p)) for p in _STORY_PARAGRAPHS(container))
        kept = [
            text
            for p, text in texts
            if _is_body_text(text) and (_BODY_CLASS(p) or _CONTRIBUTORS.search(text))
        ]
    if not kept and markup is not nyt_generic.MARKUP:
        # A variant of the era's template: read it the way unknown templates are read.
        paragraphs = [text_of(p) for p in nyt_generic.MARKUP.paragraphs(container)]
        kept = [text for text in paragraphs if _is_body_text(text) and len(text.split()) > 5]
    return kept + _end_notes(markup.end_notes(container))


_STORY_PARAGRAPHS = xpath(
    ".//section[@name='articleBody']//p"
    "[not(ancestor::figure or ancestor::aside or ancestor::header)]"
)
_BODY_CLASS = xpath("self::*[has-class('evys1bk0')]")


def _block_texts(block: Element) -> list[str]:
    """A paragraph's text; each item of a list, each paragraph of a quoted block."""
    if block.tag in {"ul", "ol"}:
        return [text_of(item) for item in block.iterchildren("li")]
    if block.tag == "blockquote":
        quoted = [text_of(p) for p in block.iterchildren("p")]
        return quoted or [text_of(block)]
    return [text_of(block)]


def _is_body_text(text: str) -> bool:
    return bool(text) and not _BOILERPLATE.match(text) and not _BRACKETED_PROMO.match(text)


def _end_notes(candidates: list[Element]) -> list[str]:
    """Corrections (label, date and text as one paragraph) and contributor lines, in page order."""
    notes: list[str] = []
    consumed: set[Element] = set()
    for element in candidates:
        if element in consumed:
            continue
        text = text_of(element)
        if element.tag in {"strong", "b"}:
            if _CORRECTION_LABEL.match(text) and element.getparent() not in consumed:
                notes.append(_correction(element, consumed))
        elif _CORRECTION_LABEL.match(text) or (_CONTRIBUTORS.search(text) and _is_body_text(text)):
            consumed.add(element)
            notes.append(text)
    return [note for note in notes if note]


def _correction(label: Element, consumed: set[Element]) -> str:
    """The label plus what follows it up to and including the correction's paragraph."""
    parent = label.getparent()
    if parent is not None and parent.tag == "p":
        consumed.add(parent)
        return text_of(parent)
    parts = [text_of(label), clean(label.tail)]
    for sibling in label.itersiblings():
        parts.append(text_of(sibling))
        parts.append(clean(sibling.tail))
        if sibling.tag == "p":
            consumed.add(sibling)
            break
    return clean(" ".join(parts))


# --- captions --------------------------------------------------------------------------------

# Copies with scripts stripped keep a video's hidden "Video" label and its poster image's alt.
_IS_VIDEO = xpath(
    "self::*[contains(@itemtype, 'VideoObject') or @data-testid='VideoBlock' or @data-videoid"
    " or has-class('video') or has-class('interactive') or .//video"
    " or .//script[contains(., 'VideoObject')]"
    " or .//span[normalize-space()='Video'][not(ancestor::figcaption)]"
    " or .//img[starts-with(@alt, 'Video player')]]"
)
# A credit wrapper often holds a second credit-marked element: only the outermost counts.
_IS_CREDIT = (
    "@itemprop='copyrightHolder' or contains(@class, 'credit') or has-class('e1z0qqy90')"
    " or span[normalize-space()='Credit' or normalize-space()='Credit...']"
)
_CREDITS = xpath(f".//*[{_IS_CREDIT}][not(ancestor::*[{_IS_CREDIT}])]")
# Pages from before 2014 have no <figcaption>: `p.caption` sits beside the image.
_CAPTION = xpath(
    "(.//figcaption | .//*[has-class('g-photo-caption')] | .//*[has-class('caption')])[1]"
)
_IMAGE = xpath(
    "(.//img/@src | .//img/@data-src | .//img/@srcset | .//source/@srcset | self::*/@itemid)"
)
_CREDIT_LABEL = re.compile(r"^(?:Credit(?:\.\.\.|…)?\s*)+")


def _captions(container: Element, markup: Markup) -> list[dict[str, str | None]]:
    captions = []
    for figure in markup.figures(container):
        if _IS_VIDEO(figure):
            continue
        credits = _CREDITS(figure)
        credit_texts = dict.fromkeys(_CREDIT_LABEL.sub("", text_of(c)) for c in credits)
        credit = "; ".join(text for text in credit_texts if text) or None
        caption = next(iter(_CAPTION(figure)), None)
        text = clean(_text_outside(caption, set(credits))) if caption is not None else ""
        if not text and not credit:
            continue
        captions.append({"text": text or None, "credit": credit, "image_url": _image_url(figure)})
    return captions


def _image_url(figure: Element) -> str | None:
    """The first image address in the figure; lazy-loaded images only fill `srcset`."""
    for value in _IMAGE(figure):
        address = value.strip().split(" ")[0].split(",")[0]
        absolute = join_url("https://www.nytimes.com/", address)
        if address.startswith(("http://", "https://", "//")) and absolute is not None:
            return absolute
    return None


def _text_outside(element: Element, excluded: set[Element]) -> str:
    # A stack, not recursion: a caption can nest deeper than Python's recursion limit.
    parts: list[str] = []
    pending: list[Element | str] = [element]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        parts.append(item.text or "")
        for child in reversed(item):
            pending.append(child.tail or "")
            if child not in excluded:
                pending.append(child)
    return "".join(parts)


# --- the rest --------------------------------------------------------------------------------


def _tags(meta: dict[str, list[str]], ld_article: dict[str, Any] | None) -> list[str]:
    tags = list(meta.get("article:tag", []))
    for value in meta.get("news_keywords", []) + meta.get("keywords", []):
        tags.extend(value.split(","))
    keywords = (ld_article or {}).get("keywords")
    if isinstance(keywords, list):
        tags.extend(str(k) for k in keywords)
    elif isinstance(keywords, str):
        tags.extend(keywords.split(","))
    return list(dict.fromkeys(clean(tag) for tag in tags if clean(tag)))


def _language(
    root: Element, meta: dict[str, list[str]], ld_article: dict[str, Any] | None
) -> str | None:
    found = (
        _ld_text(ld_article, "inLanguage")
        or first_meta(meta, "inlanguage", "content-language", "og:locale")
        or root.get("lang")
    )
    return found.replace("_", "-").split("-")[0].lower() if found else None


_OPINION_TYPES = ("op-ed", "opinion", "editorial", "column")


def _kind(
    markup: Markup, meta: dict[str, list[str]], canonical: str | None, section: str | None
) -> str:
    path = urlsplit(canonical or "").path
    page_type = " ".join(
        [
            first_meta(meta, "pst") or "",
            first_meta(meta, "pt") or "",
            first_meta(meta, "genre") or "",
        ]
    ).lower()
    if markup.era == "live" or path.startswith("/live/"):
        return "live"
    if path.startswith("/interactive/") or "interactive" in page_type:
        return "interactive"
    if "transcript" in page_type or "transcript" in path.rsplit("/", 1)[-1]:
        return "transcript"
    if section == "Opinion" or any(word in page_type for word in _OPINION_TYPES):
        return "opinion"
    return "article"


_SHORT_LINK = re.compile(r"nyti\.ms/[A-Za-z0-9]+")


def _short_url(page: str | bytes) -> str | None:
    """The page's nyti.ms link. Pages show it in the header (or the app state) before any
    related story’s, so the first one in the source is the page's own."""
    # A plain find is much faster than a regex scan over a megabyte that rarely matches.
    start = page.find(b"nyti.ms/" if isinstance(page, bytes) else "nyti.ms/")
    if start < 0:
        return None
    snippet = page[start : start + 40]
    if isinstance(snippet, bytes):
        snippet = snippet.decode("ascii", "ignore")
    found = _SHORT_LINK.match(snippet)
    return f"https://{found.group()}" if found else None


def _translations(links: list[Element], canonical: str | None) -> dict[str, str]:
    found = {}
    for link in links:
        if link.get("rel") != "alternate" or not link.get("hreflang"):
            continue
        language, href = link.get("hreflang", "").strip(), (link.get("href") or "").strip()
        absolute = join_url(canonical or "", href)
        if not href or language.lower() == "x-default" or absolute is None:
            continue
        if canonical and canonical_article_url(absolute) == canonical:
            continue
        found[language] = absolute
    return found


def _is_free(ld_article: dict[str, Any] | None) -> bool | None:
    value = (ld_article or {}).get("isAccessibleForFree")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None


def _ld_text(obj: dict[str, Any] | None, key: str) -> str | None:
    value = (obj or {}).get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@id") or value.get("name")
    return str(value) if isinstance(value, str | int | float) and str(value).strip() else None
