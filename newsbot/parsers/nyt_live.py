"""Live blogs (`/live/YYYY/...`, 2020 on): posts (`div.live-blog-post`), each with its own h2,
paragraphs, figures and closing "— Name, Name" byline."""

from newsbot.parsers.common import Markup, xpath

MARKUP = Markup(
    era="live",
    marker=xpath("(//article[has-class('live-blog-content')])[1]"),
    headline=xpath("//header[has-class('live-blog-header')]//h1 | //h1[@data-testid='headline']"),
    byline=xpath("//header[has-class('live-blog-header')]//p[has-class('e1jsehar1')]"),
    paragraphs=xpath("//div[has-class('live-blog-post')]/p[not(has-class('e1jsehar1'))]"),
    end_notes=xpath("//div[has-class('bottom-of-article')]//strong"),
    figures=xpath("//article[has-class('live-blog-content')]//figure"),
)
