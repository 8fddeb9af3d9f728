"""MinHash signatures of articles' word 3-shingles, for near-duplicate detection.

A signature is 64 values of 16 bits (128 bytes); the share of equal values between two
signatures estimates the Jaccard similarity of the two texts' shingle sets.

Scheme 2 (`SCHEME`), this one, does its per-shingle work in numpy:

- each distinct word is hashed once (8 bytes of BLAKE2b, remembered across articles in a
  bounded table), so Python handles words, not shingles;
- a shingle's hash combines its three words' hashes (odd multipliers, wrapping in 64 bits, so
  word order counts) and goes through MurmurHash3's 64-bit finaliser, which breaks the linear
  relation between shingles that share words;
- the 64 "permutations" are x -> a*x + b mod 2**64 (a odd), and a signature value is the low
  16 bits of each one's minimum (b-bit MinHash: two different minima agree once in 65,536).

Scheme 1 hashed every shingle with BLAKE2b and permuted with (a*x + b) mod 2**61 - 1, exactly,
in 32-bit halves: 0.83 ms per 1,000-word article where scheme 2 takes 0.27, with the same
accuracy (tests/test_minhash.py measures both against true Jaccard similarities). Signatures
of the two schemes are not comparable: `DedupeStore` re-signs a store of scheme 1 from the
index when it opens it (docs/pipelines.md).
"""

from __future__ import annotations

import hashlib
import random
import re
from array import array

import numpy as np

SCHEME = 2
PERMUTATIONS = 64
SHINGLE = 3
WORD = re.compile(r"\w+")

_rng = random.Random(20261201)
# Fixed seeds: signatures stored by one crawl are compared with the next crawl's.
MULTIPLIERS = tuple(_rng.getrandbits(64) | 1 for _ in range(PERMUTATIONS))
OFFSETS = tuple(_rng.getrandbits(64) for _ in range(PERMUTATIONS))
WORD_WEIGHTS = (_rng.getrandbits(64) | 1, _rng.getrandbits(64) | 1)
# MurmurHash3's fmix64 constants.
FMIX = (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)

_A = np.array(MULTIPLIERS, dtype=np.uint64)[:, None]
_B = np.array(OFFSETS, dtype=np.uint64)[:, None]
_W1, _W2 = (np.uint64(w) for w in WORD_WEIGHTS)
_M1, _M2 = (np.uint64(m) for m in FMIX)
_33 = np.uint64(33)
_LOW16 = np.uint64(0xFFFF)
# Shingles per pass of the permutations. A whole article's (64, shingles) uint64 temporaries
# are about 430 KB each: every one took a fresh mmap from malloc and missed the cache, 4x the
# time of passes of 256.
_CHUNK = 256
# Distinct words whose hashes are remembered: about 8 MB. News text reuses a small vocabulary,
# so most words of an article are found here; when full, the table starts again.
_WORD_TABLE_SIZE = 1 << 16
_word_digests: dict[str, bytes] = {}


def words_of(text: str) -> list[str]:
    """The lower-cased words of `text`, padded to one shingle's worth."""
    words = WORD.findall(text.lower())
    if len(words) < SHINGLE:
        words += [""] * (SHINGLE - len(words))
    return words


def word_digest(word: str) -> bytes:
    return hashlib.blake2b(word.encode(), digest_size=8).digest()


def minhash(text: str) -> bytes:
    """The scheme-2 signature of `text`'s word 3-shingles."""
    global _word_digests
    words = words_of(text)
    digests = _word_digests
    if len(digests) > _WORD_TABLE_SIZE:
        # A new table, not clear(): a caller in another thread keeps the one it holds.
        digests = _word_digests = {}
    try:  # most articles: every word already known, one pass
        packed = b"".join(map(digests.__getitem__, words))
    except KeyError:
        for word in set(words).difference(digests):
            digests[word] = word_digest(word)
        packed = b"".join(map(digests.__getitem__, words))
    hashes = np.frombuffer(packed, dtype="<u8")
    with np.errstate(over="ignore"):  # wrapping arithmetic is the point
        shingles = hashes[:-2] * _W1
        shingles += hashes[1:-1] * _W2
        shingles += hashes[2:]
        shingles ^= shingles >> _33
        shingles *= _M1
        shingles ^= shingles >> _33
        shingles *= _M2
        shingles ^= shingles >> _33
        minima = np.minimum.reduce(
            [
                (_A * shingles[at : at + _CHUNK] + _B).min(axis=1)
                for at in range(0, len(shingles), _CHUNK)
            ]
        )
    return (minima & _LOW16).astype(np.uint16).tobytes()


def similarity(first: bytes, second: bytes) -> float:
    """Estimated Jaccard similarity of the texts behind two signatures."""
    a, b = array("H", first), array("H", second)
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
