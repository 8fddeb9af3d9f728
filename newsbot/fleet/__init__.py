"""A fleet: crawl workers on any machines sharing one Redis, and one index writer.

With `NEWSBOT_REDIS_URL` set, `scrapy crawl <section>` and `newsbot crawl <section>...` run as
fleet workers (`newsbot.fleet.addon.FleetAddon` switches the components), and
`newsbot index-worker` is the one process that writes the index. Design notes: docs/fleet.md.
"""
