"""Scrapy settings for newsbot, grouped by concern. Every NEWSBOT_* setting is listed in README.

Any of them can be overridden per run with `-s NAME=VALUE`, and the NEWSBOT_* ones also from the
environment of the same name.
"""

from __future__ import annotations

import os

from newsbot import PROJECT_URL, __version__, home

BOT_NAME = "newsbot"
SPIDER_MODULES = ["newsbot.spiders"]
NEWSPIDER_MODULE = "newsbot.spiders"
# Our `scrapy crawl` exits non-zero when a crawl found nothing or could not take the index.
COMMANDS_MODULE = "newsbot.scrapy_commands"

# --- Where things go (newsbot/home.py: $NEWSBOT_HOME, the checkout, or the platform's folder) ---
# Origin that stands in for every *.nytimes.com host (a local mirror, the sample site, ...).
NEWSBOT_SITE = os.environ.get("NEWSBOT_SITE", "https://www.nytimes.com")
# The Whoosh index the index pipeline writes and `newsbot` reads.
NEWSBOT_INDEX_DIR = str(home.index_dir())
# JSON Lines feed written by a plain `scrapy crawl` (no -o/-O): one file per spider and run.
NEWSBOT_FEED_DIR = str(home.feed_dir())

# --- Politeness -------------------------------------------------------------------------------
# NYT's robots.txt disallows the "Scrapy" token entirely; say honestly who we are instead.
USER_AGENT = f"newsbot/{__version__} (+{PROJECT_URL})"
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts this many asyncio tasks for every callback's output, however little it yields:
# with the default 100, creating and ending them was 10% of the crawl's main thread (py-spy,
# bench/bench_crawl.py), for callbacks that yield one item (an article) or only requests (a
# sitemap), which need no parallelism. 4 made the full crawl 10-13% faster.
CONCURRENT_ITEMS = 4
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
# Largest body accepted, counted after Content-Encoding is undone (Scrapy's HttpCompression
# stops inflating at this size), so a gzip bomb costs at most this much memory. The largest
# real NYT page seen is 1.6 MB (a 2021 homepage); 16 MiB leaves room for any live blog. The
# news sitemap request carries NEWSBOT_SITEMAP_MAX_BYTES as its own limit instead.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
# A body past this size is logged as a WARNING: news pages and feeds are 2-3 times smaller.
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
COOKIES_ENABLED = False

# --- Discovery and navigation (spiders, mirroring, incremental state) ------------------------
# After every built-in downloader middleware, so robots.txt, redirects, retries and compression
# all work with the site's own URLs (see newsbot/middlewares.py).
DOWNLOADER_MIDDLEWARES = {
    "newsbot.middlewares.SiteMirrorMiddleware": 950,
    # Between the mirror (site URLs back) and HttpCompression (590): raw bytes, site URLs.
    "newsbot.warc.capture.WarcCaptureMiddleware": 920,
    # Between the mirror and RedirectMiddleware (600): it sees site URLs.
    "newsbot.middlewares.RedirectGuardMiddleware": 700,
    # Before DownloadTimeoutMiddleware (350): discovery pages and robots.txt fail fast.
    "newsbot.middlewares.DiscoveryTimeoutMiddleware": 340,
}
EXTENSIONS = {
    "newsbot.extensions.FrontSnapshots": 500,
    "newsbot.extensions.ZeroArticleAlarm": 510,
    "newsbot.extensions.CrawlRecord": 530,
    "newsbot.extensions.LossReport": 520,
    "newsbot.extensions.FrozenStartup": 540,
}
# Seconds a discovery page (front, feed, sitemap) or robots.txt may take, and its retries: an
# unreachable site is reported within timeout x (1 + retries) seconds, not minutes.
NEWSBOT_DISCOVERY_TIMEOUT = 10.0
NEWSBOT_DISCOVERY_RETRIES = 1
# Which sources a section crawl reads to find articles.
NEWSBOT_DISCOVER_FRONT = True
NEWSBOT_DISCOVER_RSS = True
NEWSBOT_DISCOVER_SITEMAP = True
# Largest unpacked news sitemap accepted (gzip bomb guard), in bytes, whether it comes as a .gz
# file or with Content-Encoding: gzip.
NEWSBOT_SITEMAP_MAX_BYTES = 50 * 1024 * 1024
# Backlog requests (news sitemap, backfill) kept in the scheduler at a time; the rest wait as URLs.
NEWSBOT_BACKFILL_BATCH = 32
# Seconds between backfill progress lines (done, remaining, rate, ETA); 0 for none.
NEWSBOT_BACKFILL_PROGRESS_SECONDS = 60.0
# Log lines of one kind (logger, level, message) before the rest are only counted and summarised.
NEWSBOT_LOG_REPEAT_LIMIT = 20
# Incremental state (SQLite); empty means <NEWSBOT_INDEX_DIR>/crawlstate.sqlite, "off" disables.
NEWSBOT_STATE_PATH = os.environ.get("NEWSBOT_STATE_PATH", "")
# Front snapshots: empty means <feed dir>/<spider>-fronts.jsonl (%(name)s is the spider).
NEWSBOT_FRONTS_ENABLED = True
NEWSBOT_FRONTS_PATH = os.environ.get("NEWSBOT_FRONTS_PATH", "")
# End a crawl that found no article with reason no_articles and a loud ERROR.
NEWSBOT_ZERO_ALARM = True
# A WARNING for each article found and not stored, up to this many; the rest are only counted.
NEWSBOT_LOST_WARNINGS = 20

# --- WARC capture (see docs/warc.md) ----------------------------------------------------------
# Write every fetched response, with its request, to WARC 1.1 files (`newsbot reextract` and
# `newsbot ingest` read them back).
NEWSBOT_WARC_ENABLED = True
# Where the files go; empty means warc/ beside NEWSBOT_INDEX_DIR (warc/ in the project).
NEWSBOT_WARC_DIR = os.environ.get("NEWSBOT_WARC_DIR", "")
# Start a new file once the current one reaches this size, in bytes (the usual 1 GB).
NEWSBOT_WARC_MAX_BYTES = 1_000_000_000
# Responses waiting for the capture process; when full the crawl waits instead of losing one.
NEWSBOT_WARC_QUEUE_SIZE = 64

# --- Output -----------------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
# Both consoles accept commands from anyone who can reach the port; a crawler needs neither.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"

# --- Archive pipelines (clean ▸ validate ▸ dedupe/revisions ▸ index) --------------------------
ITEM_PIPELINES = {
    "newsbot.pipelines.clean.CleanPipeline": 100,
    "newsbot.pipelines.validate.ValidatePipeline": 200,
    "newsbot.pipelines.dedupe.DedupePipeline": 300,
    "newsbot.pipelines.index.IndexPipeline": 400,
}
# Each pipeline can be switched off (it then raises NotConfigured and Scrapy skips it).
NEWSBOT_CLEAN_ENABLED = True
NEWSBOT_VALIDATE_ENABLED = True
NEWSBOT_DEDUPE_ENABLED = True
NEWSBOT_INDEX_ENABLED = True
# Extra body lines to remove as boilerplate, besides the built-in ones (clean.BOILERPLATE).
NEWSBOT_CLEAN_BOILERPLATE: list[str] = []
# Warn when a field's completeness falls by at least this share (0..1) since the last crawl.
NEWSBOT_VALIDATE_COMPLETENESS_DROP = 0.25
# Near-duplicates (MinHash Jaccard estimate of word 3-shingles >= threshold) are flagged with
# near_duplicate_of ("keep") or dropped ("drop"). Exact copies under other URLs are always dropped.
NEWSBOT_DEDUPE_NEAR = "keep"
NEWSBOT_DEDUPE_NEAR_THRESHOLD = 0.8
# Commit the index every this many items, or when the oldest uncommitted item is this old (s);
# a crash loses at most that batch. Items reach the feed only after their batch is committed.
# A batch is also committed as soon as the crawl has nothing to do but wait for it.
NEWSBOT_INDEX_COMMIT_ITEMS = 100
NEWSBOT_INDEX_COMMIT_SECONDS = 5.0
# Scrapy keeps the response of every item waiting for its commit and stops downloading beyond
# this many bytes of them: a batch of 300 KB pages committing and half of the next filling
# (Scrapy's 5 MB held 16 pages, so batches never filled). Once indexing is what bounds the
# crawl, more room only queues more of it: at 100 MB a 10,000-page crawl held 390 MiB and
# ended 6.3 s after its last page, at 48 MB 273 MiB and 0.9 s (docs/crawl-throughput.md).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 48_000_000
# How long a crawl waits for another crawl (or a reindex) to release the index before giving up.
NEWSBOT_INDEX_LOCK_TIMEOUT = 30.0

# --- Fleet (docs/fleet.md): workers on any machines, one Redis, one index writer -------------
# redis://[:password@]host:port/db or unix:///path/redis.sock; set, it makes every crawl a fleet
# worker, and `newsbot index-worker` the one process that writes the index.
NEWSBOT_REDIS_URL = os.environ.get("NEWSBOT_REDIS_URL", "")
ADDONS = {"newsbot.fleet.addon.FleetAddon": 0}
# Requests per second to one host from the whole fleet; empty means 1/DOWNLOAD_DELAY, 0 no limit.
NEWSBOT_FLEET_HOST_RATE = ""
# Requests in flight to one host from the whole fleet; empty means CONCURRENT_REQUESTS_PER_DOMAIN.
NEWSBOT_FLEET_HOST_CONCURRENCY = ""
# A worker silent this long (s) is taken for dead, and its leased requests go back to the queue.
NEWSBOT_FLEET_LEASE_SECONDS = 30.0
