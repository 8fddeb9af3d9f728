"""Last resort for article pages no era module recognises (a new template, an unusual
interactive): the page says it is an article, so read its `<h1>`, its paragraphs outside
figures and page furniture, and its figures."""

from newsbot.parsers.common import Element, Landmarks, Markup, main_article, xpath
from newsbot.urls import is_article_url

_ARTICLE_METAS = {"article:published_time", "article:published", "ptime", "pdate"}


def _says_it_is_an_article(landmarks: Landmarks) -> bool:
    """Any one of the signs saved copies tend to keep: og:type, a publication-time meta, or a
    canonical link with an article's path (dated story, interactive or live blog)."""
    for meta in landmarks.metas:
        name = (meta.get("property") or meta.get("name") or "").lower()
        if name == "og:type" and (meta.get("content") or "").lower() == "article":
            return True
        if name in _ARTICLE_METAS and meta.get("content"):
            return True
    return any(
        link.get("rel") == "canonical" and is_article_url(link.get("href") or "")
        for link in landmarks.links
    )


def find_story(landmarks: Landmarks) -> Element | None:
    return main_article(landmarks) if _says_it_is_an_article(landmarks) else None


MARKUP = Markup(
    era="generic",
    find_story=find_story,
    headline=xpath("(.//h1)[1]"),
    # Interactives (`g-*` markup) name their byline `g-byline`.
    byline=xpath("(.//*[@itemprop='author' or has-class('byline') or has-class('g-byline')])[1]"),
    # Not body: ai2html graphic labels (`p.g-pstyle0`, `p.g-aiPstyle1`) and bylines.
    paragraphs=xpath(
        ".//p[not(ancestor::figure or ancestor::aside or ancestor::header or ancestor::nav"
        " or ancestor::footer or ancestor::form or has-class('e1jsehar1')"
        " or contains(@class, 'g-pstyle') or contains(@class, 'g-aiPstyle')"
        " or span[@itemprop='name'] or has-class('byline') or has-class('g-byline'))]"
    ),
    end_notes=xpath(".//footer//p"),
    figures=xpath(".//figure"),
)
