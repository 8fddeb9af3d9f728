"""NYT5 pages (2012–2017): `p.story-body-text` stories and `g-*` interactives in the same shell."""

from newsbot.parsers.common import Markup, story_containing, xpath

# `p[itemprop=articleBody]` is what pages from before the 2014 redesign used.
BODY_PARAGRAPHS = (
    ".//p[has-class('story-body-text') or has-class('g-body') or @itemprop='articleBody']"
)

MARKUP = Markup(
    era="legacy",
    find_story=story_containing(BODY_PARAGRAPHS),
    headline=xpath(
        ".//h1[@itemprop='headline' or @id='headline' or has-class('headline')"
        " or has-class('story-heading') or has-class('articleHeadline')]"
    ),
    # The byline spans only: the surrounding `p.byline-dateline` also holds the date. Pages
    # without per-author `span.byline` have `p.byline` ("By <span itemprop=author>…") holding
    # the dateline `<time>`: its text nodes outside the time.
    byline=xpath(
        "./header//span[has-class('byline')]"
        " | .//header[has-class('story-header')]//p[has-class('byline')]"
        "[not(.//span[has-class('byline')])]//text()[not(ancestor::time)]"
        # Before the 2014 redesign: `h6.byline` under the headline. The NYT5 blogs template:
        # `address.byline` in the post header.
        " | .//h6[has-class('byline')] | .//header//address[has-class('byline')]"
    ),
    paragraphs=xpath(BODY_PARAGRAPHS),
    end_notes=xpath(
        ".//div[has-class('story-addendum')]//strong"
        " | .//footer[has-class('story-footer')]//div[has-class('story-notes')]//p"
    ),
    # Photos (not videos, interactives or promos) and the blocks that hold a graphic's
    # `g-photo-caption`; before the 2014 redesign, `div.articleSpanImage` / `div.inlineImage`;
    # interactives' image items (`div.g-item.g-image`); the NYT5 blogs template's `div` of the
    # entry content with an image, `span.credit` and `span.caption`.
    figures=xpath(
        ".//figure[has-class('photo')] | .//div[has-class('g-photo-caption')]/.."
        " | .//div[has-class('articleSpanImage') or has-class('inlineImage')"
        " or (has-class('g-image') and .//img)"
        " or (span[has-class('caption') or has-class('credit')]"
        " and parent::div[has-class('entry-content')] and .//img)]"
    ),
)
