"""Locate and parse WARC captures in a process of their own, ahead of the pipelines.

`newsbot ingest` and `newsbot reextract` (with `--procs 1`) start a `ReadAhead` before they
import Scrapy. The forked process locates the captures (which inflates every record of every
file), puts them in the order the index must see them, parses each with `parse_located`, and
sends the outcomes back in order, a chunk at a time, while the command loads Scrapy, opens the
index and runs the pipelines. Without it, the pipelines waited for the locating and the loading,
and parsing and the pipelines took turns on one core while the commit process used a fraction
of the other (docs/warc.md has the measurements).

    ahead = ReadAhead(make_reader, reextract=False, since="")  # forks now
    count = ahead.located()  # blocks until the captures are located
    async for outcome in ahead.outcomes(): ...  # an item dict, or why there is none
    ahead.close()

The pipe between the two bounds how far the parsing runs ahead. The process ignores Ctrl-C
(the command handles it and closes the pipe), dies with the command (PR_SET_PDEATHSIG), and ends
when the pipe is closed; an exception in it comes back as `ReadAheadFailed` with its message.

This module is imported before Scrapy, so it imports nothing heavy at module level.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from newsbot.errors import NewsbotError
from newsbot.lifeline import die_with_parent
from newsbot.pipes import widen
from newsbot.urls import canonical_article_url

if TYPE_CHECKING:
    from newsbot.warc.reader import CaptureReader, Located, ReadReport

# Outcomes per message: one per page cost a pipe round trip and a thread hop per page.
CHUNK = 16


class ReadAheadFailed(NewsbotError):
    """The process reading the WARC files stopped with an error."""


def select_captures(located: list[Located], reextract: bool, since: str) -> list[Located]:
    """The captures to parse, in the order the index must see them: only the newest of each
    article for a re-extraction, only those captured on or after `since` (a day, YYYY-MM-DD),
    and by date, so the revisions of an article are folded in as they happened."""
    if reextract:
        located = newest_per_article(located)
    if since:  # every capture date of that day sorts after it
        located = [capture for capture in located if (capture.date or "") >= since]
    return sorted(located, key=lambda capture: (capture.date or "", capture.url))


def newest_per_article(located: list[Located]) -> list[Located]:
    """The latest capture of each article: the one its current version was extracted from."""
    newest: dict[str, Located] = {}
    for capture in located:
        key = canonical_article_url(capture.url)
        if key not in newest or (capture.date or "") >= (newest[key].date or ""):
            newest[key] = capture
    return list(newest.values())


class ReadAhead:
    """The command's handle on the process that reads and parses (see the module's docstring)."""

    def __init__(
        self, make_reader: Callable[[], CaptureReader], *, reextract: bool, since: str
    ) -> None:
        # fork, not forkserver: nothing is running yet (no reactor, no threads), and the child
        # starts at once with the command's imports instead of loading its own.
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        widen(self._receiver.fileno())
        self._process = context.Process(
            target=_serve,
            args=(make_reader, reextract, since, sender, os.getpid()),
            name="newsbot-read-ahead",
            daemon=True,
        )
        self._process.start()
        sender.close()
        self.report: ReadReport | None = None
        self._count: int | None = None

    def located(self) -> int:
        """How many captures will be parsed; blocks until the files are read through."""
        if self._count is None:
            self._count, self.report = self._receive("located")
        return self._count

    async def outcomes(self) -> AsyncIterator[dict[str, Any] | str]:
        """The outcome of each capture, in order: an item dict, or a stat name saying why none."""
        self.located()
        while True:
            chunk = await asyncio.to_thread(self._receive, "parsed")
            if chunk is None:
                return
            for outcome in chunk:
                yield outcome

    def _receive(self, expected: str) -> Any:
        try:
            kind, payload = self._receiver.recv()
        except EOFError:
            raise ReadAheadFailed(
                f"the process reading the WARC files stopped (exit status {self._exit_status()})"
            ) from None
        if kind == "error":
            raise ReadAheadFailed(f"reading the WARC files failed: {payload}")
        assert kind == expected, (kind, expected)
        return payload

    def _exit_status(self) -> int | None:
        self._process.join(timeout=1)
        return self._process.exitcode

    def close(self) -> None:
        # Still running means the command stops early (Ctrl-C, an error): what it reads ahead
        # is not wanted. Ended, its end of the pipe is closed, and a read of it in a thread
        # (outcomes(), abandoned midway) returns. Closing ours first would not have woken that.
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receiver.close()


def _serve(
    make_reader: Callable[[], CaptureReader],
    reextract: bool,
    since: str,
    sender: Any,
    parent: int,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    try:
        from newsbot.warc.parse import parse_located

        reader = make_reader()
        located = select_captures(reader.locate(), reextract, since)
        sender.send(("located", (len(located), reader.report)))
        for at in range(0, len(located), CHUNK):
            sender.send(("parsed", [parse_located(c) for c in located[at : at + CHUNK]]))
        sender.send(("parsed", None))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the command stopped listening (Ctrl-C, or an error of its own)
    except Exception as error:  # reported by the command, which exits non-zero
        with contextlib.suppress(OSError):
            sender.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        sender.close()
