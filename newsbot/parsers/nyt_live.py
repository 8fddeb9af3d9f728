"""Live blogs (`/live/YYYY/...`, 2020 on): posts (`div.live-blog-post`, later also marked
`data-testid=live-blog-post`), each with its own h2, paragraphs, figures and closing
"— Name, Name" byline (not body). The first post may be pinned above the feed in a block that
is not marked as a post: a block before the first marked post that, like a post, holds an h2
and paragraphs, is a post too."""

from newsbot.parsers.common import Element, Landmarks, Markup, enclosing_story, xpath
from newsbot.parsers.nyt_react import BYLINE_TEST

_IS_POST = (
    "[has-class('live-blog-post') or @data-testid='live-blog-post'"
    " or @data-test-id='live-blog-post']"
)
# Tag-filtered steps: a `.//*[…]` test on every element of a long blog costs several times more.
_MARKED_POSTS = f"(.//div{_IS_POST} | .//article{_IS_POST})"
# Only the first marked post's earlier siblings are looked at: a test on every post's siblings
# would be quadratic in the number of posts.
_UNMARKED_FIRST_POSTS = (
    f"{_MARKED_POSTS}[1]/preceding-sibling::*[self::div or self::article or self::section]"
    "[.//h2][p or div/p]"
)
POSTS = f"({_MARKED_POSTS} | {_UNMARKED_FIRST_POSTS})"
# A post's closing byline: "— Name and Name", names in `span[itemprop=name]`.
SIGN_OFF = "span/@itemprop='name' or starts-with(normalize-space(), '—')"


def find_story(landmarks: Landmarks) -> Element | None:
    for article in landmarks.articles:
        classes = (article.get("class") or "").split()
        if "live-blog-content" in classes:
            return article
        # Blogs whose posts are themselves `<article>`s: the story is what holds them.
        if "live-blog-post" in classes or "live-blog-post" in (
            article.get("data-testid"),
            article.get("data-test-id"),
        ):
            parent = article.getparent()
            return enclosing_story(parent) if parent is not None else article
    return None


MARKUP = Markup(
    era="live",
    find_story=find_story,
    headline=xpath(".//header//h1"),
    # The header's byline; copies without one name the blog's authors in the first post.
    byline=xpath(f"(.//header//p[{BYLINE_TEST}] | {POSTS}[1]//p[{SIGN_OFF}])[1]"),
    # Paragraphs sit in the post or in one wrapper inside it; deeper ones belong to figures
    # (video transcripts) and embeds. A wrapper with a control in it (a newsletter sign-up
    # box, a poll) is a widget. A post's sign-off byline is not body.
    paragraphs=xpath(
        f"({POSTS}/p | {POSTS}/div[not(.//button or .//form or .//input)]/p)[not({SIGN_OFF})]"
    ),
    end_notes=xpath(".//div[has-class('bottom-of-article')]//strong"),
    figures=xpath(f"{POSTS}//figure | ./header//figure"),
)
