"""The article's own paragraphs in reading order, without page furniture and promotions."""

from __future__ import annotations

import re
from itertools import islice

from newsbot.parsers import nyt_generic
from newsbot.parsers.common import Element, Markup, NotAnArticle, clean, inside, text_of, xpath
from newsbot.parsers.fields.text import text_outside

# Page furniture that can sit inside the body's containers.
_BOILERPLATE = re.compile(
    r"^(?:Advertisement|Continue reading the main story|Supported by|Site Index"
    r"|Thanks for reading The Times\..*|Subscribe to The Times.*|Order Reprints.*"
    r"|A version of this article appears in print on.*"
    # The standing lines that close opinion pieces.
    r"|The Times is committed to publishing a diversity of letters to the editor\..*"
    r"|Follow The New York Times Opinion section on .*"
    # Pre-2012 pagination, which shares the body's containers.
    r"|Next Page ?»?|Previous Page ?»?"
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
    blocks = _with_swallowed(blocks)
    kept: list[str] = []
    article_sized = False
    for index, block in enumerate(blocks):
        if index == PROBE_BLOCKS and not article_sized:
            raise NotAnArticle(f"no article-sized paragraph in the first {index} of the body")
        for text in _block_texts(block):
            if not _is_body_text(text):
                continue
            # (The cheap test first: most paragraphs open with text of their own.)
            if not (block.text or "").strip() and _is_cross_promo(block, text, not kept):
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


_FIGURES = {"figure", "aside"}


def _with_swallowed(blocks: list[Element]) -> list[Element]:
    """The era's blocks plus the paragraphs an unclosed block (an embed missing its `</div>`)
    pulled under it, in reading order. Such paragraphs sit in a sibling of the blocks the era's
    path reaches, carry the class of those blocks, and are outside figures and asides. Each
    parent of the blocks is walked once, so the work is linear in the body's size."""
    found: list[Element] = []
    known = set(blocks)
    emitted: set[Element] = set()
    walked: set[Element] = set()
    for block in blocks:
        parent = block.getparent()
        if parent is None or parent in walked:
            if block not in emitted:
                emitted.add(block)
                found.append(block)
            continue
        walked.add(parent)
        classes: set[str] | None = None  # the blocks' classes, gathered when first needed
        for child in parent:
            if child in known:
                if child not in emitted:
                    emitted.add(child)
                    found.append(child)
                continue
            if not isinstance(child.tag, str) or child.tag in _FIGURES or not len(child):
                continue
            if classes is None:
                classes = {b.get("class") for b in parent if b in known and b.tag == "p"}
                classes.discard(None)
            if classes:
                for paragraph in child.iterdescendants("p"):
                    if paragraph not in emitted and (
                        paragraph in known
                        or (
                            paragraph.get("class") in classes
                            and not inside(paragraph, _FIGURES, child)
                        )
                    ):
                        emitted.add(paragraph)
                        found.append(paragraph)
    return found


def _is_cross_promo(block: Element, text: str, above_story: bool) -> bool:
    """A paragraph wholly in italics (no text outside its children) that sends the reader
    elsewhere: above the story by its words alone ("Sign up for …"), further down only when
    it also links away ("Read more about … here")."""
    if not _PROMO_WORDS.search(text):
        return False
    children = [child for child in block if isinstance(child.tag, str)]
    if not children or not all(
        child.tag in {"em", "i"} and not (child.tail or "").strip() for child in children
    ):
        return False
    return above_story or next(block.iter("a"), None) is not None


# Elements that are never inside a paragraph's own text.
_BOX_TAGS = (
    "p",
    "div",
    "aside",
    "section",
    "header",
    "footer",
    "nav",
    "form",
    "figure",
    "table",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
)


def _block_texts(block: Element) -> list[str]:
    """A paragraph's text; each item of a list, each paragraph of a quoted block. A list item
    that is nothing but one link is navigation ("Also in …", a live blog's post headlines), and
    so is a paragraph that is nothing but one link to a place on this page (a live blog's list
    of its own posts)."""
    if block.tag in {"ul", "ol"}:
        texts = ((item, text_of(item)) for item in block.iterchildren("li"))
        return [text for item, text in texts if _link_only(item, text) is None]
    if block.tag == "blockquote":
        quoted = [text_of(p) for p in block.iterchildren("p")]
        return quoted or [text_of(block)]
    if not len(block):
        return [clean(block.text)]  # the common case: text and nothing else
    if next(block.iterdescendants(*_BOX_TAGS), None) is not None:
        boxes = set(block.iterdescendants(*_BOX_TAGS))
        # Markup left a paragraph open around another (`<p><div><p>…</p></div>`) or around a
        # box (a promo, an ad, the author's bio): an inner paragraph is read on its own (or is
        # not body), and a box is never part of the paragraph, so the outer keeps only its own
        # inline text.
        return [clean(text_outside(block, boxes))]
    text = text_of(block)
    if not (block.text or "").strip():
        link = _link_only(block, text)
        if link is not None and _points_into_a_page(link.get("href") or ""):
            return []
    return [text]


def _link_only(item: Element, text: str) -> Element | None:
    """The one link that makes up all of the element's text (`text`), if there is one."""
    if (item.text or "").strip():
        return None  # most paragraphs: text before any link
    links = list(islice(item.iter("a"), 2))
    return links[0] if len(links) == 1 and text_of(links[0]) == text else None


def _points_into_a_page(href: str) -> bool:
    """ "#post-3", or a live blog's address with a post's anchor."""
    href = href.strip()
    return href.startswith("#") or ("#" in href and "/live/" in href)


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
