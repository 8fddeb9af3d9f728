"""The de-duplication state on disk: which URL carries which content, and SimHash bands to find
near-duplicates, in SQLite beside the index (`newsbot-dedupe.sqlite3`).

Nothing is held in memory per article: lookups are indexed SQLite queries and the page cache is
capped, so memory stays flat at a million articles (see bench/bench_dedupe_memory.py).

Near-duplicates: MinHash over word 3-shingles (64 values of 16 bits, one 128-byte signature per
article), and LSH banding: 16 bands of 4 values, each band hashed into the `bands` table. Texts
with Jaccard similarity 0.8 share a band with probability 0.9998, unrelated articles (≈0.02)
almost never; candidates are then checked against the signature. (A 64-bit SimHash was measured
first and missed half of the near-copies at a Hamming radius that its band lookup can afford.)

The index is the source of truth. The store is committed right after each index commit (all it
holds then is in the index, because the index pipeline commits every item the de-duplication
passed before that moment) and rolled back otherwise; `reconcile` repairs the one gap, a kill
between the two commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any, NamedTuple

from newsbot.dates import utc_naive
from newsbot.search.stored import IndexedItems, indexed_items
from newsbot.state.minhash import PERMUTATIONS, SCHEME, minhash, similarity

logger = logging.getLogger(__name__)

STORE_FILE = "newsbot-dedupe.sqlite3"
BANDS = 16
_ROWS = PERMUTATIONS // BANDS
# Page cache per connection, KiB (negative cache_size): bounds memory however big the store.
_CACHE_KIB = 8192
# How long before an index batch was sealed an item may have passed de-duplication and still
# be waiting to join a later batch (seconds): one commit's duration, with room to spare.
_WAIT_MARGIN = 120.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,     -- first 8 bytes of sha256(url), signed: no second copy of the URL
    url TEXT NOT NULL,
    content_hash BLOB NOT NULL, -- first 16 bytes of the sha256 content_hash: enough to compare
    signature BLOB NOT NULL,    -- MinHash, PERMUTATIONS unsigned 16-bit values
    published TEXT,             -- UTC ISO 8601 without offset, so that text order is time order
    seen_at REAL NOT NULL       -- unix time this row was last written
);
CREATE INDEX IF NOT EXISTS articles_by_content ON articles (content_hash);
CREATE TABLE IF NOT EXISTS bands (
    band INTEGER NOT NULL,
    value INTEGER NOT NULL,     -- hash of the band's values, 32-bit
    id INTEGER NOT NULL,
    PRIMARY KEY (band, value, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aliases (
    alternate TEXT PRIMARY KEY, -- a URL that carried a stored article's content
    url TEXT NOT NULL,
    seen_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_by_url ON aliases (url);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
"""


class Match(NamedTuple):
    url: str
    similarity: float
    published: str | None


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def band_values(signature: bytes) -> list[int]:
    """One 32-bit key per band of `_ROWS` signature values (a chance collision only adds a
    candidate, which the full signature then rejects)."""
    width = len(signature) // BANDS
    return [_hash64(signature[i * width : (i + 1) * width]) >> 32 for i in range(BANDS)]


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def utc_text(iso: str | None) -> str | None:
    """An ISO 8601 instant as naive-UTC text, comparable as a string; None if unparsable."""
    try:
        when = utc_naive(iso)
    except ValueError:
        return None
    return when.isoformat() if when else None


def url_key(url: str) -> int:
    return _signed(int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big"))


def _content_key(content_hash: str) -> bytes:
    return bytes.fromhex(content_hash)[:16]


class DedupeStore:
    """URL → content hash and MinHash, content → URL, alternate → URL; one SQLite file."""

    def __init__(self, path: Path, threshold: float = 0.8) -> None:
        self.path = Path(path)
        self.threshold = threshold
        self._db: sqlite3.Connection | None = None
        # Articles re-signed by the last open() (a store of an older MinHash scheme).
        self.resigned = 0

    def __enter__(self) -> DedupeStore:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we open and end transactions ourselves, in step with the index.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN")
        try:
            self.resigned = self._resign_if_older_scheme()
        except BaseException:
            self.close()
            raise

    def _resign_if_older_scheme(self) -> int:
        """Bring a store signed with an older MinHash scheme to the current one; return how
        many articles were re-signed.

        Signatures of two schemes cannot be compared, so every stored one is computed again
        from its article's body in the index beside the store (`STORE_FILE` lives in the index
        directory). Rows the index does not have are dropped: the store only ever holds what
        the index committed, so they are left over from a crawl that died. All of it is one
        transaction: a kill midway leaves the old store, and the next open starts again.
        """
        scheme = self._get_meta("minhash_scheme", None)
        if scheme == SCHEME:
            return 0
        stored = self.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        resigned = 0
        if stored:
            # Said before, not only after: a large archive takes minutes (0.4 ms an article).
            logger.warning(
                "De-duplication signatures of %d articles are of MinHash scheme %s; re-signing "
                "them from the index (scheme %d), once",
                stored,
                scheme or 1,
                SCHEME,
            )
            # Stores from before schemes were recorded are of scheme 1.
            self.db.execute("DELETE FROM bands")
            found: set[int] = set()
            with indexed_items(self.path.parent) as items:
                for item in items.every() if items is not None else ():
                    key = url_key(item["url"])
                    if key in found or not self.has(item["url"]):
                        continue
                    signature = minhash(item.get("body") or "")
                    self.db.execute(
                        "UPDATE articles SET signature = ? WHERE id = ?", (signature, key)
                    )
                    self._add_bands(key, signature)
                    found.add(key)
            rows = self.db.execute("SELECT id, url FROM articles").fetchall()
            gone = [(key, url) for key, url in rows if key not in found]
            self.db.executemany("DELETE FROM articles WHERE id = ?", [(k,) for k, _ in gone])
            self.db.executemany("DELETE FROM aliases WHERE url = ?", [(u,) for _, u in gone])
            resigned = len(found)
        self._set_meta("minhash_scheme", SCHEME)
        self.db.commit()
        self.db.execute("BEGIN")
        return resigned

    def close(self) -> None:
        """Close without committing: what was not committed was not confirmed by the index."""
        if self._db is not None:
            self._db.rollback()
            self._db.close()
            self._db = None

    @property
    def is_open(self) -> bool:
        return self._db is not None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("DedupeStore is not open")
        return self._db

    def commit(self, confirmed_until: float | None = None) -> None:
        """Make everything so far durable, and mark it confirmed by the index: all of it, or
        (`confirmed_until`, unix time) only the rows written before then. The index pipeline
        commits in a background process while the next batch passes de-duplication, so an
        index commit confirms the rows up to the moment its batch was sealed; `reconcile`
        checks the later ones against the index after an unclean stop."""
        self._set_meta("synced_at", time.time())
        self._set_meta("unconfirmed_after", confirmed_until)
        self.db.commit()
        self.db.execute("BEGIN")

    def has(self, url: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM articles WHERE id = ? AND url = ?", (url_key(url), url)
        ).fetchone()
        return row is not None

    def signature_of(self, url: str) -> bytes | None:
        row = self.db.execute(
            "SELECT signature FROM articles WHERE id = ? AND url = ?", (url_key(url), url)
        ).fetchone()
        return row[0] if row else None

    def url_for_content(self, content_hash: str) -> str | None:
        row = self.db.execute(
            "SELECT url FROM articles WHERE content_hash = ? ORDER BY seen_at LIMIT 1",
            (_content_key(content_hash),),
        ).fetchone()
        return row[0] if row else None

    def primary_for(self, alternate: str) -> str | None:
        row = self.db.execute(
            "SELECT url FROM aliases WHERE alternate = ?", (alternate,)
        ).fetchone()
        return row[0] if row else None

    def near(self, signature: bytes, exclude: str) -> Match | None:
        """The stored article (not `exclude`) most similar to `signature`, at least `threshold`."""
        best: Match | None = None
        seen: set[int] = set()
        for band, value in enumerate(band_values(signature)):
            rows = self.db.execute(
                "SELECT a.id, a.url, a.signature, a.published"
                " FROM bands b JOIN articles a ON a.id = b.id"
                " WHERE b.band = ? AND b.value = ?",
                (band, value),
            )
            for key, url, other, published in rows:
                if key in seen or url == exclude:
                    continue
                seen.add(key)
                score = similarity(signature, other)
                if score >= self.threshold and (best is None or score > best.similarity):
                    best = Match(url, score, published)
        return best

    def remember(
        self, url: str, content_hash: str, signature: bytes, published: str | None = None
    ) -> None:
        """Store what `url` carries; `published` is an ISO 8601 instant (any offset)."""
        key = self.forget(url)
        self.db.execute(
            "INSERT INTO articles (id, url, content_hash, signature, published, seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (key, url, _content_key(content_hash), signature, utc_text(published), time.time()),
        )
        self._add_bands(key, signature)

    def _add_bands(self, key: int, signature: bytes) -> None:
        self.db.executemany(
            "INSERT INTO bands (band, value, id) VALUES (?, ?, ?)",
            [(band, value, key) for band, value in enumerate(band_values(signature))],
        )

    def forget(self, url: str) -> int:
        """Remove `url`'s row and band entries; return its key."""
        key = url_key(url)
        row = self.db.execute("SELECT signature FROM articles WHERE id = ?", (key,)).fetchone()
        if row is not None:
            # Delete band entries by their full primary key: `bands` has no index on id alone,
            # which would cost as much disk again as the bands themselves.
            self.db.executemany(
                "DELETE FROM bands WHERE band = ? AND value = ? AND id = ?",
                [(band, value, key) for band, value in enumerate(band_values(row[0]))],
            )
            self.db.execute("DELETE FROM articles WHERE id = ?", (key,))
        return key

    def add_alias(self, alternate: str, url: str) -> None:
        """`alternate` is another address of `url`; aliases of `alternate` move to `url` too."""
        now = time.time()
        self.db.execute(
            "UPDATE aliases SET url = ?, seen_at = ? WHERE url = ?", (url, now, alternate)
        )
        self.db.execute(
            "INSERT OR REPLACE INTO aliases (alternate, url, seen_at) VALUES (?, ?, ?)",
            (alternate, url, now),
        )

    def remember_item(self, item: dict[str, Any]) -> None:
        """Store what an indexed item (with a `content_hash`) carries, and its alternates as
        aliases of it."""
        signature = minhash(item.get("body") or "")
        self.remember(item["url"], item["content_hash"], signature, item.get("published"))
        for alternate in item.get("alternates") or []:
            self.forget(alternate)
            self.add_alias(alternate, item["url"])

    def retain(self, urls: set[str]) -> int:
        """Forget every article whose URL is not in `urls` (what an index rebuilt by
        `newsbot reindex` holds), and the aliases that point at one; return how many articles.
        Uncommitted until `commit`."""
        gone = [url for (url,) in self.db.execute("SELECT url FROM articles") if url not in urls]
        for url in gone:
            self.forget(url)
        aliased = {url for (url,) in self.db.execute("SELECT DISTINCT url FROM aliases")}
        self.db.executemany("DELETE FROM aliases WHERE url = ?", [(u,) for u in aliased - urls])
        return len(gone)

    def reconcile(self, index_dir: Path, margin: float = 3600.0) -> int:
        """Add what the index committed but the store did not, and forget what the store
        committed but the index did not; return how many articles were added.

        The store commits right after the index, so a kill between the two commits leaves the
        index ahead. Documents last seen since shortly before the store's last commit are
        checked (`margin` absorbs clock differences between crawl time and commit time).
        The store can also be ahead by the batch that was filling when the crawl died: rows
        written after its last confirmed moment (less `_WAIT_MARGIN`, for items that waited
        their turn) whose URL is no document are forgotten, so nothing points at them.
        """
        with indexed_items(index_dir) as items:
            if items is None:
                return 0
            unconfirmed_after = self._get_meta("unconfirmed_after", None)
            if unconfirmed_after is not None:
                self._forget_unindexed(items, float(unconfirmed_after) - _WAIT_MARGIN)
            synced_at = float(self._get_meta("synced_at", 0.0))
            since = dt.datetime.fromtimestamp(max(0.0, synced_at - margin), dt.UTC)
            added = 0
            for item in items.seen_since(since):
                if not item.get("content_hash") or self.has(item["url"]):
                    continue
                self.remember_item(item)
                added += 1
        self.commit()
        return added

    def _forget_unindexed(self, items: IndexedItems, since: float) -> None:
        rows = self.db.execute("SELECT url FROM articles WHERE seen_at > ?", (since,)).fetchall()
        for (url,) in rows:
            if not items.has(url):
                self.forget(url)
                self.db.execute("DELETE FROM aliases WHERE url = ?", (url,))

    def stats(self) -> dict[str, Any]:
        articles = self.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        aliases = self.db.execute("SELECT count(*) FROM aliases").fetchone()[0]
        return {"articles": articles, "aliases": aliases}

    def _get_meta(self, key: str, default: Any) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
