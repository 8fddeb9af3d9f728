"""The fleet's Redis: one client per process, the key layout, and the Lua scripts.

Every operation that moves work between two places (frontier -> lease, lease -> frontier + item
queue, item queue -> in flight) is one Lua script, so a process killed between any two Redis calls
never leaves work in neither place. Scripts read the clock with Redis' TIME, so leases and
heartbeats do not depend on the workers' clocks agreeing.

Scripts build some keys from a prefix (a worker's lease hash): fine for one Redis server, not for
Redis Cluster, which the fleet does not support.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import redis

from newsbot.errors import NewsbotError, UsageError

URL_ENV = "NEWSBOT_REDIS_URL"
PREFIX = "newsbot:fleet:"
SCHEMES = ("redis", "rediss", "unix")


class FleetError(NewsbotError):
    """Redis is unreachable, or the fleet's state does not allow what was asked."""


def redis_url_from(settings: Any) -> str:
    """`NEWSBOT_REDIS_URL` from Scrapy settings, else the environment; "" when not a fleet."""
    value = (settings.get(URL_ENV) if settings is not None else None) or os.environ.get(URL_ENV)
    return str(value or "").strip()


def connect(url: str) -> redis.Redis:
    """A client for `url` (redis://[:password@]host:port/db, rediss://..., unix:///path?db=0).

    Raises UsageError with one line for a malformed URL or a server that does not answer.
    """
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise UsageError(
            f"NEWSBOT_REDIS_URL must start with redis://, rediss:// or unix://, got {url!r}"
        )
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30
        )
        client.ping()
    except (redis.RedisError, ValueError, OSError) as error:
        raise FleetError(f"cannot reach Redis at {_without_password(url)}: {error}") from error
    return client


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def worker_id() -> str:
    """Unique per process and readable in `redis-cli`: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class RunKeys:
    """Keys of one crawl run. A new run gets a new id, so its frontier and fingerprints start
    empty while the crawl state (kept across runs) still skips unchanged articles."""

    run_id: str

    @property
    def base(self) -> str:
        return f"{PREFIX}run:{self.run_id}:"

    @property
    def frontier(self) -> str:
        return self.base + "frontier"

    @property
    def seen(self) -> str:
        return self.base + "seen"

    @property
    def workers(self) -> str:
        return self.base + "workers"

    @property
    def lease_prefix(self) -> str:
        return self.base + "leases:"

    def leases(self, worker: str) -> str:
        return self.lease_prefix + worker

    @property
    def lease_seq(self) -> str:
        return self.base + "lease_seq"

    @property
    def handed_off(self) -> str:
        return self.base + "handed_off"

    @property
    def found(self) -> str:
        return self.base + "found"


RUN = PREFIX + "run"  # hash: id, sections, state (running | done), started_at, done_at
RUN_SEQ = PREFIX + "run_seq"
ITEMS = PREFIX + "items"  # list of item envelopes (JSON), oldest at the left
ITEMS_IN_FLIGHT = PREFIX + "items:in_flight"  # taken by the index writer, not yet committed
INDEX_WRITER = PREFIX + "index_writer"  # lock: the id of the one index writer, with a TTL
CRAWL_STATE = PREFIX + "crawlstate"  # hash: URL -> JSON record (newsbot.state.redis_backend)


def host_keys(host: str) -> tuple[str, str]:
    """The politeness keys of one host: next allowed send time, and requests in flight."""
    return f"{PREFIX}host:{host}:next", f"{PREFIX}host:{host}:active"


_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000\n"

# KEYS: run, run_seq. ARGV: sections, worker, key prefix. A worker joins the running run when it
# crawls the same sections, or starts a new run when the last one is done (or there is none).
JOIN = (
    _NOW
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'running' then
  local sections = redis.call('HGET', KEYS[1], 'sections')
  if sections ~= ARGV[1] then return {'conflict', sections} end
else
  local old = redis.call('HGET', KEYS[1], 'id')
  if old then
    local base = ARGV[3] .. 'run:' .. old .. ':'
    redis.call('DEL', base .. 'frontier', base .. 'seen', base .. 'workers', base .. 'lease_seq',
               base .. 'handed_off', base .. 'found')
  end
  local id = redis.call('INCR', KEYS[2])
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'id', id, 'sections', ARGV[1], 'state', 'running',
             'started_at', tostring(now))
end
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('HSET', ARGV[3] .. 'run:' .. id .. ':workers', ARGV[2], tostring(now) .. '|starting')
return {'joined', id}
"""
)

# Requeue every lease of one worker (its entries are "score\\npayload") and forget the worker.
_REQUEUE = """
local function requeue(lease_key, frontier)
  local leases = redis.call('HGETALL', lease_key)
  for i = 2, #leases, 2 do
    local entry = leases[i]
    local cut = string.find(entry, '\\n', 1, true)
    redis.call('ZADD', frontier, string.sub(entry, 1, cut - 1), string.sub(entry, cut + 1))
  end
  redis.call('DEL', lease_key)
  return #leases / 2
end
"""

# KEYS: run, workers, frontier. ARGV: run id, worker, status (busy | idle), lease timeout (s),
# lease prefix. Heartbeat, give dead workers' leases back, and decide whether the run is done:
# nothing in the frontier, no lease anywhere, and every live worker idle.
TICK = (
    _NOW
    + _REQUEUE
    + """
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return {'gone', 0, 0} end
local state = redis.call('HGET', KEYS[1], 'state')
redis.call('HSET', KEYS[2], ARGV[2], tostring(now) .. '|' .. ARGV[3])
local workers = redis.call('HGETALL', KEYS[2])
local all_idle, leased, reaped = true, 0, 0
for i = 1, #workers, 2 do
  local worker, value = workers[i], workers[i + 1]
  local cut = string.find(value, '|', 1, true)
  local beat, status = tonumber(string.sub(value, 1, cut - 1)), string.sub(value, cut + 1)
  local lease_key = ARGV[5] .. worker
  if now - beat > tonumber(ARGV[4]) then
    reaped = reaped + requeue(lease_key, KEYS[3])
    redis.call('HDEL', KEYS[2], worker)
  else
    if status ~= 'idle' then all_idle = false end
    leased = leased + redis.call('HLEN', lease_key)
  end
end
local pending = redis.call('ZCARD', KEYS[3])
if state == 'running' and all_idle and leased == 0 and pending == 0 then
  redis.call('HSET', KEYS[1], 'state', 'done', 'done_at', tostring(now))
  state = 'done'
end
return {state, pending, reaped}
"""
)

# KEYS: workers, frontier, the worker's leases. ARGV: worker. A worker that stops gives its
# leases back at once instead of waiting for its heartbeat to go stale.
LEAVE = (
    _REQUEUE
    + """
local back = requeue(KEYS[3], KEYS[2])
redis.call('HDEL', KEYS[1], ARGV[1])
return back
"""
)

# KEYS: frontier, the worker's leases, lease_seq. Take the best request and lease it.
POP = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, popped[2] .. '\\n' .. popped[1])
return {tostring(id), popped[1]}
"""

# KEYS: frontier, seen, the worker's leases, items, handed_off.
# ARGV: lease id ('' for none), request count n, then n triples (fingerprint or '' for
# dont_filter, score, payload), then item envelopes. The output of a leased request (new
# requests, items) and the end of its lease are one step. Returns 1/0 per request: queued or not.
PUSH = """
local n = tonumber(ARGV[2])
local queued = {}
for i = 0, n - 1 do
  local fp, score, payload = ARGV[3 + 3 * i], ARGV[4 + 3 * i], ARGV[5 + 3 * i]
  if fp == '' or redis.call('SADD', KEYS[2], fp) == 1 then
    redis.call('ZADD', KEYS[1], score, payload)
    queued[#queued + 1] = 1
  else
    queued[#queued + 1] = 0
  end
end
local first_item = 3 + 3 * n
if #ARGV >= first_item then
  for i = first_item, #ARGV do redis.call('RPUSH', KEYS[4], ARGV[i]) end
  redis.call('INCRBY', KEYS[5], #ARGV - first_item + 1)
end
if ARGV[1] ~= '' then redis.call('HDEL', KEYS[3], ARGV[1]) end
return queued
"""

# KEYS: next-send time, in-flight set. ARGV: interval (s, 0 = no rate limit), concurrency (0 = no
# limit), token, hold (s). GCRA with a burst of one: grants are at least `interval` apart for the
# whole fleet. Returns "0" (go) or the seconds to wait, as a string (Lua numbers become integers).
ACQUIRE = (
    _NOW
    + """
local limit = tonumber(ARGV[2])
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= limit then return '0.02' end
end
local interval = tonumber(ARGV[1])
if interval > 0 then
  local next_send = tonumber(redis.call('GET', KEYS[1]) or '0')
  if next_send > now then return tostring(next_send - now) end
  redis.call('SET', KEYS[1], tostring(now + interval), 'PX', math.ceil(interval * 1000) + 60000)
end
if limit > 0 then redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3]) end
return '0'
"""
)

# KEYS: items, in flight. ARGV: how many. The index writer takes items, oldest first.
TAKE = """
local taken = {}
for i = 1, tonumber(ARGV[1]) do
  local item = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not item then break end
  taken[#taken + 1] = item
end
return taken
"""

# KEYS: items, in flight. Put what a killed index writer had taken back at the head of the queue.
REQUEUE_ITEMS = """
local n = 0
while redis.call('LMOVE', KEYS[2], KEYS[1], 'RIGHT', 'LEFT') do n = n + 1 end
return n
"""
