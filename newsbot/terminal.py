"""Terminal output helpers: colour only where it is wanted, never raw control bytes from crawls.

Crawled text is untrusted: a headline could carry an ESC sequence that retitles the window or
hides output. Everything we print goes through `clean()` (human output) or `json_line()` (JSON
Lines), both built on the one sanitiser in `newsbot.text`, so no control character, escape
sequence or bidi control from an article ever reaches the terminal as itself.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from newsbot.text import escape_for_json, strip_controls

# Markers the highlighter puts around matched words; `clean()` removes them from crawled text
# first, so they can only come from us.
MATCH_START = "\x01"
MATCH_END = "\x02"

_BOLD_YELLOW = "\x1b[1;33m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


def clean(text: str | None, *, newlines: bool = False) -> str:
    """`text` safe to print: controls and escapes removed, tabs and line breaks as spaces
    (newlines kept only if asked)."""
    if not text:
        return ""
    return strip_controls(text, keep_newlines=newlines).replace("\t", " ")


def json_line(value: Any) -> str:
    """One JSON Lines record: UTF-8 text kept readable, but no raw control characters."""
    return escape_for_json(json.dumps(value, ensure_ascii=False))


COLOR_MODES = ("auto", "always", "never")


def wants_color(stream: TextIO, mode: str = "auto") -> bool:
    """`--color always|never` decides; `auto` means colour only on a terminal, never when
    NO_COLOR is set (https://no-color.org), and always when FORCE_COLOR is."""
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


class Style:
    """Applies ANSI styles when enabled, or returns text unchanged."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap(_BOLD, text)

    def dim(self, text: str) -> str:
        return self._wrap(_DIM, text)

    def highlighted(self, marked: str) -> str:
        """Render highlighter markers as colour, or drop them for plain output."""
        if self.enabled:
            return marked.replace(MATCH_START, _BOLD_YELLOW).replace(MATCH_END, _RESET)
        return marked.replace(MATCH_START, "").replace(MATCH_END, "")


class Progress:
    """A progress bar on stderr, with the rate, elapsed time and ETA, drawn only when stderr is
    a terminal: piped or redirected stderr gets nothing, so logs and CI output stay clean.

    `total` may be set after construction, once the caller knows it. rich draws the bar; it is
    imported on first use, so commands that never show a bar do not pay for the import.
    """

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.total = total
        self.label = label
        self.done = 0
        self._bar: Any = None
        self._task: Any = None

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text(f"{task.speed:,.0f}/s" if task.speed else "")

        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            Rate(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=self.stream, force_terminal=True),
        )
        self._task = self._bar.add_task(self.label, total=max(self.total, 1))
        self._bar.start()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.enabled:
            if self._bar is None:
                self._start()
            self._bar.update(self._task, completed=self.done, total=max(self.total, 1))

    def say(self, text: str) -> None:
        """A status line under the bar, for a phase the bar cannot measure."""
        if self.enabled:
            self.stream.write(f"{text}\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            if self._bar is None:
                self._start()
            self._bar.update(self._task, completed=self.done, total=max(self.total, 1))
            self._bar.stop()
