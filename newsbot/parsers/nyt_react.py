"""React pages with emotion `css-*` classes (2018–2020): `section[name=articleBody]` holding
`div.StoryBodyCompanionColumn > div.css-53u6y8 > p.evys1bk0`."""

from newsbot.parsers.common import Element, Landmarks, Markup, enclosing_story, xpath

BODY_SECTION = ".//section[@name='articleBody']"
# Paragraphs, and the lists and quoted blocks that sit among them (`_body` reads each list
# item and each quoted paragraph as a paragraph). Boxes inside a column nest them deeper.
BLOCKS = "/*[self::p or self::ul or self::ol or self::blockquote]"
COLUMN_PARAGRAPHS = "//div[contains(@class, 'StoryBodyCompanionColumn')]/div" + BLOCKS
BOTTOM_NOTES = ".//div[has-class('bottom-of-article')]//*[self::strong or self::p]"
# The byline paragraph: its emotion class (`e1jsehar1`) changes with a site build; the
# microdata (`itemprop=author`, each name in `span[itemprop=name]`) does not.
BYLINE_TEST = (
    "@itemprop='author' or @itemprop='author creator' or .//span[@itemprop='name']"
    " or has-class('e1jsehar1')"
)


def story_figures(container: Element) -> list[Element]:
    """The story's figures: in the header, in the body section, and (feature layouts) between
    the header and the body. One pass in document order with set lookups; an XPath
    `following::` test per figure would be quadratic in the number of figures."""
    body = next((s for s in container.iter("section") if s.get("name") == "articleBody"), None)
    if body is None:
        return list(container.iter("figure"))
    kept = set(body.iter("figure"))
    kept.update(figure for header in container.iter("header") for figure in header.iter("figure"))
    found = []
    before_body = True
    for element in container.iter("figure", "section"):
        if element is body:
            before_body = False
        elif element.tag == "figure" and (before_body or element in kept):
            found.append(element)
    return found


def find_story(landmarks: Landmarks) -> Element | None:
    for section in landmarks.sections:
        if section.get("name") == "articleBody":
            return enclosing_story(section)
    return None


MARKUP = Markup(
    era="react",
    find_story=find_story,
    headline=xpath(".//h1[@itemprop='headline' or has-class('e1h9rw200')]"),
    byline=xpath(f"(.//header//p[{BYLINE_TEST}])[1]"),
    paragraphs=xpath(BODY_SECTION + COLUMN_PARAGRAPHS),
    end_notes=xpath(BOTTOM_NOTES),
    figures=story_figures,
)
