"""The site and its named sections, as data.

Adding a named section is one line in `SECTIONS`; `newsbot.spiders.sections` turns each entry into
a spider, so `scrapy crawl <name>` works for it.
"""

from __future__ import annotations

from dataclasses import dataclass

# The URLs spiders and items use. A mirror (`NEWSBOT_SITE`) only changes where requests go.
SITE_ORIGIN = "https://www.nytimes.com"
RSS_ORIGIN = "https://rss.nytimes.com"
NEWS_SITEMAP_URL = f"{SITE_ORIGIN}/sitemaps/new/news.xml.gz"
# The index of every sitemap of the site's content, one per period (month); backfills read it.
SITEMAP_INDEX_URL = f"{SITE_ORIGIN}/sitemaps/new/sitemap.xml.gz"


@dataclass(frozen=True)
class Section:
    name: str  # spider name, e.g. "americas"
    path: str  # path under /section/, e.g. "world/americas"
    rss: str | None  # feed name in /services/xml/rss/nyt/<rss>.xml, or None for no feed


SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section("americas", "world/americas", "Americas"),
        Section("europe", "world/europe", "Europe"),
        Section("asia", "world/asia", "AsiaPacific"),
        Section("africa", "world/africa", "Africa"),
        Section("middleeast", "world/middleeast", "MiddleEast"),
        Section("world", "world", "World"),
    )
}


def front_url(path: str) -> str:
    return f"{SITE_ORIGIN}/section/{path.strip('/')}"


def rss_url(name: str) -> str:
    return f"{RSS_ORIGIN}/services/xml/rss/nyt/{name}.xml"


def guess_rss_name(path: str) -> str:
    """NYT names most section feeds after the last path part: world/europe -> Europe, us -> US."""
    last = path.strip("/").rsplit("/", 1)[-1]
    return last.upper() if len(last) <= 2 else last.capitalize()
