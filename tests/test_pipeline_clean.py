"""CleanPipeline alone: text normalisation, escape stripping, boilerplate, URLs, hash."""

from __future__ import annotations

import hashlib

import pytest

from newsbot.items import ArticleItem
from newsbot.pipelines.clean import CleanPipeline, clean_body, clean_text

URL = "https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html"


def cleaned(**values: object) -> ArticleItem:
    fields = {"url": URL, "headline": "H", "body": "Body.", "published": "2026-11-20T08:00:00Z"}
    fields.update(values)
    return CleanPipeline().process_item(ArticleItem.blank(**fields))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Cafe\u0301  au\u00a0lait", "Café au lait"),  # NFC, NBSP, double space
        ("\x1b[31mRed\x1b[0m alert", "Red alert"),  # CSI colour
        ("\x1b]0;pwned\x07Title", "Title"),  # OSC window title, BEL-terminated
        ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
        ("\x9b2JCleared", "Cleared"),  # 8-bit CSI
        ("bell\x07 and\x00 nul\x7f", "bell and nul"),
        ("abc\u202edef\u200b", "abcdef"),  # bidi override, zero-width space
        ("stray \x9d byte keeps the rest", "stray byte keeps the rest"),
        ("  \t\n ", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_body_keeps_paragraphs_and_drops_boilerplate() -> None:
    body = (
        "Supported by\n\nFirst\u00a0paragraph\nstill first.\n\n\nAdvertisement\n\n"
        "Continue reading the main story\n\n  Second  one. \r\n\r\nSKIP ADVERTISEMENT"
    )
    assert clean_body(body) == "First paragraph still first.\n\nSecond one."


def test_item_fields_urls_count_and_hash() -> None:
    item = cleaned(
        url="https://NYTimes.com/2026/11/20/world/americas/brazil-rains.html?smid=tw&x=1#top",
        source_url="https://www.nytimes.com/2026/11/20/world/americas/brazil-rains.html?smid=tw",
        headline="\x1b[1mRains\x1b[0m flood\u00a0Brazil ",
        authors=[" Ana\u00a0Silva", "\x1b[2K", "Joa\u0303o"],
        captions=[{"text": " A  street ", "credit": "Credit\x07 X", "image_url": None}, {}],
        body="Advertisement\n\nOne two three.\n\nFour five.",
        alternates=["https://www.nytimes.com/a.amp.html?utm_source=x"],
    )
    assert item["url"] == URL
    assert item["source_url"] == URL
    assert item["headline"] == "Rains flood Brazil"
    assert item["authors"] == ["Ana Silva", "João"]
    assert item["captions"] == [{"text": "A street", "credit": "Credit X", "image_url": None}]
    assert item["alternates"] == ["https://www.nytimes.com/a.amp.html"]
    assert item["body"] == "One two three.\n\nFour five."
    assert item["word_count"] == 5
    assert item["content_hash"] == hashlib.sha256(b"One two three.\n\nFour five.").hexdigest()


def test_same_text_with_different_furniture_hashes_the_same() -> None:
    plain = cleaned(body="One.\n\nTwo.")
    amp = cleaned(body="Advertisement\n\nOne.\u00a0\n\n\n\x1b[0mTwo.\n\nSupported by")
    assert plain["content_hash"] == amp["content_hash"]


def test_extra_boilerplate_from_settings() -> None:
    pipeline = CleanPipeline(extra_boilerplate=["Sign up for the Morning newsletter"])
    item = ArticleItem.blank(url=URL, body="Text.\n\nSign up for the morning newsletter")
    assert pipeline.process_item(item)["body"] == "Text."


def test_empty_body_has_no_hash() -> None:
    item = cleaned(body="Advertisement")
    assert (item["body"], item["word_count"], item["content_hash"]) == (None, 0, None)


def test_print_note_newsletter_prompt_and_repeated_byline_are_removed() -> None:
    item = cleaned(
        byline="By Ana Silva",
        body=(
            "By Ana Silva\n\nText.\n\nSign up for the Americas newsletter, in your inbox.\n\n"
            "Sign Up for the Morning Briefing\n\nGive this article to a friend\n\n"
            "A version of this article appears in print on June 10, 2021, Section A, Page 8."
        ),
    )
    assert item["body"] == "Text."
