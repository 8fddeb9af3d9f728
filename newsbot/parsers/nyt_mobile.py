"""The mobile-web article template (2014–2016, served with `meta sourceApp=mobileWeb`):
`p.p-block` in `div.article-body`; columns name their columnist in a heading, not a byline."""

from newsbot.parsers.common import Markup, story_containing, xpath

MARKUP = Markup(
    era="mobile",
    find_story=story_containing(".//div[has-class('article-body')]/p[has-class('p-block')]"),
    headline=xpath(".//header/h1"),
    byline=xpath(
        ".//header//*[has-class('byline')]"
        " | .//div[has-class('article-body')]/figure[has-class('related-asset')]"
        "//figcaption/div[has-class('heading')]"
    ),
    paragraphs=xpath(".//div[has-class('article-body')]/p[has-class('p-block')]"),
    end_notes=xpath(".//div[has-class('article-body')]/div[has-class('story-footer')]//p"),
    # `related-asset` figures are columnist headshots and promos, not article images; the lead
    # image can sit in the header, and in-text images in a wrapper inside the body.
    figures=xpath(
        "(.//header//figure | .//div[has-class('article-body')]//figure)"
        "[not(has-class('related-asset'))][not(ancestor::figure)]"
    ),
)
