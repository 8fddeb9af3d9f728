"""Long output through a pager, the way git does it: only on a terminal, only when it would not
fit on the screen, and with the reader's own pager ($NEWSBOT_PAGER, then $PAGER, then less)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from typing import TextIO

PAGER_ENV = "NEWSBOT_PAGER"
# -F: quit at once if it fits after all; -R: pass our colours; -X: leave the text on screen.
_DEFAULT_PAGER = "less -FRX"


def pager_command() -> list[str] | None:
    command = os.environ.get(PAGER_ENV) or os.environ.get("PAGER") or _DEFAULT_PAGER
    words = shlex.split(command)
    if not words or words[0] == "cat" or shutil.which(words[0]) is None:
        return None
    return words


def page(text: str, stream: TextIO | None = None) -> None:
    """Write `text` to `stream`, through a pager when it is a terminal and `text` is taller."""
    stream = stream if stream is not None else sys.stdout
    if not text.endswith("\n"):
        text += "\n"
    command = pager_command() if stream.isatty() else None
    if command is None or text.count("\n") < shutil.get_terminal_size().lines:
        stream.write(text)
        stream.flush()
        return
    env = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}
    try:
        subprocess.run(command, input=text, text=True, env=env, check=False)
    except OSError:
        stream.write(text)
        stream.flush()
