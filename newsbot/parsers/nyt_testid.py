"""Pages from 2021 on: the React body of 2018–2020 plus `data-testid` hooks
(`h1[data-testid=headline]`, `div[data-testid=companionColumn-N]`)."""

from newsbot.parsers.common import Markup, xpath
from newsbot.parsers.nyt_react import BODY_SECTION, BOTTOM_NOTES, COLUMN_PARAGRAPHS, STORY_FIGURES

MARKUP = Markup(
    era="testid",
    marker=xpath("(//h1[@data-testid='headline' or @data-test-id='headline'])[1]"),
    headline=xpath("//h1[@data-testid='headline' or @data-test-id='headline']"),
    byline=xpath(
        "//article[@id='story']/header//p[has-class('e1jsehar1') or @itemprop='author creator']"
        " | //article[@id='story']/header//div[@data-testid='byline']"
    ),
    paragraphs=xpath(
        BODY_SECTION + "//div[starts-with(@data-testid, 'companionColumn')]/div/p"
        " | " + BODY_SECTION + COLUMN_PARAGRAPHS
    ),
    end_notes=xpath(BOTTOM_NOTES),
    figures=xpath(STORY_FIGURES),
)
