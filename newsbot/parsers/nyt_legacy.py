"""NYT5 pages (2012–2017): `p.story-body-text` stories and `g-*` interactives in the same shell."""

from newsbot.parsers.common import Markup, xpath

MARKUP = Markup(
    era="legacy",
    marker=xpath("(//p[has-class('story-body-text') or has-class('g-body')])[1]"),
    headline=xpath(
        "//article[@id='story']//h1[@itemprop='headline' or @id='headline' or has-class('headline')"
        " or has-class('story-heading')]"
    ),
    # The byline spans only: the surrounding `p.byline-dateline` also holds the date.
    byline=xpath("//article[@id='story']/header//span[has-class('byline')]"),
    paragraphs=xpath("//p[has-class('story-body-text') or has-class('g-body')]"),
    end_notes=xpath(
        "//div[has-class('story-addendum')]//strong"
        " | //footer[has-class('story-footer')]//div[has-class('story-notes')]//p"
    ),
    # Photos (not videos, interactives or promos) and the `g-photo-caption` blocks of graphics.
    figures=xpath(
        "//article[@id='story']//figure[has-class('photo')] | //*[has-class('g-photo-caption')]/.."
    ),
)
