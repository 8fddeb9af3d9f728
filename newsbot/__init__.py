"""newsbot: crawl a news section into a private, searchable archive."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/newsbot-archive/newsbot"
