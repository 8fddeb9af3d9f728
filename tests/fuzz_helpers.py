"""The harness the fuzz tests share: deterministic cases, and one report line per crash site.

Case `i` of a target runs with its own `random.Random(f"{seed}:{target}:{i}")`, so a failure
names the case and `NEWSBOT_FUZZ_CASE=target:i` replays it alone; `NEWSBOT_FUZZ_ITERATIONS=N`
runs N cases per target instead of the suite's (a deep run, docs/fuzzing.md).
"""

from __future__ import annotations

import os
import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Crash:
    case: str
    error: str
    where: str
    mutations: list[str]


def run_case(
    seed: int, target: str, i: int, run: Callable[..., None], *arguments: Any
) -> Crash | None:
    """Run case `i` of `target` as `run(rng, applied, *arguments)`; the crash, if one escaped."""
    rng = random.Random(f"{seed}:{target}:{i}")
    applied: list[str] = []
    try:
        run(rng, applied, *arguments)
    except Exception as exc:  # the point of the tests: anything undocumented that escapes
        frames = traceback.extract_tb(exc.__traceback__)
        # The innermost frame of our own code says where to fix; the innermost of all, what broke.
        ours = [f for f in frames if "/newsbot/" in f.filename] or frames
        where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno} ({ours[-1].name})"
        error = f"{type(exc).__name__}: {str(exc)[:160]}"
        return Crash(f"{target}:{i}", error, where, applied)
    return None


def case_numbers(target: str, suite_cases: int) -> range:
    """The cases to run: the one NEWSBOT_FUZZ_CASE names, a deep run's, or the suite's."""
    replay = os.environ.get("NEWSBOT_FUZZ_CASE", "")
    if replay:
        name, _, number = replay.partition(":")
        if name != target:
            pytest.skip(f"replaying {replay}")
        return range(int(number), int(number) + 1)
    deep = os.environ.get("NEWSBOT_FUZZ_ITERATIONS", "").strip()
    return range(int(deep) if deep else suite_cases)


def assert_no_crashes(crashes: list[Crash], cases: int) -> None:
    """Fail with one line per distinct crash site, naming the first case that reached it."""
    by_site: dict[tuple[str, str], Crash] = {}
    for crash in crashes:
        by_site.setdefault((crash.where, crash.error.split(":")[0]), crash)
    report = "\n".join(
        f"{c.case}  {c.error}  at {c.where}  after {'+'.join(c.mutations) or 'no mutation'}"
        for c in by_site.values()
    )
    assert not crashes, f"{len(crashes)} of {cases} cases crashed:\n{report}"
