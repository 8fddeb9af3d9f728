"""A child process that must not outlive the process that started it.

The commit worker, the read-ahead of an ingest and reindex's Whoosh workers hold locks or pipe
ends of their parent: left running after a SIGKILL of the parent, they kept the index locked or
waited for work forever. Each calls `die_with_parent` first thing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit at once if the parent
    (`parent`, its pid) died before the request took effect."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
