"""MinHash: the numpy signature is the scheme written out plainly, and it estimates well.

Signatures stored by one crawl are compared with the next crawl's, so the scheme must not move
by accident: `reference_minhash` is scheme 2 as a plain loop over Python ints, and the numpy
version must give its bytes exactly. A new scheme is a migration (`DedupeStore` re-signs the
store, tests/test_pipeline_dedupe.py). `scheme_1_minhash` is the scheme stores were signed with
before, kept to write such stores and to compare accuracy.
"""

from __future__ import annotations

import hashlib
import math
import random
from array import array
from itertools import pairwise

import pytest

from newsbot.state import minhash as scheme
from newsbot.state.minhash import minhash, similarity

_MASK = (1 << 64) - 1


def _fmix(x: int) -> int:
    first, second = scheme.FMIX
    x ^= x >> 33
    x = (x * first) & _MASK
    x ^= x >> 33
    x = (x * second) & _MASK
    return x ^ (x >> 33)


def reference_minhash(text: str) -> bytes:
    words = scheme.words_of(text)
    hashed = [
        int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little") for w in words
    ]
    first, second = scheme.WORD_WEIGHTS
    shingles = {
        _fmix((a * first + b * second + c) & _MASK)
        for a, b, c in zip(hashed, hashed[1:], hashed[2:], strict=False)
    }
    values = [
        min((a * s + b) & _MASK for s in shingles) & 0xFFFF
        for a, b in zip(scheme.MULTIPLIERS, scheme.OFFSETS, strict=True)
    ]
    return array("H", values).tobytes()


_PRIME = (1 << 61) - 1
_rng_1 = random.Random(20261127)
_PERMS_1 = tuple((_rng_1.randrange(1, _PRIME), _rng_1.randrange(_PRIME)) for _ in range(64))


def scheme_1_minhash(text: str) -> bytes:
    """The signature of MinHash scheme 1 (BLAKE2b per shingle, mod 2**61 - 1)."""
    words = scheme.WORD.findall(text.lower())
    shingles = {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}
    hashes = [
        int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") for s in shingles
    ]
    values = array("H", (min((a * h + b) % _PRIME for h in hashes) & 0xFFFF for a, b in _PERMS_1))
    return values.tobytes()


def texts() -> list[str]:
    rng = random.Random(1127)
    vocabulary = ["río", "glacier", "ferry", "naïve", "Ωmega", "x", "2026", "de", "la", "the"]
    vocabulary += ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=6)) for _ in range(300)]
    out = ["", "one", "two words", "three words here", "  \n\t ", "!!! ??? ..."]
    # 258 and 259 words: 256 and 257 shingles, either side of a pass of the permutations.
    for length in (4, 10, 50, 258, 259, 300, 1000, 3000):
        for _ in range(5):
            out.append(" ".join(rng.choices(vocabulary, k=length)))
    return out


@pytest.mark.parametrize("text", texts())
def test_numpy_minhash_is_the_scheme_written_out(text: str) -> None:
    assert minhash(text) == reference_minhash(text)


def test_the_word_table_starting_again_changes_no_signature(monkeypatch) -> None:
    text = " ".join(f"w{n % 500}" for n in range(2000))
    before = minhash(text)
    monkeypatch.setattr(scheme, "_WORD_TABLE_SIZE", 10)
    assert minhash(text) == minhash(text) == before
    assert len(scheme._word_digests) <= 500 + 1


def test_word_order_counts() -> None:
    text = "the ferry left the glacier at dawn and came back late"
    swapped = "ferry the left glacier the at and dawn came late back"
    assert similarity(minhash(text), minhash(swapped)) < 0.3


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = scheme.words_of(text)
    return set(zip(words, words[1:], words[2:], strict=False))


def _edited_pairs(count: int) -> list[tuple[str, str, float]]:
    """Texts and edited copies of them, with their true Jaccard similarity, 0.2 to 0.95."""
    rng = random.Random(61)
    vocabulary = [f"w{n}" for n in range(4000)]
    pairs = []
    for _ in range(count):
        words = rng.choices(vocabulary, k=rng.randint(300, 1200))
        share = rng.choice([0.01, 0.03, 0.06, 0.1, 0.2, 0.3])
        edited = [rng.choice(vocabulary) if rng.random() < share else w for w in words]
        first, second = " ".join(words), " ".join(edited)
        a, b = _shingles(first), _shingles(second)
        pairs.append((first, second, len(a & b) / len(a | b)))
    return pairs


def test_estimates_are_as_close_to_the_true_similarity_as_scheme_1s() -> None:
    """64 independent permutations estimate J with a standard error of sqrt(J(1-J)/64), at
    most 0.0625; the scheme's hashes must not be worse for being cheaper."""
    pairs = _edited_pairs(150)
    errors = {"2": [], "1": []}
    for first, second, true in pairs:
        errors["2"].append(similarity(minhash(first), minhash(second)) - true)
        errors["1"].append(similarity(scheme_1_minhash(first), scheme_1_minhash(second)) - true)
    rms = {name: math.sqrt(sum(e * e for e in errs) / len(errs)) for name, errs in errors.items()}
    bias = sum(errors["2"]) / len(errors["2"])
    assert rms["2"] < 0.0625, rms
    assert rms["2"] < 1.3 * rms["1"], rms
    assert abs(bias) < 0.015, bias


def test_unrelated_texts_look_unrelated() -> None:
    rng = random.Random(62)
    vocabulary = [f"w{n}" for n in range(4000)]
    signatures = [minhash(" ".join(rng.choices(vocabulary, k=800))) for _ in range(60)]
    scores = [similarity(a, b) for a, b in pairwise(signatures)]
    assert max(scores) <= 0.1
    assert sum(scores) / len(scores) < 0.02


def test_similarity_of_near_copies_stays_high() -> None:
    words = [f"word{n % 700}" for n in range(1000)]
    original = " ".join(words)
    edited = " ".join(words[:950] + ["changed"] * 50)
    assert similarity(minhash(original), minhash(edited)) > 0.8
    assert similarity(minhash(original), minhash("entirely different text " * 50)) < 0.1
