"""A compact on-disk posting format for Whoosh, and a positions format to go with it.

Whoosh's own W3 codec pickles each block of postings as Python tuples: every document number is
a pickled int, every weight a pickled 8-byte float and every posting's positions a separately
pickled list behind a 4-byte length. On 100,000 articles that came to 9 bytes of postings per
word of body text and made the index 2.7x the size of the text it holds.

`CompactCodec` keeps Whoosh's term dictionary, columns and stored fields, and replaces only the
posting blocks: document-number gaps, frequencies (or weights) and position gaps go into the
narrowest `array` that holds them, and the block is deflated as two streams, positions apart.
Both directions are C-speed (`array.frombytes`, `itertools.accumulate`), which matters because
search time is mostly spent decoding blocks. On 100,000 articles the index went from 2.68x to
1.26x the text.

`CompactPositions` stores a posting's positions as gaps in a narrow array instead of a pickle.

Arrays are stored in the machine's byte order, which is little-endian on every x86 and ARM
machine; an index does not move to a big-endian one.

Segments remember the codec that wrote them (it is pickled into the index's TOC), so an index
written by Whoosh's default codec stays readable, and segments of both kinds can be merged.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from hashlib import md5
from itertools import accumulate, chain, pairwise, repeat
from typing import Any

from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.formats import Positions
from whoosh.matching import ListMatcher, ReadTooFar
from whoosh.system import emptybytes, pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

# zlib levels 3, 6 and 9 gave 7.63, 7.55 and 7.55 MiB of postings for 3,000 articles.
ZLIB_LEVEL = 6
# Posting lists of at most this many postings go into the term dictionary ("inlined") instead
# of a block of their own. Most of a batch's terms are a rare word in one or two articles, and
# each block cost an `encode_block`, two zlib streams and a postings-file pointer: writing 600
# generated articles in batches of 100 took 6.1 ms per article with no inlining, and 5.0, 4.5,
# 4.1 and 3.9 with limits of 1, 2, 4 and 8, with the index 3.4% and 0.8% smaller and then 1.6%
# larger. Whoosh pickles inlined postings with protocol 2, which spells every bytes value as a
# `_codecs.encode` call (72 bytes for one posting); protocol 5 takes 36, and Whoosh's reader
# unpickles either. (Whoosh's own writer never inlines: it calls a `set_inline` its term info
# lacks.)
INLINE_LIMIT = 4
_TERMINFO = W3TermInfo._struct
# The term dictionary's entry header and hash slot, as whoosh.filedb.filetables has them.
_LENGTHS = struct.Struct("!ii")
_POINTER = struct.Struct("!Iq")

# Block info: posting count, last document number, maximum weight, min and max field-length
# bytes (Whoosh's 0-255 length codes), then four one-byte codes saying how the payload is laid
# out: the document-number gaps' typecode, the weights' (or NO_WEIGHTS / FLOAT_WEIGHTS /
# FROM_FREQUENCIES), the value lengths' or, for positions, the frequencies' typecode, and the
# values' (RAW_VALUES, NO_VALUES, or for positions the position gaps' typecode).
# Last, the compressed size of the first part of the payload (document numbers, weights and
# lengths); the values follow as a second zlib stream. Scoring and counting read only the first:
# a common word's positions were 6/7 of its block, and decompressing them made reading the body
# postings of a word in every article take 47 ms instead of 8.
_INFO = struct.Struct("<HIfBBccccI")
NO_WEIGHTS = b"-"
FLOAT_WEIGHTS = b"f"
# A positions posting's weight is its frequency times the field boost, so it need not be stored.
FROM_FREQUENCIES = b"="
NO_VALUES = b"-"
RAW_VALUES = b"*"


def deflate(data: bytes) -> bytes:
    """Raw deflate: zlib's 6-byte header and checksum would cost two per block here."""
    return zlib.compress(data, ZLIB_LEVEL, -zlib.MAX_WBITS)


def inflate(data: bytes) -> bytes:
    return zlib.decompress(data, -zlib.MAX_WBITS)


def narrowest_typecode(values: Iterable[int]) -> str:
    """The smallest unsigned array typecode that holds every value."""
    largest = max(values, default=0)
    if largest < 1 << 8:
        return "B"
    if largest < 1 << 16:
        return "H"
    return "I"


def pack_numbers(numbers: Iterable[int]) -> tuple[bytes, bytes]:
    """Typecode and bytes of small unsigned ints, bytes grouped by significance ("shuffled").

    Grouping puts the all-zero high bytes of small numbers side by side, where zlib squeezes
    them to almost nothing; interleaved, they cost about half a byte each.
    """
    numbers = list(numbers)
    typecode = narrowest_typecode(numbers)
    if typecode == "B":  # most blocks: bytes() is the same bytes as array("B"), sooner
        return b"B", bytes(numbers)
    data = array(typecode, numbers).tobytes()
    width = array(typecode).itemsize
    if width > 1:
        data = b"".join(data[plane::width] for plane in range(width))
    return typecode.encode(), data


def unpack_numbers(typecode: bytes, data: bytes, count: int, at: int) -> tuple[array, int]:
    """The `count` numbers packed by `pack_numbers` at `data[at:]`, and the offset after them."""
    numbers = array(typecode.decode())
    width = numbers.itemsize
    end = at + count * width
    packed = data[at:end]
    if width > 1:
        interleaved = bytearray(len(packed))
        for plane in range(width):
            interleaved[plane::width] = packed[plane * count : (plane + 1) * count]
        packed = bytes(interleaved)
    numbers.frombytes(packed)
    return numbers, end


# Most postings are a word's only occurrence in a field.
_ONE_SMALL_POSITION = [b"B" + bytes([position]) for position in range(256)]
_NATIVE_SHORT = struct.Struct("=H")  # array("H") is in native byte order


class CompactPositions(Positions):
    """Positions (for phrase search) as a typecode byte and an array of position gaps."""

    def encode(self, poslist: Sequence[int]) -> bytes:
        if len(poslist) == 1:
            position = poslist[0]
            if position < 256:
                return _ONE_SMALL_POSITION[position]
            if position < 65536:
                return b"H" + _NATIVE_SHORT.pack(position)
        gaps = [poslist[0], *(b - a for a, b in pairwise(poslist))]
        typecode = narrowest_typecode(gaps)
        return typecode.encode() + array(typecode, gaps).tobytes()

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[tuple]:
        # Whoosh's Positions builds a Token per word and sums each word's token boosts, which
        # our analyzers always leave at 1.0; `positions_of` gives the same positions at once.
        positions_of = getattr(analyzer, "positions_of", None)
        found = None
        if positions_of is not None and isinstance(value, str) and kwargs.keys() <= {"mode"}:
            found = positions_of(value)
        if found is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        encode = self.encode
        for word, poslist in found.items():
            yield word, len(poslist), len(poslist) * boost, encode(poslist)

    def decode_gaps(self, valuestring: bytes) -> array:
        gaps = array(chr(valuestring[0]))
        gaps.frombytes(valuestring[1:])
        return gaps

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(accumulate(self.decode_gaps(valuestring)))

    def decode_frequency(self, valuestring: bytes) -> int:
        return (len(valuestring) - 1) // array(chr(valuestring[0])).itemsize

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost


def _pack_weights(weights: array, derived: list[float] | None) -> tuple[bytes, bytes]:
    if derived is not None and all(w == d for w, d in zip(weights, derived, strict=True)):
        return FROM_FREQUENCIES, emptybytes
    if all(w == 1.0 for w in weights):
        return NO_WEIGHTS, emptybytes
    if all(w.is_integer() and w >= 0 for w in weights):
        return pack_numbers(int(w) for w in weights)
    return FLOAT_WEIGHTS, weights.tobytes()


# Byte width of the position gaps by CompactPositions typecode.
_GAP_WIDTHS = {ord(code): array(code).itemsize for code in "BHI"}


def encode_block(
    format_: Any,
    ids: Sequence[int],
    weights: array,
    values: list[bytes],
    maxweight: float,
    minlength: int | None,
    maxlength: int,
    last: bool,
) -> bytes:
    """One posting block as it goes into the postings file: signed length, info, payload.

    `values` holds the postings' non-empty value strings (Whoosh leaves empty ones out).
    """
    ids_code, ids_data = pack_numbers([ids[0], *(b - a for a, b in pairwise(ids))])
    if isinstance(format_, CompactPositions) and len(values) == len(ids):
        codes = {value[0] for value in values}
        width = _GAP_WIDTHS.get(codes.pop()) if len(codes) == 1 else None
        if width is not None:
            # Every posting's gaps are in one array type, the narrowest for the block (each
            # posting's is the narrowest for its own gaps): its values are the block's gaps.
            values_code = values[0][:1]
            frequencies = [(len(value) - 1) // width for value in values]
            values_data = emptybytes.join([value[1:] for value in values])
            if width > 1:
                values_data = emptybytes.join(values_data[p::width] for p in range(width))
        else:
            gaps = [format_.decode_gaps(v) for v in values]
            frequencies = [len(g) for g in gaps]
            values_code, values_data = pack_numbers(chain.from_iterable(gaps))
        boost = format_.field_boost
        weights_code, weights_data = _pack_weights(weights, [f * boost for f in frequencies])
        lengths_code, lengths_data = pack_numbers(frequencies)
    else:
        weights_code, weights_data = _pack_weights(weights, None)
        if values:
            lengths_code, lengths_data = pack_numbers([len(v) for v in values])
            values_code, values_data = RAW_VALUES, emptybytes.join(values)
        else:
            lengths_code, lengths_data = NO_VALUES, emptybytes
            values_code, values_data = NO_VALUES, emptybytes
    head = deflate(ids_data + weights_data + lengths_data)
    payload = head + (deflate(values_data) if values_data else emptybytes)
    info = _INFO.pack(
        len(ids),
        ids[-1],
        maxweight,
        length_to_byte(minlength),
        length_to_byte(maxlength),
        ids_code,
        weights_code,
        lengths_code,
        values_code,
        len(head),
    )
    length = len(info) + len(payload)
    return pack_int(-length if last else length) + info + payload


def inlined_terminfo(
    ids: Sequence[int],
    weights: Sequence[float],
    values: Sequence[bytes],
    minlength: int | None,
    maxlength: int,
) -> bytes | None:
    """A term's dictionary entry with its postings in it, as Whoosh's W3TermInfo reads it, or
    None when the postings must have a block: too many, or values on only some of them (Whoosh
    keeps a block's non-empty values only, and the inlined ones must line up with the ids)."""
    if len(ids) > INLINE_LIMIT:
        return None
    has_values = [bool(value) for value in values]
    if any(has_values) and not (len(values) == len(ids) and all(has_values)):
        return None
    floats = tuple(array("f", weights))  # as a block keeps them, so scores do not move
    postings = (tuple(ids), floats, tuple(values) if any(has_values) else ())
    return _TERMINFO.pack(
        True,
        sum(floats),
        len(ids),
        0 if minlength is None else length_to_byte(minlength),
        length_to_byte(maxlength),
        max(0, *floats),
        ids[0],
        ids[-1],
    ) + pickle.dumps(postings, protocol=5)


class _Inlined:
    """A term info already in its bytes, for W3FieldWriter.finish_term."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def to_bytes(self) -> bytes:
        return self._data


class InlinedMatcher(ListMatcher):
    """The matcher of an inlined posting list, answering as CompactLeafMatcher does. Whoosh's
    ListMatcher gives "" (a str) for a posting without a value, which merging refuses, and
    loses its term and term info when copied (a copy then fails at its first block statistic).
    """

    def value(self) -> bytes | None:
        return self._values[self._i] if self._values else None

    def all_items(self) -> Iterator[tuple[int, bytes | None]]:
        return zip(self._ids, self._values or repeat(None, len(self._ids)), strict=True)

    def copy(self) -> InlinedMatcher:
        return InlinedMatcher(
            self._ids,
            self._weights,
            self._values,
            self._format,
            self._scorer,
            self._i,
            self._all_weights,
            term=self._term,
            terminfo=self._terminfo,
        )


class CompactPostingsWriter(W3PostingsWriter):
    """Whoosh's posting-at-a-time writer, for callers other than `CompactFieldWriter`."""

    def finish_postings(self) -> Any:
        if not self.written():
            inlined = inlined_terminfo(
                self._ids, self._weights, self._values, self._minlength, self._maxlength
            )
            if inlined is not None:
                self._terminfo = None
                return _Inlined(inlined)
        return super().finish_postings()

    def _write_block(self, last: bool = False) -> None:
        self._terminfo.add_block(self)
        self._postfile.write(
            encode_block(
                self._format,
                self._ids,
                self._weights,
                self._values,
                self._maxweight,
                self._minlength,
                self._maxlength,
                last,
            )
        )
        self._blockcount += 1
        self._new_block()


class CompactLeafMatcher(W3LeafMatcher):
    def _read_header(self) -> None:
        # No per-term magic: the term dictionary already says where the postings start.
        self._baseoffset = self._startoffset

    def _goto(self, position: int) -> None:
        postfile = self._postfile
        self._data = None
        self._ids = None
        self._weights = None
        self._values = None
        self._i = 0
        length = postfile.get_int(position)
        self._lastblock = length < 0
        infoat = position + 4
        self._nextoffset = infoat + abs(length)
        (
            self._blocklength,
            self._maxid,
            self._maxweight,
            minlength,
            maxlength,
            *self._codes,
            self._headlength,
        ) = _INFO.unpack(postfile.get(infoat, _INFO.size))
        self._minlength = byte_to_length(minlength)
        self._maxlength = byte_to_length(maxlength)
        self._dataoffset = infoat + _INFO.size

    def _read_data(self) -> None:
        data = inflate(self._postfile.get(self._dataoffset, self._headlength))
        count = self._blocklength
        ids_code, weights_code, lengths_code, _ = self._codes
        gaps, at = unpack_numbers(ids_code, data, count, 0)
        ids = tuple(accumulate(gaps))
        weights: array | None = None
        if weights_code == FLOAT_WEIGHTS:
            weights = array("f")
            weights.frombytes(data[at : at + 4 * count])
            at += 4 * count
        elif weights_code not in (NO_WEIGHTS, FROM_FREQUENCIES):
            weights, at = unpack_numbers(weights_code, data, count, at)
        lengths = None
        if lengths_code != NO_VALUES:
            lengths, _ = unpack_numbers(lengths_code, data, count, at)
        # Weights are made floats only when asked for: counting matches needs just the ids.
        self._data = (ids, weights, lengths)

    def skip_to(self, targetid: int) -> None:
        # Whoosh steps through a block one posting (three method calls) at a time; in a search
        # pairing a rare word with a common one that stepping was most of the time.
        if not self.is_active():
            raise ReadTooFar
        if targetid <= self.id():
            return
        if targetid > self._maxid:
            while self.is_active() and targetid > self._maxid:
                self._next_block()
            if not self.is_active():
                return
        if self._ids is None:
            self._read_ids()
        self._i = bisect_left(self._ids, targetid, self._i)

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = self._data[0]

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        _, weights, lengths = self._data
        weights_code = self._codes[1]
        if weights_code == NO_WEIGHTS:
            self._weights = array("f", [1.0]) * self._blocklength
        elif weights_code == FROM_FREQUENCIES:
            boost = self.format.field_boost
            self._weights = array("f", [f * boost for f in lengths])
        elif weights_code == FLOAT_WEIGHTS:
            self._weights = weights
        else:
            self._weights = array("f", weights)

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        values_code = self._codes[3]
        if values_code == NO_VALUES:
            self._values = (None,) * self._blocklength
            return
        valuesat = self._dataoffset + self._headlength
        data = inflate(self._postfile.get(valuesat, self._nextoffset - valuesat))
        at = 0
        lengths = self._data[2]
        offsets = list(accumulate(lengths, initial=0))
        if values_code == RAW_VALUES:
            self._values = tuple(data[at + a : at + b] for a, b in pairwise(offsets))
            return
        # Positions: rebuild each posting's value as CompactPositions encodes it.
        gaps, _ = unpack_numbers(values_code, data, offsets[-1], at)
        self._values = tuple(values_code + gaps[a:b].tobytes() for a, b in pairwise(offsets))


class _FieldLengths:
    """A segment's field lengths read whole, one column at a time.

    Writing a segment asks for the field length of every posting's document (for the block
    statistics), and Whoosh answers each from the length column on disk: 6 of 37 seconds of
    a profiled 3,000-article reindex.
    """

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._lengths: dict[str, list[int]] = {}

    def column(self, fieldname: str) -> list[int]:
        """The length of `fieldname` in every document of the segment, by document number."""
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            lengths = self._read(fieldname, self._reader.doc_count_all())
            self._lengths[fieldname] = lengths
        return lengths

    def _read(self, fieldname: str, count: int) -> list[int]:
        reader = self._reader
        if not isinstance(reader, W3PerDocReader):
            return [reader.doc_field_length(d, fieldname, 0) for d in range(count)]
        # What doc_field_length answers, a column at a time: it looks for a field's length
        # file on disk at every call when the field has none (a stat per document and field).
        lengths = reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if lengths is None:
            return [0] * count
        return [
            byte_to_length(code) if code else None
            for code in map(lengths.__getitem__, range(count))
        ]

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self.column(fieldname)
        return lengths[docnum] if docnum < len(lengths) else default


# A term and its postings: field, term bytes, then document numbers, weights and values.
TermPostings = tuple[str, bytes, list[int], list[float], list[bytes]]


def terms_of(items: Iterable[tuple]) -> Iterator[TermPostings]:
    """A sorted stream of (field, term, document, weight, value) postings, term by term."""
    lastfield: str | None = None
    lasttext: bytes | None = None
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    for fieldname, btext, docnum, weight, value in items:
        if btext != lasttext or fieldname != lastfield:
            if ids:
                yield lastfield, lasttext, ids, weights, values  # type: ignore[misc]
            if lastfield is not None and fieldname < lastfield:
                raise OutOfOrderError(f"Field {lastfield!r} .. {fieldname!r}")
            if fieldname == lastfield and btext < lasttext:  # type: ignore[operator]
                raise OutOfOrderError(f"Term {fieldname}:{lasttext!r} .. {btext!r}")
            lastfield, lasttext = fieldname, btext
            ids, weights, values = [], [], []
        if docnum == -1:  # Whoosh's marker for a spelling word, not a posting
            continue
        ids.append(docnum)
        weights.append(weight)
        values.append(value or emptybytes)
    if ids:
        yield lastfield, lasttext, ids, weights, values  # type: ignore[misc]


def segment_terms(
    reader: Any, startdoc: int, docmap: dict[int, int] | None
) -> Iterator[TermPostings]:
    """Every term of a segment in (field, term) order, with its postings numbered as a merge
    into a new segment numbers them: from `startdoc`, or by `docmap` when the segment has
    deleted documents (which it leaves out). Fields not in the reader's schema are skipped.

    Whoosh's own `iter_postings` looks every term up again in the term dictionary's hash and
    makes four method calls per posting; here the dictionary is read in order and postings a
    block at a time.
    """
    terms = reader._terms  # W3TermsReader: its dictionary, postings file and codec
    schema = reader.schema
    codec, postfile = terms._codec, terms._postfile
    for keybytes, valbytes in terms._tindex.items():
        fieldname, btext = terms._keydecoder(keybytes)
        if fieldname not in schema:
            continue
        ids: list[int]
        weights: list[float]
        values: list[Any]
        if valbytes[0]:  # W3TermInfo's flags: inlined postings, most of a segment's terms
            # Unpickled here, without the term info and matcher objects Whoosh would make.
            inlined_ids, inlined_weights, inlined_values = pickle.loads(valbytes[_TERMINFO.size :])
            ids = list(inlined_ids)
            weights = list(inlined_weights) if inlined_weights else [1.0] * len(ids)
            values = list(inlined_values) if inlined_values else [None] * len(ids)
        else:
            matcher = codec.postings_reader(
                postfile,
                W3TermInfo.from_bytes(valbytes),
                schema[fieldname].format,
                term=(fieldname, btext),
            )
            ids, weights, values = [], [], []
            for block_ids, block_weights, block_values in _blocks(matcher):
                ids.extend(block_ids)
                weights.extend(block_weights)
                values.extend(block_values)
        if docmap is None:
            ids = [startdoc + docnum for docnum in ids]
        else:
            kept = [i for i, docnum in enumerate(ids) if docnum in docmap]
            if not kept:
                continue
            ids = [docmap[ids[i]] for i in kept]
            weights = [weights[i] for i in kept]
            values = [values[i] for i in kept]
        yield fieldname, btext, ids, weights, [value or emptybytes for value in values]


def _blocks(matcher: Any) -> Iterator[tuple[Sequence[int], Sequence[float], Sequence[Any]]]:
    """A term's postings, a block (ids, weights, values) at a time, from the leaf matcher
    (W3LeafMatcher or CompactLeafMatcher) of a term whose postings are not inlined."""
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        matcher._read_values()
        yield matcher._ids, matcher._weights, matcher._values
        matcher._next_block()


class TermDictionaryWriter(OrderedHashWriter):
    """Whoosh's term dictionary file, the same bytes, written with less work per term.

    Whoosh's `add` asks the file for its position twice per term (a seek each time) and makes
    three writes, and the hash tables are written a slot at a time; a batch of 100 articles
    has some 22,000 terms. Here the position is counted, not asked for.
    """

    @classmethod
    def taking_over(cls, writer: OrderedHashWriter) -> TermDictionaryWriter:
        # W3FieldWriter has already made its writer, header written; carry on with its state.
        taken = cls.__new__(cls)
        taken.__dict__.update(writer.__dict__)
        taken._position = writer.dbfile.tell()
        return taken

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        position = self._position
        self.index.append(position)
        self.dbfile.write(_LENGTHS.pack(len(key), len(value)) + key + value)
        # Whoosh's md5_hash: the low 32 bits of the MD5 digest read as one big number.
        hashed = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
        self.buckets[hashed & 255].append((hashed, position))
        self.lastkey = key
        self._position = position + _LENGTHS.size + len(key) + len(value)

    def _write_hashes(self) -> None:
        dbfile = self.dbfile
        pack = _POINTER.pack
        empty = pack(0, 0)
        for entries in self.buckets:
            slots = 2 * len(entries)
            self.directory.append((dbfile.tell(), slots))
            table: list[tuple[int, int] | None] = [None] * slots
            for hashed, position in entries:
                slot = (hashed >> 8) % slots
                while table[slot] is not None:
                    slot = (slot + 1) % slots
                table[slot] = (hashed, position)
            dbfile.write(b"".join([empty if e is None else pack(*e) for e in table]))


class CompactFieldWriter(W3FieldWriter):
    """Writes a segment's posting lists a term at a time.

    Whoosh's `FieldWriter.add_postings` makes five method calls per posting and its postings
    writer keeps per-posting statistics; a batch of 100 articles has about 65,000 postings
    in 22,000 terms, and that bookkeeping was a fifth of a commit (under cProfile). Here each
    term's postings are gathered in lists and written block by block with `encode_block`,
    into the same bytes as the posting-at-a-time path (tests/test_codec.py compares them).
    """

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._tindex = TermDictionaryWriter.taking_over(self._tindex)
        # Where the next block goes in the postings file, counted: asking the file (a
        # compound segment's sub-stream) took 6% of a commit. None when Whoosh's own
        # posting-at-a-time path has written since, and the file must be asked again.
        self._postings_at: int | None = None

    def start_term(self, btext: bytes) -> None:
        self._postings_at = None
        super().start_term(btext)

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        self.add_terms(schema, lengths, terms_of(items))

    def add_terms(self, schema: Any, lengths: Any, terms: Iterable[TermPostings]) -> None:
        """Write `terms`, in (field, term) order, each with its postings in document order."""
        field_lengths = _FieldLengths(lengths) if lengths else None
        lastfield: str | None = None
        column: list[int] = []
        for fieldname, btext, ids, weights, values in terms:
            if fieldname != lastfield:
                if lastfield is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                lastfield = fieldname
                column = field_lengths.column(fieldname) if field_lengths else []
            if ids[-1] < len(column):
                doc_lengths = [column[docnum] for docnum in ids]
            else:
                doc_lengths = [column[d] if 0 <= d < len(column) else 0 for d in ids]
            self._write_term(btext, ids, weights, values, doc_lengths)
        if lastfield is not None:
            self.finish_field()

    def _write_term(
        self,
        btext: bytes,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
        doc_lengths: Sequence[int],
    ) -> None:
        # What W3PostingsWriter and W3TermInfo.add_block compute, block by block.
        postfile = self._postfile
        blocklimit = self._codec._blocklimit
        count = len(ids)
        if count <= INLINE_LIMIT:
            lengths = [n for n in doc_lengths if n]
            inlined = inlined_terminfo(
                ids, weights, values, min(lengths) if lengths else None, max(lengths, default=0)
            )
            if inlined is not None:
                self._tindex.add(pack_ushort(self._fieldid) + btext, inlined)
                return
        terminfo = W3TermInfo()
        if self._postings_at is None:
            self._postings_at = postfile.tell()
        start = at = self._postings_at
        if count <= blocklimit:  # most terms: one block, and nothing to slice
            blocks = [(ids, weights, values, doc_lengths)]
        else:
            blocks = [
                (
                    ids[at : at + blocklimit],
                    weights[at : at + blocklimit],
                    values[at : at + blocklimit],
                    doc_lengths[at : at + blocklimit],
                )
                for at in range(0, count, blocklimit)
            ]
        for number, (block_ids, block_weights, block_values, block_doc_lengths) in enumerate(
            blocks, 1
        ):
            floats = array("f", block_weights)  # as Whoosh keeps them, and sums them
            lengths = [n for n in block_doc_lengths if n]
            minlength = min(lengths) if lengths else None
            maxlength = max(lengths, default=0)
            maxweight = max(0, *block_weights)
            terminfo._weight += sum(floats)
            terminfo._df += len(block_ids)
            if terminfo._minlength is None:
                terminfo._minlength = minlength
            else:
                terminfo._minlength = min(terminfo._minlength, minlength)
            terminfo._maxlength = max(terminfo._maxlength, maxlength)
            terminfo._maxweight = max(terminfo._maxweight, maxweight)
            if terminfo._minid is None:
                terminfo._minid = block_ids[0]
            terminfo._maxid = block_ids[-1]
            if not all(block_values):  # Whoosh's writer keeps only the non-empty values
                block_values = [v for v in block_values if v]
            block = encode_block(
                self._format,
                block_ids,
                floats,
                block_values,
                maxweight,
                minlength,
                maxlength,
                last=number == len(blocks),
            )
            postfile.write(block)
            at += len(block)
        self._postings_at = at
        terminfo.set_extent(start, at - start)
        self._tindex.add(pack_ushort(self._fieldid) + btext, terminfo.to_bytes())


class CompactCodec(W3Codec):
    def __init__(self) -> None:
        super().__init__(compression=ZLIB_LEVEL)

    def field_writer(self, storage: Any, segment: Any) -> CompactFieldWriter:
        return CompactFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> CompactPostingsWriter:
        if byteids:
            raise ValueError("term vectors are not supported by CompactCodec")
        return CompactPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            compression=ZLIB_LEVEL,
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return InlinedMatcher(
                ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo
            )
        offset, length = terminfo.extent()
        return CompactLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
