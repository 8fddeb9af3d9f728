"""The 2018 "vi" transition: React with CSS-module class names (`Story-story--2QyGh`) and no
`section[name=articleBody]`; paragraphs sit directly in `div.StoryBodyCompanionColumn > div`."""

from newsbot.parsers.common import Markup, xpath

MARKUP = Markup(
    era="vi2018",
    marker=xpath("(//article[@id='story']//div[contains(@class, 'StoryBodyCompanionColumn')])[1]"),
    headline=xpath("//article[@id='story']//h1"),
    byline=xpath("//article[@id='story']//p[contains(normalize-space(.), 'By ')][1]"),
    paragraphs=xpath("//div[contains(@class, 'StoryBodyCompanionColumn')]/div/p"),
    end_notes=xpath(
        "//div[has-class('bottom-of-article')]//strong | //div[has-class('bottom-of-article')]//p"
    ),
    figures=xpath("//article[@id='story']//figure"),
)
