"""The parser version: which code turned a page into an item, stamped on every item.

It is derived from the code rather than bumped by hand, so it cannot be forgotten: newsbot's
version plus a digest of the source of every module that decides an item's fields (this package,
and the date, URL and item modules it uses). Any edit there gives a new version; `newsbot
reextract` uses it to tell a change the parser made from a change the site made.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from newsbot import __version__

_PACKAGE = Path(__file__).resolve().parent
_SHARED = ("dates.py", "urls.py", "items.py")


def _source_digest() -> str:
    digest = hashlib.sha256()
    paths = sorted(_PACKAGE.glob("*.py")) + [_PACKAGE.parent / name for name in _SHARED]
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


PARSER_VERSION = f"{__version__}+{_source_digest()}"
