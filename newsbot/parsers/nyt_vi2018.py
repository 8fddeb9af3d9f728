"""The 2018 "vi" transition: React with CSS-module class names (`Story-story--2QyGh`) and no
`section[name=articleBody]`; paragraphs sit directly in `div.StoryBodyCompanionColumn > div`."""

from newsbot.parsers.common import Markup, story_containing, xpath
from newsbot.parsers.nyt_react import BLOCKS, BOTTOM_NOTES

MARKUP = Markup(
    era="vi2018",
    find_story=story_containing(".//div[contains(@class, 'StoryBodyCompanionColumn')]"),
    headline=xpath(".//h1"),
    byline=xpath("(.//header//p[starts-with(normalize-space(.), 'By ')])[1]"),
    paragraphs=xpath(".//div[contains(@class, 'StoryBodyCompanionColumn')]/div" + BLOCKS),
    # The bottom-of-article block (corrections, print note) that React pages kept.
    end_notes=xpath(BOTTOM_NOTES),
    figures=xpath(".//figure"),
)
