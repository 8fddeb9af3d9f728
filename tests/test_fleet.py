"""The fleet against a real redis-server: workers and one index writer over a local mirror.

Each test starts its own redis-server on a Unix socket (tests/fleet_helpers.py) and the crawl
processes as a user would (`newsbot crawl ...` with NEWSBOT_REDIS_URL, `newsbot index-worker`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fleet_helpers import (
    environment,
    exported,
    finish,
    index_worker_command,
    kill,
    logs,
    newsbot,
    redis_server,
    start,
    wait_until,
    worker_command,
)

from newsbot.devserver import local_crawl_command
from newsbot.fleet import connection, serialize
from newsbot.fleet.testbed import SlowSiteServer, write_mirror

SECTIONS = ["americas", "asia", "europe"]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path / "redis") as url:
        yield url


def _site(tmp_path: Path, per_section: int, latency: tuple[float, float] = (0, 0)) -> Any:
    root = tmp_path / "mirror"
    urls = write_mirror(root, SECTIONS, per_section)
    return SlowSiteServer(root, latency=latency), urls


def _articles(docs: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """What must match between two archives: per URL, the stored content."""
    return {
        d["url"]: (d["headline"], d["body"], d["content_hash"], d["published"], d["section"])
        for d in docs
    }


def _article_hits(server: SlowSiteServer, urls: list[str]) -> dict[str, int]:
    paths = [u.removeprefix("https://www.nytimes.com") for u in urls]
    return {p: server.hits(p) for p in paths}


def _run_fleet(
    tmp_path: Path, server: SlowSiteServer, redis_url: str, workers: int, *settings: str
) -> tuple[Path, dict[str, str]]:
    index, env = tmp_path / "fleet-index", environment(tmp_path / "home", redis_url)
    log = tmp_path / "fleet.log"
    writer = start(index_worker_command(index, tmp_path / "feed.jsonl"), env, log)
    crawlers = [
        start(worker_command(server.url, index, SECTIONS, *settings), env, log)
        for _ in range(workers)
    ]
    for process in [*crawlers, writer]:
        finish(process, log)
    return index, env


def test_two_workers_and_an_index_writer_store_what_a_single_crawl_stores(
    tmp_path: Path, redis_url: str
) -> None:
    site, urls = _site(tmp_path, per_section=12)
    with site as server:
        single_index = tmp_path / "single-index"
        single_env = environment(tmp_path / "home1", None)
        single_log = tmp_path / "single.log"
        single = start(
            newsbot("crawl", *SECTIONS, "--site", server.url, "--index", str(single_index)),
            single_env,
            single_log,
        )
        finish(single, single_log)
        server.clear_requests()

        index, env = _run_fleet(tmp_path, server, redis_url, workers=2)
        hits = _article_hits(server, urls)

    single_docs, fleet_docs = exported(single_index, single_env), exported(index, env)
    assert len(single_docs) == len(urls) == 36
    assert _articles(fleet_docs) == _articles(single_docs)
    assert len(fleet_docs) == len({d["url"] for d in fleet_docs})
    # One frontier and one dupefilter: every article was fetched once by the whole fleet.
    assert set(hits.values()) == {1}, hits
    feed = [json.loads(x) for x in (tmp_path / "feed.jsonl").read_text().splitlines()]
    assert sorted(i["url"] for i in feed) == sorted(urls)
    shared = redis.Redis.from_url(redis_url)
    assert shared.llen(connection.ITEMS) == shared.llen(connection.ITEMS_IN_FLIGHT) == 0
    # The crawl state the workers read next time is in Redis, the index's own one beside it.
    assert shared.hlen(connection.CRAWL_STATE) >= len(urls)
    assert (index / "crawlstate.sqlite").exists()


def test_a_sigkilled_worker_loses_nothing(tmp_path: Path, redis_url: str) -> None:
    site, urls = _site(tmp_path, per_section=20, latency=(0.08, 0.15))
    with site as server:
        index, env = tmp_path / "index", environment(tmp_path / "home", redis_url)
        log = tmp_path / "fleet.log"
        writer = start(index_worker_command(index, tmp_path / "feed.jsonl"), env, log)
        command = worker_command(server.url, index, SECTIONS)
        doomed, steady = start(command, env, log), start(command, env, log)
        # Mid-run: some articles fetched, most not; the doomed worker holds leases.
        wait_until(lambda: sum(_article_hits(server, urls).values()) >= 12, what="articles")
        kill(doomed)
        restarted = start(command, env, log)
        for process in (steady, restarted, writer):
            finish(process, log)
        hits = _article_hits(server, urls)

    docs = exported(index, env)
    assert sorted(d["url"] for d in docs) == sorted(urls)
    # The killed worker held leases, and another worker gave them back to the frontier.
    assert "leased by workers that stopped answering" in logs(tmp_path / "home")
    # Only what the killed worker had in hand was fetched again.
    assert all(h >= 1 for h in hits.values())
    assert sum(hits.values()) - len(urls) <= 2 * 4


def test_a_sigkilled_index_writer_stores_every_article_once(tmp_path: Path, redis_url: str) -> None:
    site, urls = _site(tmp_path, per_section=20)
    shared = redis.Redis.from_url(redis_url)
    with site as server:
        index, env = tmp_path / "index", environment(tmp_path / "home", redis_url)
        log = tmp_path / "fleet.log"
        for worker in [start(worker_command(server.url, index, SECTIONS), env, log)]:
            finish(worker, log)
        assert shared.llen(connection.ITEMS) == len(urls)
        writer = start(index_worker_command(index, tmp_path / "feed1.jsonl"), env, log)
        # Killed after some batches were committed (the crawl state records only those).
        wait_until(lambda: shared.hlen(connection.CRAWL_STATE) >= 10, what="a first commit")
        kill(writer)
        assert shared.llen(connection.ITEMS) + shared.llen(connection.ITEMS_IN_FLIGHT) > 0
        finish(start(index_worker_command(index, tmp_path / "feed2.jsonl"), env, log), log)

    docs = exported(index, env)
    assert sorted(d["url"] for d in docs) == sorted(urls)
    assert shared.llen(connection.ITEMS) == shared.llen(connection.ITEMS_IN_FLIGHT) == 0


def test_the_fleet_keeps_one_rate_per_host(tmp_path: Path, redis_url: str) -> None:
    rate = 8.0
    site, _ = _site(tmp_path, per_section=8)
    with site as server:
        _run_fleet(
            tmp_path,
            server,
            redis_url,
            2,
            f"NEWSBOT_FLEET_HOST_RATE={rate}",
            "CONCURRENT_REQUESTS_PER_DOMAIN=4",
        )
        arrivals = sorted(server.arrivals())
    assert len(arrivals) > 20
    # Any rate+1 requests in a row span a second or more (less a little scheduling noise).
    step = int(rate)
    spans = [arrivals[i + step] - arrivals[i] for i in range(len(arrivals) - step)]
    assert min(spans) >= 0.95, min(spans)
    assert (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) <= 1.05 * rate


def test_the_next_run_starts_fresh_and_skips_unchanged_articles(
    tmp_path: Path, redis_url: str
) -> None:
    site, urls = _site(tmp_path, per_section=6)
    shared = redis.Redis.from_url(redis_url)
    with site as server:
        index, env = _run_fleet(tmp_path, server, redis_url, workers=1)
        first_run = shared.hget(connection.RUN, "id")
        server.clear_requests()
        log = tmp_path / "second.log"
        worker = start(worker_command(server.url, index, SECTIONS), env, log)
        finish(worker, log)
        hits = _article_hits(server, urls)
        fronts = server.hits("/section/world/europe")
    assert shared.hget(connection.RUN, "id") != first_run
    assert fronts == 1  # a fresh dupefilter: the fronts are read again
    assert set(hits.values()) == {0}  # and every article is known unchanged
    assert "18 unchanged" in log.read_text()
    assert shared.llen(connection.ITEMS) == 0


def test_a_worker_for_other_sections_is_refused_while_a_run_is_on(
    tmp_path: Path, redis_url: str
) -> None:
    shared = redis.Redis.from_url(redis_url)
    shared.hset(connection.RUN, mapping={"id": "7", "sections": "americas", "state": "running"})
    env = environment(tmp_path / "home", redis_url)
    log = tmp_path / "refused.log"
    process = start(newsbot("crawl", "europe", "--site", "http://127.0.0.1:9"), env, log)
    assert process.wait(60) != 0
    text = log.read_text()
    assert "running a crawl of 'americas'" in text
    assert "Traceback" not in text


def test_requests_travel_as_json_not_pickle() -> None:
    payload = {"url": "https://x/", "headers": {b"Accept": [b"text/html"]}, "body": b"\x00\xff"}
    text = serialize.dumps(payload)
    assert serialize.loads(text) == payload
    json.loads(text)  # plain JSON: nothing in it can run code when read
    with pytest.raises(TypeError):
        serialize.dumps({"meta": {"when": object()}})


def test_the_host_budget_holds_concurrency_and_spacing_across_clients(redis_url: str) -> None:
    # Two clients stand in for two workers: the budget is the server's, not a client's.
    first, second = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    acquire = [c.register_script(connection.ACQUIRE) for c in (first, second)]
    keys = list(connection.host_keys("127.0.0.1:8080"))

    def ask(client: int, token: str, interval: float = 0.0, limit: int = 2) -> float:
        return float(acquire[client](keys=keys, args=[interval, limit, token, 60]))

    assert ask(0, "a") == 0 and ask(1, "b") == 0
    assert ask(0, "c") > 0  # two in flight fleet-wide: the third waits
    first.zrem(keys[1], "a")  # one comes back
    assert ask(1, "c") == 0
    first.zrem(keys[1], "b", "c")
    # Spacing: after one grant, the other client must wait about the interval.
    assert ask(0, "d", interval=0.5, limit=0) == 0
    wait = ask(1, "e", interval=0.5, limit=0)
    assert 0.3 < wait <= 0.5


def test_scrapy_crawl_and_newsbot_crawl_join_one_fleet(tmp_path: Path, redis_url: str) -> None:
    site, urls = _site(tmp_path, per_section=10)
    americas = [u for u in urls if "/world/americas/" in u]
    with site as server:
        index, env = tmp_path / "index", environment(tmp_path / "home", redis_url)
        log = tmp_path / "fleet.log"
        scrapy_worker = local_crawl_command(
            server.url, index, None, "-s", "NEWSBOT_FLEET_LEASE_SECONDS=2"
        )
        processes = [
            start(index_worker_command(index, tmp_path / "feed.jsonl"), env, log),
            start(scrapy_worker, env, log),
            start(worker_command(server.url, index, ["americas"]), env, log),
        ]
        for process in processes:
            finish(process, log)
        hits = _article_hits(server, americas)
    assert sorted(d["url"] for d in exported(index, env)) == sorted(americas)
    assert set(hits.values()) == {1}
