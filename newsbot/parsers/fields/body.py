"""The article's own paragraphs in reading order, without page furniture and promotions."""

from __future__ import annotations

import re
from itertools import islice

from newsbot.parsers import nyt_generic
from newsbot.parsers.common import Element, Markup, NotAnArticle, clean, text_of, xpath
from newsbot.parsers.fields.text import text_outside

# Page furniture that can sit inside the body's containers.
_BOILERPLATE = re.compile(
    r"^(?:Advertisement|Continue reading the main story|Supported by|Site Index"
    r"|Thanks for reading The Times\..*|Subscribe to The Times.*|Order Reprints.*"
    r"|A version of this article appears in print on.*"
    # The standing lines that close opinion pieces.
    r"|The Times is committed to publishing a diversity of letters to the editor\..*"
    r"|Follow The New York Times Opinion section on .*"
    # Pre-2012 page furniture that shares the body's containers.
    r"|Connect with .*|Also in .*|Times Reader.*|(?:Go to your|Add to) Portfolio.*"
    r"|Try Times Reader.*|Experience the new Times app.*|Next Page ?»?|Previous Page ?»?"
    # Desks' closing sign-up and follow lines.
    r"|For (?:weekly|daily|more) (?:email )?updates on .*sign up.*"
    r"|Sign up for (?:the |our )?[\w ’'&-]{0,60}newsletter.*"
    r"|Follow (?:us|[A-Z][\w.’'-]*(?: [A-Z][\w.’'-]*){0,3})"
    r" on (?:Twitter|Facebook|Instagram)\b.*)$",
    re.IGNORECASE,
)
# Italic lines above the story that point elsewhere: "Follow our live coverage …", a
# newsletter's welcome and sign-up line, a podcast's "Listen to …" intro.
_PROMO_WORDS = re.compile(
    r"\b(?:follow|live coverage|latest updates|sign up|newsletter|inbox|listen|podcast"
    r"|subscribe|download|read more|watch)\b",
    re.IGNORECASE,
)
# Work on absurd pages is capped: a page whose first PROBE_BLOCKS candidate paragraphs hold no
# article-sized one is not an article, and no article has more than MAX_BLOCKS paragraphs.
PROBE_BLOCKS = 2000
MAX_BLOCKS = 50_000
_ARTICLE_SIZED_WORDS = 12
# "[Get New York Today in your inbox.]": a paragraph wholly in brackets is an editor's promo.
_BRACKETED_PROMO = re.compile(r"^\[[^\[\]]+\]$")
_CONTRIBUTORS = re.compile(
    r"contributed (?:reporting|research)|(?:reporting|research) (?:was|were) contributed"
    r"|\breported from\b|contributed to this (?:article|report)|^additional reporting by\b",
    re.IGNORECASE,
)
_CORRECTION_LABEL = re.compile(r"^(?:Correction|Corrections|Editors?[’']? Note)\b", re.IGNORECASE)


def read_body(container: Element, markup: Markup) -> list[str]:
    blocks = markup.paragraphs(container)[:MAX_BLOCKS]
    blocks += _swallowed_paragraphs(blocks)
    kept: list[str] = []
    article_sized = False
    for index, block in enumerate(blocks):
        if index == PROBE_BLOCKS and not article_sized:
            raise NotAnArticle(f"no article-sized paragraph in the first {index} of the body")
        for text in _block_texts(block):
            if not _is_body_text(text):
                continue
            if not kept and _is_cross_promo(block, text):
                continue
            kept.append(text)
            article_sized = article_sized or text.count(" ") >= _ARTICLE_SIZED_WORDS
    if not kept:
        # Body columns under another wrapper: the paragraph class every React build since
        # 2018 gives body text.
        texts = ((p, text_of(p)) for p in _STORY_PARAGRAPHS(container))
        kept = [
            text
            for p, text in texts
            if _is_body_text(text) and (_BODY_CLASS(p) or _CONTRIBUTORS.search(text))
        ]
    if not kept and markup is not nyt_generic.MARKUP:
        # A variant of the era's template: read it the way unknown templates are read.
        paragraphs = [text_of(p) for p in nyt_generic.MARKUP.paragraphs(container)]
        kept = [text for text in paragraphs if _is_body_text(text) and len(text.split()) > 5]
    return kept + _end_notes(markup.end_notes(container))


_STORY_PARAGRAPHS = xpath(
    ".//section[@name='articleBody']//p"
    "[not(ancestor::figure or ancestor::aside or ancestor::header)]"
)
_BODY_CLASS = xpath("self::*[has-class('evys1bk0')]")


def _swallowed_paragraphs(blocks: list[Element]) -> list[Element]:
    """Paragraphs that an unclosed block (an embed missing its `</div>`) pulled in after the
    last one the era's path reaches: following it, with its class, outside figures."""
    if not blocks or blocks[-1].tag != "p" or not blocks[-1].get("class"):
        return []
    last, known = blocks[-1], set(blocks)
    found = []
    for sibling in last.itersiblings():
        if not isinstance(sibling.tag, str) or sibling.tag in {"figure", "aside", "p"}:
            continue
        for paragraph in sibling.iterdescendants("p"):
            if (
                paragraph.get("class") == last.get("class")
                and paragraph not in known
                and not _in_figure(paragraph, sibling)
            ):
                found.append(paragraph)
    return found


def _in_figure(element: Element, stop: Element) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is stop:
            return False
        if ancestor.tag in {"figure", "aside"}:
            return True
    return False


def _is_cross_promo(block: Element, text: str) -> bool:
    """A paragraph wholly in italics, above the story, that sends the reader elsewhere."""
    if (block.text or "").strip() or not _PROMO_WORDS.search(text):
        return False
    children = [child for child in block if isinstance(child.tag, str)]
    return bool(children) and all(
        child.tag in {"em", "i"} and not (child.tail or "").strip() for child in children
    )


def _block_texts(block: Element) -> list[str]:
    """A paragraph's text; each item of a list, each paragraph of a quoted block. A list item
    that is nothing but one link is navigation ("Also in …", a live blog's post headlines)."""
    if block.tag in {"ul", "ol"}:
        return [text_of(item) for item in block.iterchildren("li") if not _is_link_only(item)]
    if block.tag == "blockquote":
        quoted = [text_of(p) for p in block.iterchildren("p")]
        return quoted or [text_of(block)]
    if next(block.iterdescendants("p"), None) is not None:
        # Markup left a paragraph open around another (`<p><div><p>…</p></div>`): the inner
        # one is read on its own (or is not body), so the outer keeps only its own text.
        return [clean(text_outside(block, set(block.iterdescendants("p"))))]
    return [text_of(block)]


def _is_link_only(item: Element) -> bool:
    links = list(islice(item.iter("a"), 2))
    return len(links) == 1 and text_of(links[0]) == text_of(item)


def _is_body_text(text: str) -> bool:
    return bool(text) and not _BOILERPLATE.match(text) and not _BRACKETED_PROMO.match(text)


def _end_notes(candidates: list[Element]) -> list[str]:
    """Corrections (label, date and text as one paragraph) and contributor lines, in page order."""
    notes: list[str] = []
    consumed: set[Element] = set()
    for element in candidates:
        if element in consumed:
            continue
        text = text_of(element)
        if element.tag in {"strong", "b"}:
            if _CORRECTION_LABEL.match(text) and element.getparent() not in consumed:
                notes.append(_correction(element, consumed))
        elif _CORRECTION_LABEL.match(text) or (_CONTRIBUTORS.search(text) and _is_body_text(text)):
            consumed.add(element)
            notes.append(text)
    return [note for note in notes if note]


def _correction(label: Element, consumed: set[Element]) -> str:
    """The label plus what follows it up to and including the correction's paragraph."""
    parent = label.getparent()
    if parent is not None and parent.tag == "p":
        consumed.add(parent)
        return text_of(parent)
    parts = [text_of(label), clean(label.tail)]
    for sibling in label.itersiblings():
        parts.append(text_of(sibling))
        parts.append(clean(sibling.tail))
        if sibling.tag == "p":
            consumed.add(sibling)
            break
    return clean(" ".join(parts))
