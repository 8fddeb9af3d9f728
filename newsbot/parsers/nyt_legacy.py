"""NYT5 pages (2012–2017): `p.story-body-text` stories and `g-*` interactives in the same shell."""

from newsbot.parsers.common import Markup, story_containing, xpath

MARKUP = Markup(
    era="legacy",
    find_story=story_containing(".//p[has-class('story-body-text') or has-class('g-body')]"),
    headline=xpath(
        ".//h1[@itemprop='headline' or @id='headline' or has-class('headline')"
        " or has-class('story-heading')]"
    ),
    # The byline spans only: the surrounding `p.byline-dateline` also holds the date.
    byline=xpath("./header//span[has-class('byline')]"),
    paragraphs=xpath(".//p[has-class('story-body-text') or has-class('g-body')]"),
    end_notes=xpath(
        ".//div[has-class('story-addendum')]//strong"
        " | .//footer[has-class('story-footer')]//div[has-class('story-notes')]//p"
    ),
    # Photos (not videos, interactives or promos) and the `g-photo-caption` blocks of graphics.
    figures=xpath(".//figure[has-class('photo')] | .//div[has-class('g-photo-caption')]/.."),
)
