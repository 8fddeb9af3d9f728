"""React pages with emotion `css-*` classes (2018–2020): `section[name=articleBody]` holding
`div.StoryBodyCompanionColumn > div.css-53u6y8 > p.evys1bk0`."""

from newsbot.parsers.common import Markup, xpath

BODY_SECTION = "//section[@name='articleBody']"
COLUMN_PARAGRAPHS = "//div[contains(@class, 'StoryBodyCompanionColumn')]/div/p"
BOTTOM_NOTES = (
    "//div[has-class('bottom-of-article')]//strong | //div[has-class('bottom-of-article')]//p"
)
STORY_FIGURES = "//article[@id='story']//header//figure | " + BODY_SECTION + "//figure"

MARKUP = Markup(
    era="react",
    marker=xpath("(" + BODY_SECTION + ")[1]"),
    headline=xpath("//article[@id='story']//h1[@itemprop='headline' or has-class('e1h9rw200')]"),
    byline=xpath(
        "//article[@id='story']/header//p[@itemprop='author creator' or has-class('e1jsehar1')]"
    ),
    paragraphs=xpath(BODY_SECTION + COLUMN_PARAGRAPHS),
    end_notes=xpath(BOTTOM_NOTES),
    figures=xpath(STORY_FIGURES),
)
