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

import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import accumulate, chain, pairwise
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher, W3PostingsWriter
from whoosh.formats import Positions
from whoosh.matching import ReadTooFar
from whoosh.system import emptybytes
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.numlists import delta_encode

# zlib levels 3, 6 and 9 gave 7.63, 7.55 and 7.55 MiB of postings for 3,000 articles.
ZLIB_LEVEL = 6
# Whoosh can inline short posting lists into the term dictionary, but it pickles them there:
# inlining lists of up to 1, 3 and 7 postings made 3,000 articles' index 1%, 3% and 8% larger.
# (Whoosh 2.7 never inlines anyway: its writer calls a `set_inline` its term info lacks.)

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
    packer = zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


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


class CompactPostingsWriter(W3PostingsWriter):
    def _write_block(self, last: bool = False) -> None:
        self._terminfo.add_block(self)
        ids = self._ids
        ids_code, ids_data = pack_numbers(delta_encode(ids))
        values = self._values
        format_ = self._format
        if isinstance(format_, CompactPositions) and len(values) == len(ids):
            gaps = [format_.decode_gaps(v) for v in values]
            frequencies = [len(g) for g in gaps]
            weights_code, weights_data = _pack_weights(
                self._weights, [f * format_.field_boost for f in frequencies]
            )
            lengths_code, lengths_data = pack_numbers(frequencies)
            values_code, values_data = pack_numbers(chain.from_iterable(gaps))
        else:
            weights_code, weights_data = _pack_weights(self._weights, None)
            if values:
                lengths_code, lengths_data = pack_numbers(len(v) for v in values)
                values_code, values_data = RAW_VALUES, emptybytes.join(values)
            else:
                lengths_code, lengths_data = NO_VALUES, emptybytes
                values_code, values_data = NO_VALUES, emptybytes
        head = deflate(ids_data + weights_data + lengths_data)
        payload = head + (deflate(values_data) if values_data else emptybytes)
        info = _INFO.pack(
            len(ids),
            ids[-1],
            self._maxweight,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
            ids_code,
            weights_code,
            lengths_code,
            values_code,
            len(head),
        )
        length = len(info) + len(payload)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(info)
        self._postfile.write(payload)
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

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            count = self._reader.doc_count_all()
            lengths = [self._reader.doc_field_length(d, fieldname, default) for d in range(count)]
            self._lengths[fieldname] = lengths
        return lengths[docnum] if docnum < len(lengths) else default


class CompactFieldWriter(W3FieldWriter):
    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        super().add_postings(schema, _FieldLengths(lengths) if lengths else None, items)


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
        offset, length = terminfo.extent()
        return CompactLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
