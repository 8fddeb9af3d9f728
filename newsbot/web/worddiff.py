"""A word-level diff between two versions of an article, shaped for reading rather than patching.

Paragraphs are aligned first, so a rewritten paragraph shows the words that changed inside it
and an added paragraph shows whole; unchanged paragraphs are folded away except one on either
side of a change, for context.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Literal

Op = Literal["same", "del", "ins"]
# Words, runs of spaces, and single punctuation marks: "Río Verde's" -> Río, ' ', Verde, ', s.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# Rewritten paragraphs less alike than this are shown as one removed and one added.
_ALIKE = 0.4
CONTEXT_PARAGRAPHS = 1


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


@dataclass(frozen=True)
class Block:
    """A paragraph of the diff: `segments` for a changed or kept one, or a fold of `folded`
    unchanged paragraphs (then `segments` is empty)."""

    kind: Literal["same", "changed", "del", "ins", "fold"]
    segments: tuple[Segment, ...] = ()
    folded: int = 0


def words(old: str, new: str) -> tuple[Segment, ...]:
    """The segments that turn `old` into `new`, word by word.

    A change reads as everything removed, then everything added: the spaces between two
    changed words belong to the change, so "A Provincial Vote" -> "Río Verde Elects" is one
    removal and one addition, not three interleaved pairs.
    """
    before, after = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    opcodes = matcher.get_opcodes()
    segments: list[Segment] = []
    removed: list[str] = []
    added: list[str] = []
    for position, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        kept = "".join(before[i1:i2])
        inside = 0 < position < len(opcodes) - 1
        if tag == "equal" and not (inside and not kept.strip()):
            _add(segments, "del", "".join(removed))
            _add(segments, "ins", "".join(added))
            removed, added = [], []
            _add(segments, "same", kept)
            continue
        removed.append("".join(before[i1:i2]))
        added.append("".join(after[j1:j2]))
    _add(segments, "del", "".join(removed))
    _add(segments, "ins", "".join(added))
    return tuple(segments)


def _add(segments: list[Segment], op: Op, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op, segments[-1].text + text)
    else:
        segments.append(Segment(op, text))


def paragraphs(old: str, new: str) -> list[Block]:
    """Blocks for two bodies whose paragraphs are separated by blank lines."""
    before = [p for p in old.split("\n\n") if p.strip()]
    after = [p for p in new.split("\n\n") if p.strip()]
    blocks: list[Block] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            blocks.extend(Block("same", (Segment("same", p),)) for p in before[i1:i2])
        elif tag == "replace":
            blocks.extend(_rewritten(before[i1:i2], after[j1:j2]))
        else:
            blocks.extend(Block("del", (Segment("del", p),)) for p in before[i1:i2])
            blocks.extend(Block("ins", (Segment("ins", p),)) for p in after[j1:j2])
    return _fold(blocks)


def _rewritten(before: list[str], after: list[str]) -> list[Block]:
    """Pair rewritten paragraphs in order while they still look alike; the rest are whole."""
    blocks: list[Block] = []
    for position in range(max(len(before), len(after))):
        old = before[position] if position < len(before) else None
        new = after[position] if position < len(after) else None
        if old is not None and new is not None:
            ratio = difflib.SequenceMatcher(None, old.split(), new.split()).ratio()
            if ratio >= _ALIKE:
                blocks.append(Block("changed", words(old, new)))
                continue
        if old is not None:
            blocks.append(Block("del", (Segment("del", old),)))
        if new is not None:
            blocks.append(Block("ins", (Segment("ins", new),)))
    return blocks


def _fold(blocks: list[Block]) -> list[Block]:
    """Keep unchanged paragraphs next to a change; fold runs of the others into a count."""
    near_change = set()
    for position, block in enumerate(blocks):
        if block.kind != "same":
            near_change.update(
                range(position - CONTEXT_PARAGRAPHS, position + CONTEXT_PARAGRAPHS + 1)
            )
    folded: list[Block] = []
    for position, block in enumerate(blocks):
        if block.kind != "same" or position in near_change:
            folded.append(block)
        elif folded and folded[-1].kind == "fold":
            folded[-1] = Block("fold", folded=folded[-1].folded + 1)
        else:
            folded.append(Block("fold", folded=1))
    return folded


@dataclass(frozen=True)
class FieldChange:
    name: str
    segments: tuple[Segment, ...] = ()
    blocks: tuple[Block, ...] = ()


def _short(old: str, new: str) -> tuple[Segment, ...]:
    """A one-line field: word by word when mostly kept, else the old line and the new one."""
    if difflib.SequenceMatcher(None, old.split(), new.split()).ratio() >= _ALIKE + 0.1:
        return words(old, new)
    return tuple(Segment(op, text) for op, text in (("del", old), ("ins", new)) if text)


def _authors(item: dict[str, Any]) -> str:
    return ", ".join(item.get("authors") or [])


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """What changed between two versions of an item, field by field; unchanged fields left out."""
    changes: list[FieldChange] = []
    for name, read in (
        ("headline", lambda item: item.get("headline") or ""),
        ("summary", lambda item: item.get("summary") or ""),
        ("byline", lambda item: item.get("byline") or ""),
        ("authors", _authors),
    ):
        before, after = read(old), read(new)
        if before != after:
            changes.append(FieldChange(name, segments=_short(before, after)))
    old_body, new_body = old.get("body") or "", new.get("body") or ""
    if old_body != new_body:
        changes.append(FieldChange("body", blocks=tuple(paragraphs(old_body, new_body))))
    return changes
