"""Text as a reader sees it: line breaks as spaces, hidden copies left out."""

from __future__ import annotations

from newsbot.parsers.common import Element, clean


def shown_text(element: Element) -> str:
    """What a reader sees of a heading or caption: `<br>` reads as a space (balance-text
    headlines break lines with it), hidden copies are left out, and a heading that holds its
    text twice (a visible copy and a screen-reader copy) gives it once."""
    # A stack, not recursion: markup can nest deeper than Python's recursion limit.
    parts: list[str] = []
    pending: list[Element | str] = [element]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        parts.append(item.text or "")
        for child in reversed(item):
            pending.append(child.tail or "")
            if child.tag == "br":
                pending.append(" ")
            elif isinstance(child.tag, str) and not is_hidden(child):
                pending.append(child)
    text = clean("".join(parts))
    half = len(text) // 2
    if half and text[:half] == text[-half:] and text[half : len(text) - half] in {"", " "}:
        return text[:half]
    return text


def is_hidden(element: Element) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return (
        element.get("hidden") is not None or "display:none" in style or "visibility:hidden" in style
    )


def text_outside(element: Element, excluded: set[Element]) -> str:
    # A stack, not recursion, as in `shown_text`.
    parts: list[str] = []
    pending: list[Element | str] = [element]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        parts.append(item.text or "")
        for child in reversed(item):
            pending.append(child.tail or "")
            if child not in excluded:
                pending.append(child)
    return "".join(parts)
