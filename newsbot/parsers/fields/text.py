"""Text as a reader sees it: line breaks as spaces, hidden copies left out."""

from __future__ import annotations

from collections.abc import Callable

from newsbot.parsers.common import Element, clean


def flat_text(
    element: Element,
    descend: Callable[[Element], bool],
    gap: Callable[[Element], str] | None = None,
) -> str:
    """The text of `element` and of the children `descend` lets in (with their descendants that
    it lets in), tails always kept; `gap(child)` goes around a child's text, and a `<br>` left
    out reads as a space.

    A stack, not recursion: markup can nest deeper than Python's recursion limit."""
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
            if descend(child):
                space = gap(child) if gap is not None else ""
                pending.extend((space, child, space) if space else (child,))
            elif child.tag == "br":
                pending.append(" ")
    return "".join(parts)


def shown_text(element: Element) -> str:
    """What a reader sees of a heading or caption: `<br>` reads as a space (balance-text
    headlines break lines with it), hidden copies are left out, and a heading that holds its
    text twice (a visible copy and a screen-reader copy) gives it once."""
    text = clean(flat_text(element, _shown))
    half = len(text) // 2
    if half and text[:half] == text[-half:] and text[half : len(text) - half] in {"", " "}:
        return text[:half]
    return text


def _shown(child: Element) -> bool:
    return isinstance(child.tag, str) and child.tag != "br" and not is_hidden(child)


def is_hidden(element: Element) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return (
        element.get("hidden") is not None or "display:none" in style or "visibility:hidden" in style
    )


def text_outside(element: Element, excluded: set[Element]) -> str:
    return flat_text(element, lambda child: child not in excluded)
