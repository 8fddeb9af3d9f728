"""Where newsbot keeps an archive: the index, the feeds, crawl logs and captures.

Everything lives under one folder, the data home, laid out the same way wherever it is:

    <home>/index/          the Whoosh index, with crawl state and dedupe state beside it
    <home>/data/feeds/     each crawl's feed and the front snapshots
    <home>/data/logs/      Scrapy's log of each `newsbot crawl`

The home is `$NEWSBOT_HOME` when set. Otherwise, inside a checkout (the folder with scrapy.cfg
that this package was loaded from) it is the checkout itself, so `index/` and `data/` stay where
`scrapy crawl` always put them. Installed as a tool, it is the platform's folder for user data
(platformdirs: `~/.local/share/newsbot` on Linux, `~/Library/Application Support/newsbot` on
macOS, `%LOCALAPPDATA%\\newsbot` on Windows), so `newsbot` finds the same archive from any
directory.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "NEWSBOT_HOME"
INDEX_ENV = "NEWSBOT_INDEX_DIR"
FEED_ENV = "NEWSBOT_FEED_DIR"


def checkout_root() -> Path | None:
    """The source checkout newsbot runs from, or None when it is installed as a package."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "scrapy.cfg").is_file() else None


def data_home() -> Path:
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    root = checkout_root()
    if root is not None:
        return root
    # Imported here: only an installed newsbot needs it, and every command pays for imports.
    from platformdirs import user_data_path

    return user_data_path("newsbot", appauthor=False)


def index_dir() -> Path:
    """`$NEWSBOT_INDEX_DIR`, else `<home>/index`."""
    return Path(os.environ.get(INDEX_ENV) or data_home() / "index").expanduser()


def feed_dir() -> Path:
    """`$NEWSBOT_FEED_DIR`, else `<home>/data/feeds`."""
    return Path(os.environ.get(FEED_ENV) or data_home() / "data" / "feeds").expanduser()


def log_dir() -> Path:
    return data_home() / "data" / "logs"


def is_off(value: object) -> bool:
    """A folder or file setting of `off` (or none, 0, false) means: write nothing there."""
    return str(value).strip().lower() in {"off", "none", "0", "false", "no"}
