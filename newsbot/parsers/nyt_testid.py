"""Pages from 2021 on: the React body of 2018–2020 plus `data-testid` hooks
(`h1[data-testid=headline]`, `div[data-testid=companionColumn-N]`)."""

from newsbot.parsers.common import Element, Landmarks, Markup, enclosing_story, xpath
from newsbot.parsers.nyt_react import (
    BLOCKS,
    BODY_SECTION,
    BOTTOM_NOTES,
    BYLINE_TEST,
    story_figures,
)

HEADLINE = "h1[@data-testid='headline' or @data-test-id='headline']"


def find_story(landmarks: Landmarks) -> Element | None:
    for heading in landmarks.headings:
        if "headline" in (heading.get("data-testid"), heading.get("data-test-id")):
            return enclosing_story(heading)
    return None


MARKUP = Markup(
    era="testid",
    find_story=find_story,
    headline=xpath(".//" + HEADLINE),
    # The byline paragraph itself; the `data-testid=byline` block around it can also hold
    # "Reporting from …", so it counts only when it has no such paragraph.
    byline=xpath(
        f"(.//header//p[{BYLINE_TEST}]"
        f" | .//header//div[@data-testid='byline'][not(.//p[{BYLINE_TEST}])])[1]"
    ),
    # One path, not a union of the two column hooks: libxml2 merges unions pairwise, which is
    # quadratic in the number of paragraphs.
    paragraphs=xpath(
        BODY_SECTION
        + "//div[starts-with(@data-testid, 'companionColumn')"
        + " or contains(@class, 'StoryBodyCompanionColumn')]/div"
        + BLOCKS
    ),
    end_notes=xpath(BOTTOM_NOTES),
    figures=story_figures,
)
