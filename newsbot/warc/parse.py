"""A located capture -> the article item a crawl of the same page stores, or why there is none.

Kept apart from `ingest` (the Scrapy crawl around the pipelines) so that the processes that only
read and parse (newsbot.warc.read_ahead, the `--procs` pool) load no more than they use.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import HtmlResponse

from newsbot.parsers import NotAnArticle, ParseError, parse_article
from newsbot.warc.reader import Located, UndecodableBody, read_capture


def parse_located(located: Located) -> dict[str, Any] | str:
    """The item the capture holds, or why it holds none (a stat name). Runs in any process.

    A Scrapy `HtmlResponse` decodes the body and `parse_article` reads it, exactly as the
    section spider does with a response, so an ingested article equals a crawled one."""
    try:
        capture = read_capture(located)
    except UndecodableBody:
        return "undecodable"
    except OSError:
        return "unreadable"
    headers = {"Content-Type": capture.content_type} if capture.content_type else None
    response = HtmlResponse(url=capture.url, body=capture.body, headers=headers)
    try:
        item = parse_article(response.text, response.url)
    except NotAnArticle:
        return "not_article"
    except ParseError:
        return "parse_error"
    item["source_url"] = capture.url
    item["crawled_at"] = capture.date
    return dict(item)
