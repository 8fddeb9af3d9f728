"""Pure page parsers: page text (and its URL) in, items out. No Scrapy engine, no settings."""

from newsbot.parsers.article import parse_article
from newsbot.parsers.common import NotAnArticle, ParseError

__all__ = ["NotAnArticle", "ParseError", "parse_article"]
