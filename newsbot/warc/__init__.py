"""Web captures in WARC 1.1 (ISO 28500): what each crawl fetched, kept as it came over the wire.

- `records`: build WARC records and frame each one as its own gzip member (ISA-L).
- `capture`: the downloader middleware that hands every response of a crawl to the capture
  process, and recovers files a killed crawl left open.
- `capture_worker`: the capture process, which writes them to rotating `.warc.gz` files,
  crash-safe.
- `reader`: read WARC files made by anyone: responses (chunked, gzip), revisits, truncation.
- `files`: where the WARC files live (`warc/` beside the index), and which are finished.
- `read_ahead`: the process that locates and parses captures while an ingest starts up.
- `ingest`: turn captures into articles through the crawl's own item pipelines, for
  `newsbot ingest` (WARCs from elsewhere) and `newsbot reextract` (our own, with today's parser).

See docs/warc.md for the choices and their measurements.
"""
