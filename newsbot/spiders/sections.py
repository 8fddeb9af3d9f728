"""One spider per named section in `newsbot.sites.SECTIONS`, generated from that data, so
`scrapy crawl americas` works and a new named section needs no code here."""

from __future__ import annotations

from newsbot.sites import SECTIONS
from newsbot.spiders.section import SectionSpider


def _spider_class(name: str, path: str, rss: str | None) -> type[SectionSpider]:
    class_name = "".join(part.capitalize() for part in name.split("_")) + "Spider"
    return type(
        class_name,
        (SectionSpider,),
        {
            "name": name,
            "section_path": path,
            "rss_name": rss,
            # Scrapy's spider loader only picks up classes whose module is this module.
            "__module__": __name__,
            "__doc__": f"The {path} section (feed: {rss or 'none'}).",
        },
    )


for _section in SECTIONS.values():
    _cls = _spider_class(_section.name, _section.path, _section.rss)
    globals()[_cls.__name__] = _cls

# Only the generated classes should stay visible to the spider loader.
del _cls, _section
