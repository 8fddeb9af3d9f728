"""Live blogs (`/live/YYYY/...`, 2020 on): posts (`div.live-blog-post`), each with its own h2,
paragraphs, figures and closing "— Name, Name" byline (not body)."""

from newsbot.parsers.common import Element, Landmarks, Markup, xpath


def find_story(landmarks: Landmarks) -> Element | None:
    for article in landmarks.articles:
        if "live-blog-content" in (article.get("class") or "").split():
            return article
    return None


MARKUP = Markup(
    era="live",
    find_story=find_story,
    headline=xpath(".//header//h1"),
    byline=xpath("(.//header//p[has-class('e1jsehar1')])[1]"),
    paragraphs=xpath(".//div[has-class('live-blog-post')]/p[not(has-class('e1jsehar1'))]"),
    end_notes=xpath(".//div[has-class('bottom-of-article')]//strong"),
    figures=xpath(".//div[has-class('live-blog-post')]//figure | ./header//figure"),
)
