"""The Scrapy add-on that turns a crawl into a fleet worker when `NEWSBOT_REDIS_URL` is set.

Add-ons run after the command line and the spider have set their settings, so `-s
NEWSBOT_REDIS_URL=...` and the environment variable both work for `scrapy crawl` and
`newsbot crawl`. A worker downloads and parses; it writes no index and no feed (the index writer
does both), so the index pipelines and the default feed are switched off here.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from newsbot.fleet.connection import redis_url_from
from newsbot.fleet.handoff import CRAWL_STATE_SETTING
from newsbot.home import is_off

# Outermost: the hand-off sees the spider's output after every other spider middleware, and the
# lease release sees a download error after Retry gave up. The budget sits after the mirror.
HANDOFF_ORDER = 1
LEASE_RELEASE_ORDER = 1
HOST_BUDGET_ORDER = 960


def _force(settings: BaseSettings, name: str, value: Any) -> None:
    """Set `name` over what the project or command line set: a worker cannot run otherwise."""
    priority = max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["addon"])
    settings.set(name, value, priority=priority)


def _add_component(settings: BaseSettings, name: str, path: str, order: int) -> None:
    components = dict(settings.getdict(name))
    components[path] = order
    _force(settings, name, components)


class FleetAddon:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def update_settings(self, settings: BaseSettings) -> None:
        # The index writer's own spider says so; every other spider becomes a worker.
        role = getattr(self.crawler.spidercls, "fleet_role", "worker")
        if not redis_url_from(settings) or role != "worker":
            return
        _force(settings, "SCHEDULER", "newsbot.fleet.scheduler.FleetScheduler")
        _force(settings, "DUPEFILTER_CLASS", "newsbot.fleet.scheduler.FleetDupeFilter")
        _add_component(
            settings, "SPIDER_MIDDLEWARES", "newsbot.fleet.handoff.FleetHandoff", HANDOFF_ORDER
        )
        _add_component(
            settings,
            "DOWNLOADER_MIDDLEWARES",
            "newsbot.fleet.handoff.FleetLeaseRelease",
            LEASE_RELEASE_ORDER,
        )
        _add_component(
            settings,
            "DOWNLOADER_MIDDLEWARES",
            "newsbot.fleet.politeness.HostBudget",
            HOST_BUDGET_ORDER,
        )
        # The index writer runs the pipelines and writes the feed; a worker only hands items on.
        _force(settings, "ITEM_PIPELINES", {})
        _force(settings, "FEEDS", {})
        # The fleet decides when a run found nothing (FleetScheduler), not each worker.
        _force(settings, "NEWSBOT_ZERO_ALARM", False)
        # The spider's SQLite state would be this machine's; the shared one is in Redis.
        _force(settings, CRAWL_STATE_SETTING, not is_off(settings.get("NEWSBOT_STATE_PATH") or ""))
        _force(settings, "NEWSBOT_STATE_PATH", "off")
