"""The 2018 "vi" transition: React with CSS-module class names (`Story-story--2QyGh`) and no
`section[name=articleBody]`; paragraphs sit directly in `div.StoryBodyCompanionColumn > div`."""

from newsbot.parsers.common import Markup, story_containing, xpath

MARKUP = Markup(
    era="vi2018",
    find_story=story_containing(".//div[contains(@class, 'StoryBodyCompanionColumn')]"),
    headline=xpath(".//h1"),
    byline=xpath("(.//header//p[starts-with(normalize-space(.), 'By ')])[1]"),
    paragraphs=xpath(".//div[contains(@class, 'StoryBodyCompanionColumn')]/div/p"),
    end_notes=xpath(
        ".//div[has-class('bottom-of-article')]//strong | .//div[has-class('bottom-of-article')]//p"
    ),
    figures=xpath(".//figure"),
)
