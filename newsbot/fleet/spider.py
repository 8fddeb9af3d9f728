"""One spider for several named sections, so a fleet has one frontier of work to share.

`newsbot crawl americas europe asia` runs this spider in a fleet: its discovery is every
section's front and feed plus the one news sitemap (read once, filtered for all the sections),
and the callbacks are the section spider's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from newsbot.sites import SECTIONS
from newsbot.spiders.section import SectionSpider, _truthy


class SectionsSpider(SectionSpider):
    """`sections`: named sections, comma-separated (`americas,europe`)."""

    name = "sections"

    def __init__(self, sections: str = "", **kwargs: Any) -> None:
        names = [n for n in (s.strip() for s in sections.split(",")) if n]
        unknown = [n for n in names if n not in SECTIONS]
        if not names or unknown:
            raise ValueError(f"-a sections takes named sections, got {sections!r}")
        self.fleet_sections = sorted(dict.fromkeys(names))
        first = SECTIONS[self.fleet_sections[0]]
        super().__init__(path=first.path, rss=first.rss or "", **kwargs)
        # Whether feeds are read at all; each section then says whether it has one.
        self.rss_wanted = _truthy(kwargs.get("discover_rss", True))

    def _each_section(self) -> Iterator[None]:
        """Point the section attributes at each section in turn (restored afterwards)."""
        saved = self.section_path, self.rss_name, self.discover_rss
        try:
            for name in self.fleet_sections:
                section = SECTIONS[name]
                self.section_path, self.rss_name = section.path, section.rss
                self.discover_rss = self.rss_wanted and bool(section.rss)
                yield
        finally:
            self.section_path, self.rss_name, self.discover_rss = saved

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        wanted: dict[str, scrapy.Request] = {}
        for _ in self._each_section():
            for request in super().discovery_requests():
                wanted.setdefault(request.url, request)  # the sitemap once, not per section
        yield from wanted.values()

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        requests: list[scrapy.Request] = []
        for _ in self._each_section():
            requests += super().parse_sitemap(response)
        yield from requests
