"""CompactCodec must be a lossless stand-in for Whoosh's own codec: same hits, same scores."""

from __future__ import annotations

import copy
import datetime as dt
import io
import random
from pathlib import Path

import pytest
from test_search_fixtures import WORDS, generated_items
from whoosh import index
from whoosh.codec.base import FieldWriter
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.formats import Positions
from whoosh.qparser import MultifieldParser
from whoosh.query import DateRange

from newsbot.search import codec as compact_codec
from newsbot.search.codec import (
    INLINE_LIMIT,
    CompactCodec,
    CompactFieldWriter,
    CompactPositions,
    TermDictionaryWriter,
    _FieldLengths,
    inlined_terminfo,
    narrowest_typecode,
    pack_numbers,
    unpack_numbers,
)
from newsbot.search.query import Filters
from newsbot.search.schema import SCHEMA, item_to_document, open_writer
from newsbot.search.searcher import search
from newsbot.search.whoosh_fixes import BufferStream

FIELDS = ["headline", "summary", "body", "byline", "caption"]


def whoosh_default_schema() -> Schema:
    """SCHEMA as it was before CompactCodec: Whoosh's pickled Positions values."""
    schema = copy.deepcopy(SCHEMA)
    for _, field in schema.items():
        if isinstance(field.format, CompactPositions):
            field.format = Positions(field_boost=field.format.field_boost)
    return schema


def build(directory: Path, schema: Schema, items: list[dict], compact: bool) -> index.Index:
    directory.mkdir()
    ix = index.create_in(str(directory), schema)
    writer = open_writer(ix) if compact else ix.writer()
    for item in items:
        writer.add_document(**item_to_document(item))
    writer.commit()
    return ix


def queries(items: list[dict]) -> list[str]:
    rng = random.Random(3)
    texts = [rng.choice(WORDS[:20]), rng.choice(WORDS[300:]), "w0", "w1 w2", "w5 OR w399"]
    texts += [" ".join(rng.sample(WORDS[:100], 2)) for _ in range(10)]
    for item in rng.sample(items, 10):
        words = item["body"].split()
        start = rng.randrange(len(words) - 2)
        texts.append('"' + " ".join(words[start : start + 3]) + '"')
    texts += ['byline:"ana pérez"', "credit:agence", "headline:w3", "w1 NOT w2"]
    return texts


def results(ix: index.Index, text: str, date_filter: bool) -> tuple[int, list[tuple[str, float]]]:
    query = MultifieldParser(FIELDS, ix.schema).parse(text)
    allowed = DateRange("published", dt.datetime(2017, 3, 1), dt.datetime(2017, 6, 30))
    with ix.searcher() as searcher:
        hits = searcher.search(query, limit=25, filter=allowed if date_filter else None)
        ranked = [(hit["url"], round(hit.score, 5)) for hit in hits]
        return len(hits), ranked


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return generated_items(700)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, corpus: list[dict]) -> tuple:
    base = tmp_path_factory.mktemp("codec")
    default = build(base / "default", whoosh_default_schema(), corpus, compact=False)
    compact = build(base / "compact", SCHEMA, corpus, compact=True)
    return default, compact


@pytest.mark.parametrize(
    "numbers",
    [[], [0], [255], [256], [65535], [65536], [2**32 - 1], [3, 0, 7, 300, 70000, 1]],
)
def test_numbers_round_trip_in_the_narrowest_array(numbers: list[int]) -> None:
    typecode, data = pack_numbers(numbers)
    assert typecode.decode() == narrowest_typecode(numbers)
    unpacked, end = unpack_numbers(typecode, b"xx" + data + b"yy", len(numbers), 2)
    assert list(unpacked) == numbers
    assert end == 2 + len(data)


@pytest.mark.parametrize(
    "positions",
    [[0], [255], [256], [65535], [65536], [5, 6, 7], [0, 254, 255, 70_000], [100_000]],
)
def test_positions_round_trip(positions: list[int]) -> None:
    compact = CompactPositions(field_boost=2.0)
    value = compact.encode(positions)
    assert compact.decode_positions(value) == positions
    assert compact.decode_frequency(value) == len(positions)
    assert compact.decode_weight(value) == 2.0 * len(positions)


def test_postings_take_well_under_half_the_space_of_whoosh_s_own(both: tuple) -> None:
    def postings_bytes(ix: index.Index) -> int:
        (segment,) = ix._segments()
        files = segment.open_compound_file(ix.storage)
        return sum(files.file_length(name) for name in files.list() if name.endswith(".pst"))

    default, compact = both
    assert postings_bytes(compact) < 0.45 * postings_bytes(default)


def test_every_query_finds_the_same_hits_with_the_same_scores(
    both: tuple, corpus: list[dict]
) -> None:
    default, compact = both
    for text in queries(corpus):
        for date_filter in (False, True):
            expected = results(default, text, date_filter)
            assert results(compact, text, date_filter) == expected, text
    # The comparison means something only if the queries hit, phrases and filters included.
    phrases = [text for text in queries(corpus) if text.startswith('"')]
    assert len(phrases) == 10
    assert all(results(compact, text, False)[0] > 0 for text in phrases)
    assert 0 < results(compact, "w1", True)[0] < results(compact, "w1", False)[0]


def test_field_lengths_and_weights_survive_for_every_posting(both: tuple) -> None:
    default, compact = both
    with default.reader() as old, compact.reader() as new:
        for fieldname in ("headline", "body", "authors", "section", "url"):
            terms = list(old.lexicon(fieldname))
            assert terms == list(new.lexicon(fieldname))
            for term in terms[:: max(1, len(terms) // 40)]:
                before = old.postings(fieldname, term)
                after = new.postings(fieldname, term)
                assert list(after.items_as("weight")) == list(before.items_as("weight"))
                if old.schema[fieldname].format.supports("positions"):
                    assert list(after.items_as("positions")) == list(before.items_as("positions"))


def test_an_index_written_by_whoosh_s_codec_takes_compact_segments_and_merges(
    tmp_path: Path, corpus: list[dict]
) -> None:
    """Indexes built before CompactCodec keep working: new batches, then an optimize."""

    def grown(name: str, compact: bool) -> index.Index:
        ix = build(tmp_path / name, whoosh_default_schema(), corpus[:300], compact=False)
        writer = open_writer(ix) if compact else ix.writer()
        for item in corpus[300:]:
            writer.add_document(**item_to_document(item))
        writer.commit(merge=False)
        return ix

    # The reference goes through the same merge: Whoosh totals merged field lengths from their
    # one-byte approximations, so a merged index scores a little differently from a fresh one.
    reference, mixed = grown("reference", compact=False), grown("mixed", compact=True)
    assert isinstance(mixed._segments()[1].codec(), CompactCodec)
    for text in queries(corpus):
        assert results(mixed, text, False) == results(reference, text, False), text
    reference.writer().commit(optimize=True)
    open_writer(mixed).commit(optimize=True)
    (merged,) = mixed._segments()
    assert isinstance(merged.codec(), CompactCodec)
    for text in queries(corpus):
        assert results(mixed, text, False) == results(reference, text, False), text


def test_fractional_weights_are_kept_exactly(tmp_path: Path) -> None:
    """Whoosh's Positions values go in as opaque bytes with float weights; ours are derived."""
    schema = Schema(plain=TEXT(field_boost=1.5), compact=TEXT())
    schema["compact"].format = CompactPositions(field_boost=1.5)
    ix = index.create_in(str(tmp_path), schema)
    writer = open_writer(ix)
    for number in range(300):
        text = f"alpha {'beta ' * (number % 3)}"
        writer.add_document(plain=text, compact=text)
    writer.commit()
    with ix.reader() as reader:
        for fieldname in ("plain", "compact"):
            postings = reader.postings(fieldname, "beta")
            weights = [weight for _, weight in postings.items_as("weight")]
            assert sorted(set(weights)) == [1.5, 3.0]
            assert len(weights) == 200
            positions = reader.postings(fieldname, "beta").items_as("positions")
            assert {tuple(p) for _, p in positions} == {(1,), (1, 2)}


def test_searching_does_not_copy_the_postings_into_memory(both: tuple) -> None:
    """Whoosh copied every posting file into a BytesIO on opening (see whoosh_fixes)."""
    _, compact = both
    with compact.searcher() as searcher:
        assert len(searcher.search(MultifieldParser(FIELDS, compact.schema).parse("w1 w2"))) > 0
        (reader,) = [leaf for leaf, _ in searcher.reader().leaf_readers()]
        postings = reader._terms._postfile
        assert isinstance(postings, BufferFile)
        assert isinstance(postings.file, BufferStream)
        # The term dictionary is read as a stream, over the map rather than a copy of it.
        assert isinstance(reader._terms._tindex.dbfile.file, BufferStream)
    stream = BufferFile(memoryview(b"\x00\x00\x00\x07rest\nmore"))
    assert stream.read_int() == 7
    assert stream.readline() == b"rest\n"
    assert stream.tell() == 9
    stream.seek(-4, 2)
    assert stream.read() == b"more"
    stream.close()


def test_newsbot_search_reads_an_index_from_before_compact_codec(both: tuple) -> None:
    """Archives built by earlier newsbot versions (Whoosh's codec) search as before."""
    default, compact = both
    texts = ["w1", "w1 w2", "w5 OR w300", "w0 NOT w3", '"w0 w1"', "w39*", "headline:w4 w9"]
    dated = Filters(since=dt.date(2017, 3, 1), until=dt.date(2017, 5, 31))
    with default.searcher() as old, compact.searcher() as new:
        for text in texts:
            for filters in (Filters(), dated):
                before = search(old, text, filters, limit=10)
                after = search(new, text, filters, limit=10)
                assert before.total == after.total > 0, text
                assert [(h.url, h.score) for h in before.hits] == [
                    (h.url, h.score) for h in after.hits
                ], text


class PostingAtATimeFieldWriter(CompactFieldWriter):
    """The posting-at-a-time path (Whoosh's add_postings driving CompactPostingsWriter) that
    CompactFieldWriter's term-at-a-time writer replaced."""

    def add_postings(self, schema, lengths, items) -> None:
        FieldWriter.add_postings(self, schema, _FieldLengths(lengths) if lengths else None, items)


class PostingAtATimeCodec(CompactCodec):
    def field_writer(self, storage, segment) -> PostingAtATimeFieldWriter:
        return PostingAtATimeFieldWriter(self, storage, segment)


def segment_files(directory: Path) -> dict[str, bytes]:
    """The index's segment files by extension (segment names are random)."""
    files = {}
    for path in directory.iterdir():
        if path.suffix in (".trm", ".pst"):
            files[path.suffix] = path.read_bytes()
    return files


def test_term_at_a_time_writing_makes_the_same_bytes_as_posting_at_a_time(
    tmp_path: Path, corpus: list[dict]
) -> None:
    # Small blocks, so that long posting lists span several and every branch is written.
    written = {}
    for name, codec in (("terms", CompactCodec()), ("postings", PostingAtATimeCodec())):
        codec._blocklimit = 7
        directory = tmp_path / name
        directory.mkdir()
        ix = index.create_in(str(directory), SCHEMA)
        writer = ix.writer(codec=codec, compound=False)
        for item in corpus[:150]:
            writer.add_document(**item_to_document(item))
        writer.add_document(url="https://example.com/empty")  # no text fields at all
        writer.commit()
        written[name] = segment_files(directory)
    assert set(written["terms"]) == {".trm", ".pst"}
    assert written["terms"] == written["postings"]


def test_short_posting_lists_live_in_the_term_dictionary_and_read_back_whole(
    both: tuple,
) -> None:
    default, compact = both
    checked = inlined = 0
    with default.reader() as old, compact.reader() as new:
        (leaf,) = [reader for reader, _ in new.leaf_readers()]
        for (fieldname, text), terminfo in leaf._terms.items():
            if fieldname not in FIELDS:
                continue
            assert terminfo.is_inlined() == (terminfo.doc_frequency() <= INLINE_LIMIT)
            inlined += terminfo.is_inlined()
            if terminfo.doc_frequency() > INLINE_LIMIT + 2:
                continue
            checked += 1
            for kind in ("weight", "positions"):
                expected = list(old.postings(fieldname, text).items_as(kind))
                assert list(new.postings(fieldname, text).items_as(kind)) == expected
            if terminfo.is_inlined():
                copied = new.postings(fieldname, text).copy()
                assert copied.block_min_length() == terminfo.min_length()
                assert copied.block_max_weight() == terminfo.max_weight()
    assert checked > 400
    assert inlined > 250  # of the 500 checked


def test_inlining_holds_only_postings_whose_values_line_up() -> None:
    assert inlined_terminfo([3, 9], [1.0, 2.0], [b"B\x01", b"B\x02\x01"], 4, 9) is not None
    assert inlined_terminfo([3, 9], [1.0, 1.0], [], None, 0) is not None
    # Whoosh keeps a block's non-empty values only: one value for two postings has no place.
    assert inlined_terminfo([3, 9], [1.0, 1.0], [b"x"], 4, 9) is None
    assert inlined_terminfo([3, 9], [1.0, 1.0], [b"x", b""], 4, 9) is None
    assert inlined_terminfo(list(range(INLINE_LIMIT + 1)), [1.0] * 5, [], None, 0) is None


def test_an_index_from_before_inlining_searches_alike_and_merges_with_one_after(
    tmp_path: Path, corpus: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Archives whose every term has a block (newsbot before inlining) read as before."""

    def two_segments(directory: Path, inline_first: bool) -> index.Index:
        if not inline_first:
            monkeypatch.setattr(compact_codec, "INLINE_LIMIT", 0)
        ix = build(directory, SCHEMA, corpus[:300], compact=True)
        monkeypatch.undo()
        writer = open_writer(ix)
        for item in corpus[300:]:
            writer.add_document(**item_to_document(item))
        writer.commit(merge=False)
        return ix

    mixed = two_segments(tmp_path / "mixed", inline_first=False)
    reference = two_segments(tmp_path / "reference", inline_first=True)
    with mixed.reader() as reader:
        old_leaf, new_leaf = [leaf for leaf, _ in reader.leaf_readers()]
        assert not any(info.is_inlined() for _, info in old_leaf._terms.items())
        assert any(info.is_inlined() for _, info in new_leaf._terms.items())
    for text in queries(corpus):
        assert results(mixed, text, True) == results(reference, text, True), text
    for ix in (mixed, reference):
        open_writer(ix).commit(optimize=True)
        assert len(ix._segments()) == 1
    for text in queries(corpus):
        assert results(mixed, text, False) == results(reference, text, False), text


def test_the_term_dictionary_writer_makes_whoosh_s_bytes_and_reads_back() -> None:
    rng = random.Random(7)
    keys = sorted(
        {bytes(rng.choices(b"abcdefgh\x00\xff", k=rng.randint(1, 12))) for _ in range(3000)}
    )
    entries = [(key, bytes(rng.choices(range(256), k=rng.randint(0, 40)))) for key in keys]
    written = {}
    for name in ("whoosh", "ours"):
        stream = io.BytesIO()
        writer = OrderedHashWriter(StructFile(stream))
        if name == "ours":
            writer = TermDictionaryWriter.taking_over(writer)
        writer.extras["fieldmap"] = {"body": 0}
        for key, value in entries:
            writer.add(key, value)
        with pytest.raises(ValueError):
            writer.add(keys[0], b"")  # keys must increase, as Whoosh requires
        stream.close = lambda: None  # keep the bytes past the writer's close
        writer.close()
        written[name] = stream.getvalue()
    assert written["ours"] == written["whoosh"]
    data = written["ours"]
    reader = OrderedHashReader(StructFile(io.BytesIO(data)), len(data))
    assert reader.extras["fieldmap"] == {"body": 0}
    assert all(reader[key] == value for key, value in entries)
    middle = keys[len(keys) // 2]
    assert next(iter(reader.keys_from(middle))) == middle
