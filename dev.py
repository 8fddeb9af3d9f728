#!/usr/bin/env python3
"""Set up and run newsbot's everyday jobs on a machine that has only Python 3.11 and pip.

    python3 dev.py demo    # set up, then crawl the bundled sample site, index it, search it
    python3 dev.py test    # set up, then lint and run the test suite
    python3 dev.py setup   # only create .venv and install newsbot with its dev tools

Standard library only, because it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".newsbot-installed"


def run(*command: str | Path) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    completed = subprocess.run([str(c) for c in command], cwd=ROOT)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def setup() -> None:
    """Create .venv and install newsbot into it; redo the install only when pyproject changes."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def test(extra: list[str]) -> None:
    run(BIN / "ruff", "check", "newsbot", "tests", "bench", "dev.py")
    run(BIN / "ruff", "format", "--check", "newsbot", "tests", "bench", "dev.py")
    run(BIN / "python", "-m", "pytest", *extra)


def demo(extra: list[str]) -> None:
    run(BIN / "python", "-m", "newsbot.demo", *extra)


def main() -> None:
    jobs = {"setup": None, "test": test, "demo": demo}
    if len(sys.argv) < 2 or sys.argv[1] not in jobs:
        sys.exit(__doc__)
    setup()
    job = jobs[sys.argv[1]]
    if job is not None:
        job(sys.argv[2:])


if __name__ == "__main__":
    main()
