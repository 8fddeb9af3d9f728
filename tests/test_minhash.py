"""MinHash: the numpy version gives the signatures the pure-Python loop gave, bit for bit.

Signatures stored by earlier crawls are compared with new ones, so any difference would turn
every stored article into a stranger. `reference_minhash` is the loop as it was before numpy.
"""

from __future__ import annotations

import hashlib
import random
from array import array

import pytest

from newsbot.search.dedupe_store import _PERMS, _PRIME, _SHINGLE, _WORD, minhash, similarity


def reference_minhash(text: str) -> bytes:
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i : i + _SHINGLE]) for i in range(max(1, len(words) - 2))}
    hashes = [
        int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") for s in shingles
    ]
    values = array("H", (min((a * h + b) % _PRIME for h in hashes) & 0xFFFF for a, b in _PERMS))
    return values.tobytes()


def texts() -> list[str]:
    rng = random.Random(1127)
    vocabulary = ["río", "glacier", "ferry", "naïve", "Ωmega", "x", "2026", "de", "la", "the"]
    vocabulary += ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=6)) for _ in range(300)]
    out = ["", "one", "two words", "three words here", "  \n\t ", "!!! ??? ..."]
    # 258 and 259 words: 256 and 257 shingles, either side of a `_mod_prime` pass (_CHUNK).
    for length in (4, 10, 50, 258, 259, 300, 1000, 3000):
        for _ in range(5):
            out.append(" ".join(rng.choices(vocabulary, k=length)))
    return out


@pytest.mark.parametrize("text", texts())
def test_numpy_minhash_matches_the_reference_loop(text: str) -> None:
    assert minhash(text) == reference_minhash(text)


def test_hashes_that_wrap_the_prime_are_reduced_exactly() -> None:
    # Many shingles put hashes on both sides of 2**61 - 1 and products near 2**122.
    text = " ".join(f"w{n}" for n in range(20_000))
    assert minhash(text) == reference_minhash(text)


def test_similarity_of_near_copies_stays_high() -> None:
    words = [f"word{n % 700}" for n in range(1000)]
    original = " ".join(words)
    edited = " ".join(words[:950] + ["changed"] * 50)
    assert similarity(minhash(original), minhash(edited)) > 0.8
    assert similarity(minhash(original), minhash("entirely different text " * 50)) < 0.1
