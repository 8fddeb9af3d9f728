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
_MARKED_POSTS = xpath(f".//div{_IS_POST} | .//article{_IS_POST}")
_POST_SHAPED = xpath("self::*[self::div or self::article or self::section][.//h2][p or div/p]")
# A post's closing byline: "— Name and Name", names in `span[itemprop=name]`.
_SIGN_OFF = "span/@itemprop='name' or starts-with(normalize-space(), '—')"
_POST_PARAGRAPHS = xpath(
    "(./p | ./div/p[not(../descendant::*[self::button or self::form or self::input])])"
    f"[not({_SIGN_OFF})]"
)
_SIGN_OFFS = xpath(f".//p[{_SIGN_OFF}]")
_HEADER_BYLINE = xpath(f"(.//header//p[{BYLINE_TEST}])[1]")


def posts(container: Element) -> list[Element]:
    """The marked posts, after the unmarked blocks shaped like posts that precede the first
    one. Found once per call in Python: an XPath union of the two would walk the blog twice,
    and only the first post's earlier siblings are looked at (a test on every post's siblings
    would be quadratic in the number of posts)."""
    marked = _MARKED_POSTS(container)
    if not marked:
        return []
    pinned = [
        sibling
        for sibling in marked[0].itersiblings(preceding=True)
        if isinstance(sibling.tag, str) and _POST_SHAPED(sibling)
    ]
    return pinned[::-1] + marked


def paragraphs(container: Element) -> list[Element]:
    """Paragraphs sit in the post or in one wrapper inside it; deeper ones belong to figures
    (video transcripts) and embeds. A wrapper with a control in it (a newsletter sign-up box,
    a poll) is a widget. A post's sign-off byline is not body."""
    # A post nested in another (an `<article>` post around a `div` one) gives its paragraphs
    # once.
    found = (paragraph for post in posts(container) for paragraph in _POST_PARAGRAPHS(post))
    return list(dict.fromkeys(found))


def byline(container: Element) -> list[Element]:
    """The header's byline; copies without one name the blog's authors in the first post's
    sign-off."""
    found = _HEADER_BYLINE(container)
    if found:
        return found
    first = posts(container)[:1]
    return _SIGN_OFFS(first[0])[:1] if first else []


def figures(container: Element) -> list[Element]:
    """The posts' figures, and the header's (a lead image)."""
    in_header = [f for header in container.iterchildren("header") for f in header.iter("figure")]
    in_posts = [f for post in posts(container) for f in post.iter("figure")]
    return list(dict.fromkeys(in_header + in_posts))


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
    byline=byline,
    paragraphs=paragraphs,
    end_notes=xpath(".//div[has-class('bottom-of-article')]//strong"),
    figures=figures,
)
