"""The fleet's frontier: scrapy-redis' Scheduler and RFPDupeFilter, made safe to share.

What scrapy-redis does as it is, and what this changes (each measured in issue #16):
- Its queue pickles requests; `JsonSerializer` stores `Request.to_dict` as JSON instead.
- `SCHEDULER_PERSIST=False` lets one stopping worker wipe the shared queue and fingerprints;
  here nothing is ever flushed by a worker. A run is scoped by its id instead
  (`RunKeys`): the next run gets fresh keys, so a persisted dupefilter cannot make it fetch nothing.
- A popped request lived only in the worker's memory while its fingerprint stayed in the
  dupefilter, so a SIGKILLed worker lost it for good. Here a pop is a lease (Lua `POP`), and the
  output of the request (new requests, items) and the end of the lease are one Lua step (`PUSH`);
  a dead worker's leases go back to the frontier when its heartbeat goes stale.
- Adding a fingerprint and queueing the request were two calls; they are one script here.
- Workers quit as soon as their own queue looked empty; here a worker stays until the run is
  done: frontier empty, no lease anywhere, every live worker idle (Lua `TICK`).
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from newsbot.extensions import FOUND_STAT, NO_ARTICLES
from newsbot.fleet import connection, serialize
from newsbot.fleet.connection import FleetError, RunKeys

logger = logging.getLogger(__name__)

# Request meta key: the lease id of a request this worker took from the frontier. Retries and
# redirects copy the meta, so the lease moves with them (see FleetScheduler.enqueue_request).
LEASE_META = "newsbot_fleet_lease"
STAT = "newsbot/fleet"
DEFAULT_LEASE_SECONDS = 30.0
# How often a worker beats its heart, looks for dead workers and asks whether the run is done.
TICK_SECONDS = 0.25

_schedulers: weakref.WeakKeyDictionary[Crawler, FleetScheduler] = weakref.WeakKeyDictionary()


def fleet_scheduler(crawler: Crawler) -> FleetScheduler:
    """The crawler's open fleet scheduler (for the hand-off middlewares)."""
    try:
        return _schedulers[crawler]
    except KeyError:
        raise RuntimeError("the fleet scheduler is not open") from None


def run_name(spider: Spider) -> str:
    """What a run crawls: workers crawling the same sections share one run."""
    sections = getattr(spider, "fleet_sections", None) or [spider.name]
    return "+".join(sorted(sections))


class JsonSerializer:
    """The `serializer` scrapy-redis' queues take: `loads`/`dumps`, JSON instead of pickle."""

    loads = staticmethod(serialize.loads)
    dumps = staticmethod(serialize.dumps)


class FleetDupeFilter(RFPDupeFilter):
    """RFPDupeFilter on the run's fingerprint set. Never deletes it: other workers share it, and
    the run's id, not a flush, keeps the next run apart."""

    def close(self, reason: str = "") -> None:
        return None


class FleetQueue(PriorityQueue):
    """scrapy-redis' priority queue (sorted set, best first), with JSON instead of pickle."""

    def encode(self, request: Request) -> str:
        return self._encode_request(request)

    def decode(self, payload: bytes) -> Request:
        return self._decode_request(payload)


class FleetScheduler(Scheduler):
    def __init__(
        self,
        server: Any,
        crawler: Crawler,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(server, persist=True, serializer=JsonSerializer, **kwargs)
        self.crawler = crawler
        self.stats = crawler.stats
        self.lease_seconds = lease_seconds
        self.worker = connection.worker_id()
        self.keys: RunKeys | None = None
        self.run_done = False
        self._closing = False
        self._found_reported = 0
        self._loop: Any = None
        self._join = server.register_script(connection.JOIN)
        self._tick_script = server.register_script(connection.TICK)
        self._leave = server.register_script(connection.LEAVE)
        self._pop = server.register_script(connection.POP)
        self._push = server.register_script(connection.PUSH)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        server = connection.connect(connection.redis_url_from(settings))
        scheduler = cls(
            server,
            crawler,
            lease_seconds=settings.getfloat("NEWSBOT_FLEET_LEASE_SECONDS", DEFAULT_LEASE_SECONDS),
            queue_cls=f"{FleetQueue.__module__}.{FleetQueue.__qualname__}",
            dupefilter_cls=f"{FleetDupeFilter.__module__}.{FleetDupeFilter.__qualname__}",
        )
        crawler.signals.connect(scheduler._spider_idle, signal=signals.spider_idle)
        return scheduler

    # -- joining and leaving the run ----------------------------------------------------------

    def open(self, spider: Spider) -> None:
        sections = run_name(spider)
        status, value = self._join(
            keys=[connection.RUN, connection.RUN_SEQ],
            args=[sections, self.worker, connection.PREFIX],
        )
        value = value.decode()
        if status == b"conflict":
            raise FleetError(
                f"this Redis is running a crawl of {value!r}, not {sections!r}",
                hint=f"start workers for {value!r} to finish that run first",
            )
        self.keys = RunKeys(value)
        self.queue_key = self.keys.frontier
        self.dupefilter_key = self.keys.seen
        # scrapy-redis builds its queue and dupefilter from these keys (with %(spider)s unused).
        self.df = FleetDupeFilter(self.server, key=self.keys.seen)
        super().open(spider)
        _schedulers[self.crawler] = self
        logger.info("Fleet worker %s joined run %s (%s)", self.worker, value, sections)
        self.stats.set_value(f"{STAT}/run", value)
        self._loop = create_looping_call(self._tick)
        self._loop.start(TICK_SECONDS, now=False)

    def close(self, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.keys is None:
            return
        back = self._leave(
            keys=[self.keys.workers, self.keys.frontier, self.keys.leases(self.worker)],
            args=[self.worker],
        )
        if back:
            logger.info("Gave %d unfinished requests back to the fleet's frontier", back)
        _schedulers.pop(self.crawler, None)

    # -- the frontier ---------------------------------------------------------------------------

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    def enqueue_request(self, request: Request) -> bool:
        """Queue `request` unless its fingerprint was seen this run. A retry or redirect of a
        leased request carries the lease, which ends in the same step."""
        lease = request.meta.pop(LEASE_META, None)
        queued = self.push([request], lease=lease)[0]
        if not queued:
            self.df.log(request, self.spider)
        return queued

    def next_request(self) -> Request | None:
        assert self.keys is not None
        taken = self._pop(
            keys=[self.keys.frontier, self.keys.leases(self.worker), self.keys.lease_seq]
        )
        if not taken:
            return None
        lease, payload = taken[0].decode(), taken[1]
        try:
            request = self.queue.decode(payload)
        except Exception as error:
            logger.error("Dropped an unreadable request from the frontier: %s", error)
            self.push([], lease=lease)
            self.stats.inc_value(f"{STAT}/unreadable_requests")
            return None
        request.meta[LEASE_META] = lease
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def push(
        self, requests: list[Request], lease: str | None = None, items: list[str] = ()
    ) -> list[bool]:
        """Queue `requests` (those not seen this run), append `items` to the index writer's
        queue, and end `lease` — all in one Redis step."""
        assert self.keys is not None
        args: list[Any] = [lease or "", len(requests)]
        for request in requests:
            request.meta.pop(LEASE_META, None)
            fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
            args += [fingerprint, -request.priority, self.queue.encode(request)]
        args += list(items)
        queued = self._push(
            keys=[
                self.keys.frontier,
                self.keys.seen,
                self.keys.leases(self.worker),
                connection.ITEMS,
                self.keys.handed_off,
            ],
            args=args,
        )
        self.stats.inc_value("scheduler/enqueued/redis", sum(queued))
        if items:
            self.stats.inc_value(f"{STAT}/items_handed_off", len(items))
        return [bool(q) for q in queued]

    # -- staying until the run is done ----------------------------------------------------------

    def _tick(self) -> None:
        assert self.keys is not None
        engine = self.crawler.engine
        if engine is None or self._closing:
            return
        idle = engine.spider_is_idle()
        self._report_found()
        state, pending, reaped = self._tick_script(
            keys=[connection.RUN, self.keys.workers, self.keys.frontier],
            args=[
                self.keys.run_id,
                self.worker,
                "idle" if idle else "busy",
                self.lease_seconds,
                self.keys.lease_prefix,
            ],
        )
        if reaped:
            logger.warning("Requeued %d requests leased by workers that stopped answering", reaped)
            self.stats.inc_value(f"{STAT}/requeued_from_dead_workers", reaped)
        if state in (b"done", b"gone"):
            self.run_done = True
            if idle:
                self._close(engine)
        elif pending and not engine.needs_backout():
            # The engine polls the scheduler only after a download ends or on its 5 s heartbeat;
            # an idle worker would sit out that long while others fill the frontier.
            slot = getattr(engine, "_slot", None)
            if slot is not None:
                slot.nextcall.schedule()

    def _report_found(self) -> int:
        """Add this worker's newly found articles to the run's count; return the run's count."""
        assert self.keys is not None
        found = int(self.stats.get_value(FOUND_STAT, 0) or 0)
        delta, self._found_reported = found - self._found_reported, found
        return int(self.server.incrby(self.keys.found, delta))

    def _close(self, engine: Any) -> None:
        self._closing = True
        # The fleet's zero-article alarm: no worker found any article link on any source.
        reason = "finished" if self._report_found() else NO_ARTICLES
        if reason == NO_ARTICLES:
            logger.error(
                "ZERO ARTICLES: no worker of this run found an article link on any source. "
                "Check NEWSBOT_SITE, robots.txt and whether the front's markup changed."
            )
        deferred_from_coro(engine.close_spider_async(reason=reason))

    def _spider_idle(self, spider: Spider) -> None:
        if not self.run_done:
            raise DontCloseSpider
