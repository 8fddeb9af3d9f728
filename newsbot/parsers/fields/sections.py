"""Section and subsection display names, from metas, the URL or the masthead link."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newsbot.parsers.common import Element, clean, first_meta, xpath

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
    # `SCG global` (and /business/global/ paths) is the Global Business desk.
    "global": "Global Business",
    # Blogs' `SCG` is the blog's slug; the page shows the blog's name.
    "artsbeat": "ArtsBeat",
    "bits": "Bits",
    "cityroom": "City Room",
    "dotearth": "Dot Earth",
    "economix": "Economix",
    "india": "India Ink",
    "lens": "Lens",
    "opinionator": "Opinionator",
    "sinosphere": "Sinosphere",
    "takingnote": "Taking Note",
    "thecaucus": "The Caucus",
    "wheels": "Wheels",
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


def read_sections(
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


# Blog hosts name the blog, and a post's path ends in its slug, not a section: DealBook is a
# Business desk; other blogs' desks are not in their address.
_BLOG_SECTIONS = {"dealbook.nytimes.com": ["business", "dealbook"]}


def _url_sections(url: str | None) -> list[str]:
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if host in _BLOG_SECTIONS or host.endswith(".blogs.nytimes.com"):
        return _BLOG_SECTIONS.get(host, [])
    match = _SECTION_PATH.match(parts.path)
    return [part for part in match.group(1).split("/") if part] if match else []


def _section_name(slug: str) -> str:
    slug = clean(slug)
    found = SECTION_NAMES.get(slug.lower())
    if found:
        return found
    # A display name ("U.S.", "Art & Design") stays as written; a slug is title-cased.
    return slug if not slug.islower() else slug.replace("-", " ").title()
