"""Article pages from before the 2012 redesign (2006–2011): `div#article` holding
`h1.articleHeadline`, `h6.byline`, one or more `div.articleBody` runs of bare `<p>`, and
`div.articleInline` boxes (photos, "Related" lists, portfolio tools) between the runs."""

from collections.abc import Callable

from newsbot.parsers.common import Element, Landmarks, Markup, main_article, xpath

_BODY_RUN = "div[has-class('articleBody')]"
# Inline boxes sit inside a run when a `<p>` was left open; their text is never body.
_NOT_IN_BOX = (
    "[not(ancestor::div[has-class('articleInline') or has-class('inlineImage')"
    " or has-class('authorIdentification')])]"
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
