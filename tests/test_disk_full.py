"""`newsbot reindex` and `newsbot export` on a full disk: one line, exit 1, nothing left behind.

The disk is a real 3 MiB tmpfs, mounted for the test (root only; CI runs as root), filled to
the last few kilobytes by a filler file.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_search_fixtures import ARTICLES, build_index, generated_items, write_feed
from whoosh import multiproc

from newsbot.errors import NewsbotError
from newsbot.search.query import parse_query
from newsbot.search.reindex import reindex
from newsbot.search.searcher import open_searcher
from newsbot.search.writer import CRAWL_LOCK_FILE
from newsbot.state.crawlstate import CrawlState

ROOT = Path(__file__).resolve().parent.parent


def fill(disk: Path, leave: int) -> Path:
    """Fill `disk` until about `leave` bytes are free; return the filler file."""
    filler = disk / "filler"
    with filler.open("wb") as handle:
        chunk = b"\0" * 65536
        try:
            while free_bytes(disk) > leave + len(chunk):
                handle.write(chunk)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def free_bytes(disk: Path) -> int:
    stats = os.statvfs(disk)
    return stats.f_bavail * stats.f_frsize


def newsbot(*argv: str, stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsbot", *argv],
        cwd=ROOT,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        check=False,
    )


def assert_one_line(stderr: str, command: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"newsbot {command}: error: ")
    return lines[0]


@pytest.mark.parametrize("procs", ["1", "2"])
def test_reindex_on_a_full_disk_keeps_the_old_index_and_leaves_nothing(
    tiny_disk: Path, tmp_path: Path, procs: str
) -> None:
    index_dir = build_index(tiny_disk / "ix")
    before = sorted(os.listdir(index_dir))
    feed = write_feed(tmp_path / "big.jsonl", generated_items(3000))
    fill(tiny_disk, leave=256 * 1024)
    free = free_bytes(tiny_disk)

    done = newsbot("reindex", str(feed), "--index", str(index_dir), "--procs", procs)

    assert done.returncode == 1
    line = assert_one_line(done.stderr, "reindex")
    assert "No space left on device" in line and "the old index is unchanged" in line
    # The partial segments are removed; the (empty) lock file stays, as after any reindex.
    assert sorted(os.listdir(index_dir)) == sorted([*before, CRAWL_LOCK_FILE])
    assert free_bytes(tiny_disk) == free
    with open_searcher(index_dir) as searcher:
        assert searcher.doc_count() == len(ARTICLES)
        assert searcher.search(parse_query("wall"), limit=None)
    # Nothing of the failed run holds the index: with room, the next reindex goes through.
    (tiny_disk / "filler").unlink()
    small = write_feed(tmp_path / "small.jsonl", generated_items(50))
    again = newsbot("reindex", str(small), "--index", str(index_dir), "--procs", procs)
    assert again.returncode == 0, again.stderr
    with open_searcher(index_dir) as searcher:
        assert searcher.doc_count() == 50


def test_reindex_whose_crawl_state_cannot_be_written_is_one_line(
    tiny_disk: Path, tmp_path: Path
) -> None:
    index_dir = build_index(tiny_disk / "ix")
    state = CrawlState(index_dir / "crawlstate.sqlite")
    for item in ARTICLES:
        state.record([item["url"]], item["url"], item["published"], None)
    state.close()
    fill(tiny_disk, leave=0)
    feed = write_feed(tmp_path / "feed.jsonl", ARTICLES[:1])

    done = newsbot("reindex", str(feed), "--index", str(index_dir))

    assert done.returncode == 1
    assert_one_line(done.stderr, "reindex")
    with open_searcher(index_dir) as searcher:
        assert searcher.doc_count() == len(ARTICLES)


def test_export_to_a_full_disk_is_one_line_and_keeps_the_old_file(
    tiny_disk: Path, tmp_path: Path
) -> None:
    index_dir = build_index(tmp_path / "ix", generated_items(3000))
    output = tiny_disk / "archive.jsonl"
    output.write_text("the previous export\n", encoding="utf-8")
    fill(tiny_disk, leave=64 * 1024)

    done = newsbot("export", "--index", str(index_dir), "-o", str(output))

    assert done.returncode == 1
    line = assert_one_line(done.stderr, "export")
    assert f"cannot write {output}" in line and "No space left on device" in line
    assert output.read_text(encoding="utf-8") == "the previous export\n"
    assert sorted(os.listdir(tiny_disk)) == ["archive.jsonl", "filler"]


def test_export_to_stdout_on_a_full_disk_is_one_line(tiny_disk: Path, tmp_path: Path) -> None:
    index_dir = build_index(tmp_path / "ix", generated_items(3000))
    fill(tiny_disk, leave=64 * 1024)
    with (tiny_disk / "out.jsonl").open("w") as stdout:
        done = newsbot("export", "--index", str(index_dir), stdout=stdout)

    assert done.returncode == 1
    line = assert_one_line(done.stderr, "export")
    assert "No space left on device" in line


def test_a_worker_that_dies_never_publishes_a_partial_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoosh's multi-process writer commits without a worker that died; we must not."""

    def die(self: multiproc.SubWriterTask, filename: str, doc_count: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    index_dir = build_index(tmp_path / "ix")
    feed = write_feed(tmp_path / "feed.jsonl", generated_items(450))
    monkeypatch.setattr(multiproc.SubWriterTask, "_process_file", die)
    with pytest.raises(NewsbotError, match="documents were written; the old index is unchanged"):
        reindex([feed], index_dir, procs=2)
    monkeypatch.undo()
    with open_searcher(index_dir) as searcher:
        assert searcher.doc_count() == len(ARTICLES)


def test_reindex_on_a_read_only_disk_is_one_line(tiny_disk: Path, tmp_path: Path) -> None:
    index_dir = build_index(tiny_disk / "ix")
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    feed = write_feed(tmp_path / "feed.jsonl", ARTICLES[:1])

    done = newsbot("reindex", str(feed), "--index", str(index_dir))

    assert done.returncode == 1
    assert "Read-only file system" in assert_one_line(done.stderr, "reindex")
    with open_searcher(index_dir) as searcher:
        assert searcher.doc_count() == len(ARTICLES)
