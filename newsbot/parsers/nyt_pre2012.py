"""Article pages from before the 2012 redesign (2006–2011): `div#article` holding
`h1.articleHeadline`, `h6.byline`, one or more `div.articleBody` runs of bare `<p>`, and
`div.articleInline` boxes (photos, "Related" lists, portfolio tools) between the runs."""

from collections.abc import Callable

from newsbot.parsers.common import Element, Landmarks, Markup, main_article, xpath

_BODY_RUN = "div[has-class('articleBody')]"
# A run's paragraphs are its children, or sit in wrappers without a class or id (a `<p>` left
# open, `<nyt_text>`). Boxes inside a run (`div.articleInline` photos and "Related" lists,
# Portfolio tools, promo and ad boxes, the author's bio) all carry a class or an id; their
# text is never body.
_NOT_IN_BOX = (
    f"[not(ancestor::*[@class or @id][ancestor::{_BODY_RUN}])"
    # An embed left unclosed (`<div class="embed"><div>` with no end tags) pulls the rest of
    # the run into its inner, unmarked block: paragraphs there are the run's own.
    " or (not(@class) and parent::*[not(@class or @id)]"
    "/parent::*[@class][not(ancestor-or-self::div[has-class('articleInline')])])]"
)


def story_at(path: str) -> Callable[[Landmarks], Element | None]:
    """A story finder for templates without `<article>`: the first element `path` finds in
    the page body is the story."""
    found_by = xpath(path)

    def find_story(landmarks: Landmarks) -> Element | None:
        page = main_article(landmarks)
        found = found_by(page) if page is not None else []
        return found[0] if found else None

    return find_story


MARKUP = Markup(
    era="pre2012",
    # `div#article` holding the first body run (these pages have no `<article>`).
    find_story=story_at(f"(.//{_BODY_RUN})[1]/ancestor::div[@id='article'][1]"),
    headline=xpath(".//h1[has-class('articleHeadline')]"),
    byline=xpath(".//h6[has-class('byline')]"),
    paragraphs=xpath(f".//{_BODY_RUN}//p{_NOT_IN_BOX}"),
    # `div.authorIdentification` holds contributor lines (body) or the author's bio (not).
    end_notes=xpath(
        ".//div[has-class('authorIdentification') or has-class('articleCorrection')]//p"
    ),
    # `div.articleSpanImage` (lead photo) and `div.inlineImage` (in-text photos): an image,
    # `.credit` and `p.caption`.
    figures=xpath(".//div[has-class('articleSpanImage') or has-class('inlineImage')][.//img]"),
)
