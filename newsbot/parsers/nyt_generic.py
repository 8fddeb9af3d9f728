"""Last resort for article pages no era module recognises (a new template, an unusual
interactive): the page says it is an article (`og:type=article`), so read its `<h1>`, its
paragraphs outside figures and page furniture, and its figures."""

from newsbot.parsers.common import Element, Landmarks, Markup, main_article, xpath


def find_story(landmarks: Landmarks) -> Element | None:
    for meta in landmarks.metas:
        if meta.get("property") == "og:type" and (meta.get("content") or "").lower() == "article":
            return main_article(landmarks)
    return None


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
