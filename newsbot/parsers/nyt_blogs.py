"""The blogs template of 2008–2013 (`<blog>.blogs.nytimes.com`, `dealbook.nytimes.com`): a
WordPress page whose masthead `h1` names the blog; each post is a `div.post.hentry` with
`h1.entry-title`, `address.byline`, a visible `span.timestamp` and `div.entry-content`.
Widgets (article tools, related links) sit inside the entry content beside the paragraphs."""

from newsbot.parsers.common import Markup, xpath
from newsbot.parsers.nyt_pre2012 import story_at

CONTENT = "div[has-class('entry-content')]"


MARKUP = Markup(
    era="blogs",
    find_story=story_at(
        f"(.//div[has-class('hentry') or has-class('post')][.//{CONTENT}]"
        f" | .//article[.//{CONTENT}])[1]"
    ),
    headline=xpath(".//*[self::h1 or self::h2][has-class('entry-title')]"),
    byline=xpath(
        "(.//*[self::address or self::p or self::div or self::span][has-class('byline')])[1]"
    ),
    # The post's own paragraphs are children of the entry content (or of one wrapper in it);
    # the widgets nest theirs deeper.
    # An embed left unclosed (`<div class="embed"><div>`) pulls the rest of the post into its
    # inner, unmarked block.
    paragraphs=xpath(
        f".//{CONTENT}/*[self::p or self::ul or self::ol or self::blockquote]"
        f" | .//{CONTENT}/div[not(@class) or has-class('story-body')]/p"
        f" | .//{CONTENT}/*[@class]/*[not(@class or @id)]/p[not(@class)]"
    ),
    end_notes=xpath(f".//{CONTENT}/div[has-class('story-addendum')]//strong"),
    # A photo block: an image with a caption or credit beside it (WordPress `wp-caption`).
    figures=xpath(
        f".//{CONTENT}//*[self::div or self::figure or self::p]"
        "[.//img][*[has-class('caption') or has-class('credit') or has-class('wp-caption-text')"
        " or self::figcaption]]"
    ),
)
