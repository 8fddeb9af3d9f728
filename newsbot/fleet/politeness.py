"""One politeness budget per host for the whole fleet, held in Redis.

Scrapy's DOWNLOAD_DELAY and CONCURRENT_REQUESTS_PER_DOMAIN are per process, so N workers hit a
site N times as hard. `HostBudget` asks Redis before each download: a request goes out only when
the host has fewer than `NEWSBOT_FLEET_HOST_CONCURRENCY` requests in flight fleet-wide and at
least 1/`NEWSBOT_FLEET_HOST_RATE` seconds have passed since the fleet's last request to it (Lua
`ACQUIRE`, a GCRA with a burst of one, on Redis' clock). Otherwise it waits without blocking the
reactor and asks again.

It sits after the mirror middleware, so the host is the one the request really goes to. An
in-flight slot expires after DOWNLOAD_TIMEOUT plus a margin, so a killed worker's slots come back.
"""

from __future__ import annotations

import uuid
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from newsbot.fleet import connection

# Request meta key: the in-flight slot this request holds (the set's key and the token).
SLOT_META = "newsbot_fleet_host_slot"
STAT = "newsbot/fleet/politeness"


def host_rate(settings: Any) -> float:
    """NEWSBOT_FLEET_HOST_RATE, or by default the rate one process keeps with DOWNLOAD_DELAY."""
    value = settings.get("NEWSBOT_FLEET_HOST_RATE")
    if value in (None, ""):
        delay = settings.getfloat("DOWNLOAD_DELAY", 0.0)
        return 1.0 / delay if delay > 0 else 0.0
    return max(0.0, settings.getfloat("NEWSBOT_FLEET_HOST_RATE"))


def host_concurrency(settings: Any) -> int:
    value = settings.get("NEWSBOT_FLEET_HOST_CONCURRENCY")
    if value in (None, ""):
        return settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
    return max(0, settings.getint("NEWSBOT_FLEET_HOST_CONCURRENCY"))


class HostBudget:
    def __init__(
        self, server: Any, rate: float, concurrency: int, hold_seconds: float, crawler: Crawler
    ) -> None:
        self.server = server
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.concurrency = concurrency
        self.hold_seconds = hold_seconds
        self.stats = crawler.stats
        self._acquire = server.register_script(connection.ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        rate, concurrency = host_rate(settings), host_concurrency(settings)
        if rate <= 0 and concurrency <= 0:
            raise NotConfigured("no fleet-wide politeness limit")
        server = connection.connect(connection.redis_url_from(settings))
        hold = settings.getfloat("DOWNLOAD_TIMEOUT", 180.0) + 30.0
        return cls(server, rate, concurrency, hold, crawler)

    async def process_request(self, request: Request) -> None:
        host = (urlsplit(request.url).netloc or "").lower()
        next_key, active_key = connection.host_keys(host)
        token = uuid.uuid4().hex
        waited = 0.0
        # Here, not at import: importing the reactor installs one, and Scrapy picks its own.
        from twisted.internet import reactor

        while True:
            wait = float(
                self._acquire(
                    keys=[next_key, active_key],
                    args=[self.interval, self.concurrency, token, self.hold_seconds],
                )
            )
            if wait <= 0:
                break
            waited += wait
            await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        if waited:
            self.stats.inc_value(f"{STAT}/waited_ms", int(waited * 1000))
        if self.concurrency > 0:
            request.meta[SLOT_META] = [active_key, token]
        return None

    def _release(self, request: Request) -> None:
        slot = request.meta.pop(SLOT_META, None)
        if slot is not None:
            self.server.zrem(slot[0], slot[1])

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)
        return None
