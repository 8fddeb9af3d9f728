"""The one sanitiser for untrusted text: what crawled pages, feeds and arguments may not pass on.

Crawled text is later printed in terminals and written to feeds, and a terminal obeys what it
is sent: an escape sequence can retitle the window, write the clipboard (OSC 52) or hide
output; a C1 byte (U+009B) is a one-byte CSI on some terminals; bidi marks, embeddings,
overrides and isolates (U+061C, U+200E/F, U+202A-E, U+2066-9) make text display in another
order than it reads. So every path out (the clean pipeline, the index, CLI output, JSON Lines)
goes through `strip_controls` or `escape_for_json`, which share one list of characters.

Kept: tab, newline where asked, and the zero-width joiners U+200C/U+200D, which several scripts
and emoji need to display correctly.

Speed: the crawl runs this on every field, so clean text (nearly all of it) costs one regex
search, and dirty text one `str.translate`; about 30x faster on a 1,000-word body than testing
each character's Unicode category.
"""

from __future__ import annotations

import re
from typing import Any

_WHITESPACE_CONTROLS = (0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029)
# Code points removed (or, for the line-breaking ones, turned into a space or newline).
_UNSAFE_CODEPOINTS = (
    *range(0x00, 0x09),
    *range(0x0A, 0x20),
    *range(0x7F, 0xA0),
    0x061C,
    0x200B,
    0x200E,
    0x200F,
    *range(0x202A, 0x202F),
    0x2028,
    0x2029,
    *range(0x2060, 0x2065),
    *range(0x2066, 0x206A),
    0xFEFF,
)


def _table(newline: str | None) -> dict[int, str | None]:
    table: dict[int, str | None] = dict.fromkeys(_UNSAFE_CODEPOINTS)
    for code in _WHITESPACE_CONTROLS:
        table[code] = " "
    if newline is not None:
        table[0x0A] = table[0x2028] = table[0x2029] = newline
        table[0x0D] = None  # \r\n is one line break; a lone \r would overwrite the line
    return table


_ONE_LINE = _table(None)
_LINES = _table("\n")


def _class(codepoints: tuple[int, ...]) -> str:
    return "[" + "".join(f"\\U{code:08x}" for code in sorted(set(codepoints))) + "]"


_UNSAFE = re.compile(_class(_UNSAFE_CODEPOINTS))
_UNSAFE_EXCEPT_NEWLINE = re.compile(_class(tuple(c for c in _UNSAFE_CODEPOINTS if c != 0x0A)))
# json.dumps escapes C0 itself; these it would write raw with ensure_ascii=False.
_JSON_UNSAFE = re.compile(_class(tuple(c for c in _UNSAFE_CODEPOINTS if c >= 0x7F)))

# ECMA-48 escape sequences, removed whole so their parameters do not show as text: terminated
# OSC/DCS/APC/PM/SOS strings (an unterminated one loses only its introducer, so a stray C1 byte
# from mis-decoding cannot swallow the body), CSI sequences (7-bit ESC[ and 8-bit \x9b), then
# any other ESC sequence.
_ESCAPES = re.compile(
    r"(?:\x1b[]P^_X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?"
)
_ESCAPE_START = re.compile(r"[\x1b\x90\x98\x9b\x9d\x9e\x9f]")


def strip_controls(text: str, keep_newlines: bool = False) -> str:
    """`text` without escape sequences or unsafe characters; line breaks become spaces unless
    `keep_newlines` (then \\n stays, and \\r, U+2028 and U+2029 become \\n or go)."""
    unsafe = _UNSAFE_EXCEPT_NEWLINE if keep_newlines else _UNSAFE
    if not unsafe.search(text):
        return text
    if _ESCAPE_START.search(text):
        text = _ESCAPES.sub("", text)
    return text.translate(_LINES if keep_newlines else _ONE_LINE)


def escape_for_json(text: str) -> str:
    """JSON text (from json.dumps) with the unsafe characters it leaves raw written as \\uXXXX,
    so the data is unchanged when read back but nothing reaches a terminal as itself."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def sanitized(value: Any) -> Any:
    """`value` (an item, or any JSON value) with `strip_controls(keep_newlines=True)` applied
    to every string in it, keys included."""
    if isinstance(value, str):
        return strip_controls(value, keep_newlines=True)
    if isinstance(value, list):
        return [sanitized(v) for v in value]
    if isinstance(value, dict):
        return {sanitized(k): sanitized(v) for k, v in value.items()}
    return value
