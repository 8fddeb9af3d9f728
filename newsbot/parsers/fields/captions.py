"""Captions and credits of the article's own images (not videos, charts or thumbnails)."""

from __future__ import annotations

import re
from itertools import islice

from newsbot.parsers.common import Element, Markup, clean, text_of, xpath
from newsbot.parsers.fields.text import flat_text, is_hidden
from newsbot.urls import join_url

# Not an article image: a video (copies with scripts stripped keep its hidden "Video" label
# and its poster image's alt), an embedded interactive, or a thumbnail of another story (a
# figure inside a link, a sidebar or a recirculation block; its "caption" is the thumbnail's
# credit).
# One XPath for all of them: each call has a fixed cost, and most pages have many figures.
_NOT_A_PHOTO = xpath(
    "self::*[contains(@itemtype, 'VideoObject') or @data-testid='VideoBlock' or @data-videoid"
    " or has-class('video') or has-class('interactive') or .//video"
    " or .//script[contains(., 'VideoObject')]"
    " or .//span[normalize-space()='Video'][not(ancestor::figcaption)]"
    " or .//img[starts-with(@alt, 'Video player')]"
    " or ancestor::a[@href][not(starts-with(normalize-space(@href), 'javascript'))]"
    # A sidebar (`<aside>`) is related coverage or a promo, never the story's own photo.
    " or ancestor::aside"
    " or ancestor::*[@data-testid='recirculation' or contains(@class, 'Recirculation')"
    " or contains(@class, 'RelatedCoverage') or contains(@class, 'related-coverage')]]"
)
# A credit wrapper often holds a second credit-marked element: only the outermost counts.
_IS_CREDIT = (
    "@itemprop='copyrightHolder' or contains(@class, 'credit') or has-class('e1z0qqy90')"
    " or span[normalize-space()='Credit' or normalize-space()='Credit...']"
)
_CREDIT_MARKED = xpath(f".//*[{_IS_CREDIT}]")


def _credits(figure: Element) -> list[Element]:
    """The figure's outermost credit-marked elements. (An XPath `ancestor::*[…]` test would
    also look at every ancestor above the figure, each with all of its children: quadratic on
    a page of many figures.)"""
    marked = _CREDIT_MARKED(figure)
    if len(marked) < 2:
        return marked
    found = set(marked)
    return [element for element in marked if not _held_by(element, found, figure)]


def _held_by(element: Element, holders: set[Element], stop: Element) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is stop:
            return False
        if ancestor in holders:
            return True
    return False


# Pages from before 2014 have no <figcaption>: `p.caption` (or a blog's `span.caption`,
# mobile pages' `p.image-caption`) sits beside the image.
_CAPTION = xpath(
    "(.//figcaption | .//*[has-class('g-photo-caption') or has-class('g-caption')]"
    " | .//*[has-class('caption')]"
    " | .//*[has-class('image-caption') or has-class('wp-caption-text')])[1]"
)
_IMAGE = xpath(
    "(.//img/@src | .//img/@data-src | .//img/@srcset | .//source/@srcset | self::*/@itemid)"
)
_CREDIT_LABEL = re.compile(r"^(?:Credit(?:\.\.\.|…)?\s*)+")
# Work on a page with absurdly many figures stops here; no article has this many photos.
MAX_FIGURES = 2000
# Controls inside a caption ("View Location", "Expand"): their labels are not caption text.
_CONTROLS = {"button", "select", "input", "svg", "script", "style"}
# Blocks inside a caption are separate pieces of text, never glued to their neighbours.
_BLOCKS = {"div", "p", "section", "li", "figcaption", "h2", "h3", "h4", "h5", "h6"}


def read_captions(container: Element, markup: Markup) -> list[dict[str, str | None]]:
    captions = []
    for figure in islice(markup.figures(container), MAX_FIGURES):
        if _NOT_A_PHOTO(figure):
            continue
        credits = _credits(figure)
        credit_texts = dict.fromkeys(_CREDIT_LABEL.sub("", text_of(c)) for c in credits)
        credit = "; ".join(text for text in credit_texts if text) or None
        caption = next(iter(_CAPTION(figure)), None)
        text = clean(_caption_text(caption, set(credits))) if caption is not None else ""
        if credit is None:
            # A credit whose markup is not known still follows its visible label.
            text, credit = _split_stated_credit(text)
        if not text and not credit:
            continue
        captions.append({"text": text or None, "credit": credit, "image_url": _image_url(figure)})
    return captions


_STATED_CREDIT = re.compile(r"\s*\bCredit(?:\.\.\.|…|:)\s*")


def _split_stated_credit(text: str) -> tuple[str, str | None]:
    """ "Rafts on the river. Credit...Ana Roe" -> ("Rafts on the river.", "Ana Roe")."""
    parts = _STATED_CREDIT.split(text, maxsplit=1)
    if len(parts) == 2 and parts[1]:
        return parts[0], parts[1]
    return text, None


def _image_url(figure: Element) -> str | None:
    """The first image address in the figure; lazy-loaded images only fill `srcset`."""
    for value in _IMAGE(figure):
        address = value.strip().split(" ")[0].split(",")[0]
        absolute = join_url("https://www.nytimes.com/", address)
        if address.startswith(("http://", "https://", "//")) and absolute is not None:
            return absolute
    return None


def _caption_text(element: Element, excluded: set[Element]) -> str:
    """The caption's own text: without its credit, controls or hidden parts."""

    def descend(child: Element) -> bool:
        tag = child.tag if isinstance(child.tag, str) else ""
        return (
            child not in excluded
            and tag not in _CONTROLS
            and not is_hidden(child)
            and child.get("role") != "button"
        )

    return flat_text(element, descend, lambda child: " " if child.tag in _BLOCKS else "")
