"""CompactSegmentWriter merges by streaming segments, into the bytes Whoosh's own merge writes."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from test_codec import queries, results, whoosh_default_schema
from test_search_fixtures import generated_items
from whoosh import index
from whoosh.writing import SegmentWriter

from newsbot.search.codec import CompactCodec
from newsbot.search.schema import SCHEMA, item_to_document, open_writer
from newsbot.search.segment_writer import CompactSegmentWriter


def segment_files(directory: Path) -> dict[str, bytes]:
    """The files of the index's one segment, by what follows the (random) segment name."""
    files: dict[str, bytes] = {}
    for path in directory.iterdir():
        name, _, rest = path.name.partition(".")
        if name.startswith("MAIN_") and rest:
            assert rest not in files, "more than one segment"
            files[rest] = path.read_bytes()
    return files


def segments_of(directory: Path, items: list[dict], batches: int, old_codec: bool) -> None:
    """An index of several segments; the first one written by Whoosh's own codec if asked."""
    directory.mkdir()
    schema = whoosh_default_schema() if old_codec else SCHEMA
    ix = index.create_in(str(directory), schema)
    size = len(items) // batches
    for number in range(batches):
        compact = not (old_codec and number == 0)
        writer = ix.writer(codec=CompactCodec(), compound=False) if compact else ix.writer()
        for item in items[number * size : (number + 1) * size]:
            writer.add_document(**item_to_document(item))
        writer.commit(merge=False)


def merge_all(directory: Path, writer_class: type, new: list[dict], deleted: list[str]) -> None:
    ix = index.open_dir(str(directory))
    writer = writer_class(ix, codec=CompactCodec(), compound=False)
    for url in deleted:
        writer.delete_by_term("url", url)
    for item in new:
        writer.update_document(**item_to_document(item))
    writer.commit(optimize=True)


@pytest.mark.parametrize("old_codec", [False, True], ids=["compact", "whoosh-codec-segment"])
def test_a_streamed_merge_writes_the_bytes_of_whoosh_s_merge(
    tmp_path: Path, old_codec: bool
) -> None:
    items = generated_items(500, seed=11)
    base = tmp_path / "base"
    segments_of(base, items[:400], batches=5, old_codec=old_codec)
    rng = random.Random(5)
    deleted = [item["url"] for item in rng.sample(items[:400], 40)]
    # New documents in the merging commit, some of them replacing stored ones.
    new = items[400:] + [dict(item, headline="Revised") for item in rng.sample(items[:400], 10)]
    written = {}
    for name, writer_class in (("whoosh", SegmentWriter), ("streamed", CompactSegmentWriter)):
        shutil.copytree(base, tmp_path / name)
        merge_all(tmp_path / name, writer_class, new, deleted)
        written[name] = segment_files(tmp_path / name)
    assert {"trm", "pst", "_stored.col", "_body_len.col"} <= set(written["streamed"])
    assert written["streamed"] == written["whoosh"]
    streamed = index.open_dir(str(tmp_path / "streamed"))
    reference = index.open_dir(str(tmp_path / "whoosh"))
    assert streamed.doc_count() == reference.doc_count() > 400
    for text in queries(items):
        assert results(streamed, text, False) == results(reference, text, False), text


def test_the_crawl_s_writer_streams_and_a_failed_merge_leaves_the_index_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = generated_items(200, seed=12)
    segments_of(tmp_path / "ix", items, batches=4, old_codec=False)
    ix = index.open_dir(str(tmp_path / "ix"))
    writer = open_writer(ix)
    assert isinstance(writer, CompactSegmentWriter)

    merging: list[int] = []

    def fails(*args: object) -> None:
        merging.append(len(writer._merging))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.fieldwriter, "add_terms", fails)
    writer.add_document(**item_to_document(generated_items(1, seed=13)[0]))
    with pytest.raises(OSError):
        writer.commit(optimize=True)
    assert merging == [4]  # the four segments were being streamed ...
    assert writer._merging == []  # ... and their readers are closed
    writer.cancel()
    again = index.open_dir(str(tmp_path / "ix"))
    assert len(again._segments()) == 4 and again.doc_count() == 200
