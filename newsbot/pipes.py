"""Length-prefixed pickles over a pipe: how newsbot's helper processes and their parent talk.

The commit worker and the WARC capture worker each read messages from their stdin and answer
on their stdout. A message is an 8-byte big-endian length, then a pickle of that many bytes.
"""

from __future__ import annotations

import contextlib
import pickle
import struct
import sys
from typing import IO, Any

LENGTH = struct.Struct("!Q")
_F_SETPIPE_SZ = 1031
_PIPE_BYTES = 1 << 20


def widen(pipe: int) -> None:
    """Let the pipe hold 1 MB (Linux's /proc/sys/fs/pipe-max-size by default) instead of 64 KB:
    with room for three or four parsed articles, the read-ahead of an ingest stalled at every
    commit."""
    if sys.platform.startswith("linux"):
        import fcntl

        with contextlib.suppress(OSError):  # more than /proc/sys/fs/pipe-max-size allows
            fcntl.fcntl(pipe, _F_SETPIPE_SZ, _PIPE_BYTES)


def send_message(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(LENGTH.pack(len(data)) + data)
    stream.flush()


def read_exactly(stream: IO[bytes], size: int) -> bytes:
    """`size` bytes from `stream`; EOFError if it ends first."""
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return data


def receive_message(stream: IO[bytes]) -> Any:
    (length,) = LENGTH.unpack(read_exactly(stream, LENGTH.size))
    return pickle.loads(read_exactly(stream, length))
