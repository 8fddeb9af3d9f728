"""The byline as shown and the people it names (`authors`)."""

from __future__ import annotations

import re
from typing import Any

from newsbot.parsers.common import Element, Markup, clean, first_meta, json_types, text_of, xpath

_NAME_SEPARATORS = re.compile(r"\s*[,;]\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
# What a byline credits before "by": "Photographs and Text by Jane Roe", "Video by …". The
# roles go, the names stay; each credit starts a new run of names.
_ROLE_WORD = (
    r"(?:photo(?:graph)?s?|photography|text|videos?|reporting|reported|written|words|story"
    r"|interviews?|produced|production|illustrations?|illustrated|graphics|designed|design"
    r"|animations?|edited|compiled|research|maps?|audio|narrated|development|art|directed"
    r"|drawings?|data)"
)
_CREDIT = re.compile(
    rf"(?:\b{_ROLE_WORD}(?:\s*(?:,|and|&)\s*{_ROLE_WORD})*\s+)?\bby(?:\s+|$)", re.IGNORECASE
)
# A news agency or the paper itself is not a person: the byline keeps it, `authors` does not.
_ORGANISATION = re.compile(
    r"^(?:the\s+)?(?:associated\s+press|a\.?p\.?|reuters|agence\s+france-presse|afp"
    r"|bloomberg(?:\s+news)?|dow\s+jones|kaiser\s+health\s+news|the\s+new\s+york\s+times"
    r"|new\s+york\s+times|nytimes\.com|the\s+editorial\s+board|staff"
    # A show or podcast credited as the author of its page: "‘The Daily’", "The Argument".
    r"|[‘“'\"].+[’”'\"]|the\s.+\s(?:show|podcast))$",
    re.IGNORECASE,
)
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,;])")


# 2022-on headers put "Reporting from Kyiv, Ukraine" in the byline block, after the names.
_REPORTING_FROM = re.compile(r"\s*\b(?:Reporting|Reported) from\b.*$", re.IGNORECASE)


def read_byline(container: Element, markup: Markup, meta: dict[str, list[str]]) -> str | None:
    # Text pieces are joined with spaces: 2021 bylines put "By" in its own span with no space.
    # An era's byline path may give text nodes (the byline without its dateline) or elements.
    pieces = (
        piece
        for found in markup.byline(container)
        for piece in (found.itertext() if isinstance(found, Element) else (found,))
    )
    shown = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", clean(" ".join(pieces)))
    shown = _REPORTING_FROM.sub("", shown)
    if not _split_names(shown):
        shown = ""  # a bare "By" (the names did not render) is no byline
    stated = clean(first_meta(meta, "byl"))
    # A post's sign-off ("— Name and Name", live blogs) stands in only when the page states none.
    if shown.startswith(("—", "–")) and stated:
        return stated
    # A byline split over several elements, of which the era's path found only the first: the
    # stated byline names the same people and more.
    if shown and stated:
        seen = {name.casefold() for name in _split_names(shown)}
        if seen < {name.casefold() for name in _split_names(stated)}:
            return stated
    return shown or stated or None


def read_authors(
    byline: str | None,
    meta: dict[str, list[str]],
    ld_article: dict[str, Any] | None,
    container: Element | None = None,
) -> list[str]:
    known = _ld_people(ld_article) + _split_names(first_meta(meta, "author") or "")
    names = _split_names(byline or "") or known
    if container is not None and all(_ORGANISATION.match(name) for name in names):
        # Reports and interactives credited to the paper (or, in copies without metas, to no
        # one) sign off with the people who wrote them ("By Ann Lee, Bo Ray and Cy Do." at the
        # end): that is the visible byline.
        names = _signature_names(container) or names
    by_folded = {name.casefold(): name for name in known}
    people = [name for name in names if not _ORGANISATION.match(name)]
    return [by_folded.get(name.casefold()) or _proper_case(name) for name in people]


_SIGNATURES = xpath(
    ".//p[starts-with(normalize-space(), 'By ')][string-length(normalize-space()) < 300]"
    "[not(ancestor::figure or ancestor::aside or ancestor::nav or ancestor::footer"
    " or ancestor::header or ancestor::form or contains(@class, 'byline'))]"
)


# A person's name as a signature writes it: capitalised words, with the particles names use.
_PERSON = re.compile(
    r"^[A-Z][\w.’'-]*(?: (?:[A-Z][\w.’'-]*|de|del|da|van|von|der|la|le|bin|al|y)){1,5}$"
)


def _signature_names(container: Element) -> list[str]:
    """The names of the last "By …" line whose names all look like a person's (a paragraph
    that starts "By Tuesday, the river …" is prose, "By signing up, you agree …" a sign-up
    form that an unclosed block pulled into the story)."""
    for found in reversed(_SIGNATURES(container)):
        names = _split_names(text_of(found))
        if names and all(_PERSON.match(name) for name in names):
            return names
    return []


def _split_names(byline: str) -> list[str]:
    text = clean(byline).lstrip("—–- ")
    names = (
        name.strip(" :")
        for credit in _CREDIT.split(text)
        for name in _NAME_SEPARATORS.split(credit)
    )
    return list(dict.fromkeys(_without_full_stop(name) for name in names if name))


def _without_full_stop(name: str) -> str:
    """ "Tyson Evans." closing a sentence-style byline; "Jr." and initials keep theirs."""
    last = name.rsplit(" ", 1)[-1]
    return name[:-1] if last.endswith(".") and len(last) > 4 else name


def _proper_case(name: str) -> str:
    """Legacy bylines are upper case ("WILLIAM K. RASHBAUM"); mixed case is left as written."""
    if not name.isupper():
        return name
    return re.sub(r"[^\W\d_]+", lambda word: word.group().capitalize(), name.lower())


def _ld_people(ld_article: dict[str, Any] | None) -> list[str]:
    authors = (ld_article or {}).get("author") or []
    if isinstance(authors, dict):
        authors = [authors]
    names = []
    for author in authors if isinstance(authors, list) else []:
        if isinstance(author, dict) and "Person" in json_types(author) and author.get("name"):
            names.append(clean(str(author["name"])))
    return names
