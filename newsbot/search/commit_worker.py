"""Whoosh commits in a child process, so that the crawl keeps downloading and parsing meanwhile.

Indexing a batch is pure Python (analysis, postings, segment files) and took half of a crawl's
time on the reactor thread, where nothing else moves; a thread would share the GIL with the
crawl. The child runs on another core. docs/crawl-throughput.md has the measurements.

    worker = CommitWorker(index_dir, lock_timeout)  # python -m newsbot.search.commit_worker
    generation = worker.write(batch)  # blocks; call it from a thread
    worker.close()

Protocol: length-prefixed pickles over the child's stdin and stdout; a `Batch` in, and
("ok", generation) or the error out, re-raised in the parent as the same kind (`OSError` with
its errno, `IndexBusy`, or `CommitFailed`). The child asks Linux to kill it when its parent
dies, so a SIGKILL of the crawl also kills a commit in progress: as before, a batch is in the
index whole or not at all (Whoosh renames its TOC last). End of input ends the child.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from newsbot.errors import NewsbotError
from newsbot.lifeline import die_with_parent
from newsbot.pipes import receive_message, send_message
from newsbot.search.writer import Batch, IndexBusy, open_or_create, write_batch


class CommitFailed(NewsbotError):
    """The commit worker failed in a way other than a full disk or a busy index."""


class CommitWorker:
    """The parent's handle on one child process that commits batches into `index_dir`."""

    def __init__(self, index_dir: Path, lock_timeout: float) -> None:
        self.index_dir = Path(index_dir)
        arguments = [str(self.index_dir), repr(lock_timeout), str(os.getpid())]
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        # One batch at a time: the pipeline never sends another before the answer.
        self._lock = threading.Lock()

    def write(self, batch: Batch) -> int:
        """Commit `batch`; return the index generation. Blocks until the child answers."""
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            try:
                send_message(self._process.stdin, batch)
                answer = receive_message(self._process.stdout)
            except (EOFError, BrokenPipeError) as error:
                raise CommitFailed(
                    f"the index commit process stopped (exit status {self._process.poll()})"
                ) from error
        kind, *details = answer
        if kind == "ok":
            return details[0]
        if kind == "oserror":
            raise OSError(*details)
        if kind == "busy":
            raise IndexBusy(details[0], hint=details[1])
        raise CommitFailed(details[0])

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def serve(index_dir: Path, lock_timeout: float, source: IO[bytes], sink: IO[bytes]) -> None:
    """Commit each batch read from `source` and answer on `sink`, until end of input."""
    ix = open_or_create(index_dir)
    while True:
        try:
            batch = receive_message(source)
        except EOFError:
            return
        try:
            answer: tuple[Any, ...] = ("ok", write_batch(ix, batch, lock_timeout))
        except OSError as error:
            answer = ("oserror", error.errno, error.strerror or str(error))
        except IndexBusy as busy:
            answer = ("busy", str(busy), busy.hint)
        except Exception as error:
            answer = ("error", f"{type(error).__name__}: {error}")
        send_message(sink, answer)


def main() -> None:
    die_with_parent(int(sys.argv[3]))
    # The crawl handles Ctrl-C; the child finishes its commit and ends with its input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(Path(sys.argv[1]), float(sys.argv[2]), sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
