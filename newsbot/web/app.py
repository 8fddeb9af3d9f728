"""The WSGI application behind `newsbot serve`: search, articles with revisions, fronts, JSON.

Werkzeug gives routing, request parsing, safe static files and the HTTP server; Jinja2 renders
the pages with autoescaping on, so every crawled string reaches the page as text. The pages use
no script at all, which lets the Content-Security-Policy forbid every script outright.
"""

from __future__ import annotations

import calendar
import datetime as dt
import ipaddress
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.utils import redirect, send_from_directory
from werkzeug.wrappers import Request, Response

from newsbot import __version__
from newsbot.errors import NewsbotError, UsageError
from newsbot.search.facets import FacetCounter
from newsbot.search.fronts import FrontCrawl, FrontSnapshotFiles, archived_urls, parse_instant
from newsbot.search.highlight import marked, query_stems
from newsbot.search.history import find, timeline
from newsbot.search.pool import SearcherPool
from newsbot.search.query import Filters, parse_day
from newsbot.search.searcher import SORTS, SearchResult, search
from newsbot.terminal import MATCH_END, MATCH_START, clean, json_line
from newsbot.urls import canonical_article_url, strip_tracking
from newsbot.web import worddiff

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
PER_PAGE = 10  # as the CLI: snippets are the costly part of a page
MOST_PER_PAGE = 100
# No script anywhere, styles and images only from our own static folder, nothing framed.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchForm:
    """Everything a search page shows, as read from (and written back to) its URL."""

    q: str = ""
    sections: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    since: str = ""
    until: str = ""
    sort: str = "relevance"
    page: int = 1
    limit: int = PER_PAGE

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> SearchForm:
        sort = args.get("sort", "relevance")
        if sort not in SORTS:
            raise UsageError(f"unknown sort {sort!r}", hint="relevance, newest or oldest")
        return cls(
            q=args.get("q", "").strip(),
            sections=_listed(args.getlist("section")),
            authors=_listed(args.getlist("author")),
            since=args.get("since", "").strip(),
            until=args.get("until", "").strip(),
            sort=sort,
            page=_number(args.get("page"), "page", 1, 1_000_000),
            limit=_number(args.get("limit"), "limit", PER_PAGE, MOST_PER_PAGE),
        )

    def filters(self) -> Filters:
        return Filters(
            authors=self.authors,
            sections=self.sections,
            since=parse_day(self.since, "since") if self.since else None,
            until=parse_day(self.until, "until") if self.until else None,
        )

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """Query parameters for this search with some values changed; defaults left out."""
        form = replace(self, **changes)
        pairs = [("q", form.q)]
        pairs += [("section", s) for s in form.sections]
        pairs += [("author", a) for a in form.authors]
        pairs += [("since", form.since), ("until", form.until)]
        if form.sort != "relevance":
            pairs.append(("sort", form.sort))
        if form.limit != PER_PAGE:
            pairs.append(("limit", str(form.limit)))
        if form.page != 1:
            pairs.append(("page", str(form.page)))
        return [(name, value) for name, value in pairs if value]

    def href(self, **changes: Any) -> str:
        """A link to this search with some values changed (back to page 1 unless given)."""
        changes.setdefault("page", 1)
        return "/?" + urlencode(self.params(**changes))


def _listed(values: list[str]) -> tuple[str, ...]:
    """Repeated parameters and comma-separated lists alike: section=a&section=b or section=a,b."""
    names = [part.strip() for value in values for part in value.split(",")]
    return tuple(dict.fromkeys(name for name in names if name))


def _number(value: str | None, name: str, default: int, most: int) -> int:
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a number") from None
    if not 1 <= number <= most:
        raise UsageError(f"{name} must be between 1 and {most}")
    return number


@dataclass(frozen=True)
class Bar:
    month: str  # YYYY-MM
    count: int
    height: float  # 0-100, share of the busiest month
    href: str
    selected: bool


@dataclass(frozen=True)
class Timeline:
    bars: tuple[Bar, ...]
    years: tuple[tuple[str, float], ...]  # (year, left edge in % of the width)


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_range(month: str) -> tuple[str, str]:
    """The first and last day of a YYYY-MM month, as since/until values."""
    year, number = int(month[:4]), int(month[5:7])
    last = calendar.monthrange(year, number)[1]
    return f"{month}-01", f"{month}-{last:02d}"


def build_timeline(counts: dict[str, int], form: SearchForm) -> Timeline | None:
    if not counts:
        return None
    # Whole years, so that a few matches still sit in a calendar rather than fill the width.
    months = _months_between(min(counts)[:4] + "-01", max(counts)[:4] + "-12")
    busiest = max(counts.values())
    bars = []
    for month in months:
        since, until = month_range(month)
        selected = bool(form.since or form.until) and (
            (not form.since or until >= form.since) and (not form.until or since <= form.until)
        )
        count = counts.get(month, 0)
        bars.append(
            Bar(month, count, 100 * count / busiest, form.href(since=since, until=until), selected)
        )
    starts = [
        (month[:4], 100 * position / len(months))
        for position, month in enumerate(months)
        if month.endswith("-01") or position == 0
    ]
    # At most about eight labels, and none so near the right edge that it would be cut off.
    step = -(-len(starts) // 8)
    years = tuple(
        label for n, label in enumerate(starts) if n % step == 0 and (label[1] < 94 or n == 0)
    )
    return Timeline(tuple(bars), years)


def snippet_html(marked: str) -> Markup:
    """A snippet with highlighter markers as <mark>; the text itself escaped."""
    text = str(escape(marked))
    return Markup(text.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>"))


def safe_href(url: Any) -> str | None:
    """The URL if it is an http(s) link, else None: no javascript:, data: or relative links."""
    if not isinstance(url, str):
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in {"http", "https"} else None


def readable_time(value: Any, seconds: bool = False) -> str:
    """An ISO 8601 instant as '8 Mar 2013, 14:02 UTC−05:00'; other strings unchanged."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return clean(value)
    text = f"{when.day} {when:%b %Y}"
    if len(value) > 10:
        text += f", {when:%H:%M:%S}" if seconds else f", {when:%H:%M}"
        offset = when.utcoffset()
        if offset is not None:
            text += " UTC" if not offset else f" UTC{_offset(offset)}"
    return text


def _offset(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _text(value: Any) -> str:
    """Crawled data as one line of display text, whatever JSON type it arrived as."""
    if value is None:
        return ""
    return clean(value if isinstance(value, str) else str(value))


def field_search(field: str, value: Any) -> str:
    """A search for everything with this author or section, newest first."""
    term = _text(value).replace('"', " ").strip()
    return "/?" + urlencode({"q": f'{field}:"{term}"', "sort": "newest"})


def article_href(url: str) -> str:
    return "/article?" + urlencode({"url": url})


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        # Old feeds and snapshot files may lack keys; a missing one shows as nothing.
        undefined=Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        snippet=snippet_html,
        safe_href=safe_href,
        when=readable_time,
        clean=_text,
        article_href=article_href,
    )
    env.globals.update(version=__version__, per_page=PER_PAGE, field_search=field_search)
    return env


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine's own (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """The name in a Host header: "[::1]:8080" -> "::1", "localhost:8080" -> "localhost"."""
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class ArchiveApp:
    """The web interface to one index (and the front snapshots beside its feeds)."""

    def __init__(self, index_dir: Path, fronts: list[Path], *, any_host: bool = False) -> None:
        self.index_dir = index_dir
        self.pool = SearcherPool(index_dir)
        self.facets = FacetCounter()
        with self.pool.searcher() as searcher:
            self.facets.warm(searcher)
        self.fronts = FrontSnapshotFiles(fronts)
        self.fronts_paths = fronts
        # A loopback-only server answers only to loopback names, so a web page elsewhere
        # cannot point its own domain at 127.0.0.1 and read the archive (DNS rebinding).
        self.any_host = any_host
        self.templates = _environment()
        self.routes = Map(
            [
                Rule("/", endpoint="search_page"),
                Rule("/article", endpoint="article_page"),
                Rule("/fronts", endpoint="fronts_page"),
                Rule("/api/search", endpoint="api_search"),
                Rule("/api/article", endpoint="api_article"),
                Rule("/static/<path:filename>", endpoint="static"),
                Rule("/favicon.ico", endpoint="favicon"),
            ],
            strict_slashes=False,
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.method not in {"GET", "HEAD"}:
            return self.error(request, 405, "This archive is read-only: only GET is answered.")
        if not self.any_host and not is_loopback(_host_name(request.host)):
            return self.error(request, 400, "This server answers only on its loopback address.")
        try:
            endpoint, values = self.routes.bind_to_environ(request.environ).match()
            return getattr(self, endpoint)(request, **values)
        except RequestRedirect as moved:  # "/static//x" -> "/static/x", and the like
            return moved.get_response(request.environ)
        except NotFound:
            return self.error(request, 404, "There is no such page.")
        except HTTPException as error:
            return self.error(request, error.code or 500, error.description or "Bad request.")
        except UsageError as error:
            return self.error(request, 400, _one_line(error))
        except NewsbotError as error:
            return self.error(request, 503, _one_line(error))
        except Exception:
            logger.exception("newsbot serve: %s failed", request.full_path)
            return self.error(request, 500, "Something went wrong; the server log says what.")

    # Pages

    def render(self, name: str, status: int = 200, **context: Any) -> Response:
        html = self.templates.get_template(name).render(**context)
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    def error(self, request: Request, status: int, message: str) -> Response:
        if request.path.startswith("/api/"):
            return Response(
                json_line({"error": message}) + "\n",
                status=status,
                content_type="application/json",
            )
        return self.render("error.html", status, title="Error", message=message)

    def search_page(self, request: Request) -> Response:
        try:
            form = SearchForm.from_args(request.args)
        except UsageError as error:
            return self.render("search.html", 400, **_empty_search(SearchForm(), error))
        canonical = form.params()
        if list(request.args.items(multi=True)) != canonical:
            # A submitted form sends every field, empty or not; the address to keep and share
            # is the short one, holding only what was chosen.
            return redirect("/?" + urlencode(canonical) if canonical else "/", 303)
        if not form.q:
            with self.pool.searcher() as searcher:
                documents = searcher.doc_count()
            return self.render(
                "search.html", **{**_empty_search(form, None), "documents": documents}
            )
        try:
            with self.pool.searcher() as searcher:
                result = self._search(searcher, form)
                matches = self.facets.matches(searcher, form.q, form.filters())
                facets = self.facets.count(searcher, matches.shown)
                # The timeline shows every month the other filters allow, so that another
                # month is one click away and the chosen one stands out in context.
                months = self.facets.months(searcher, matches.any_date)
        except UsageError as error:
            return self.render("search.html", 400, **_empty_search(form, error))
        return self.render(
            "search.html",
            form=form,
            result=result,
            facets=facets,
            error=None,
            timeline=build_timeline(months, form),
            first=(form.page - 1) * form.limit + 1,
            documents=None,
        )

    def _search(self, searcher: Any, form: SearchForm) -> SearchResult:
        return search(
            searcher,
            form.q,
            form.filters(),
            sort=form.sort,  # type: ignore[arg-type]
            limit=form.limit,
            page=form.page,
        )

    def article_page(self, request: Request) -> Response:
        url = request.args.get("url", "").strip()
        if not url:
            return self.error(request, 400, "Which article? The link needs ?url=ARTICLE_URL.")
        found = self._find(url)
        if found is None:
            return self.render(
                "error.html",
                404,
                title="Not in the archive",
                message=f"The archive has no article at {clean(url)}.",
            )
        history, item = found
        versions = timeline(history, item)
        count = len(versions)
        older = _number(request.args.get("from"), "from", max(1, count - 1), count)
        newer = _number(request.args.get("to"), "to", count, count)
        changes = None
        if count > 1 and older != newer:
            changes = worddiff.compare(versions[older - 1]["item"], versions[newer - 1]["item"])
        query = request.args.get("q", "").strip()
        try:
            marker = _Marker(query_stems(query) if query else frozenset())
        except UsageError:  # a query the search page would refuse marks nothing here
            marker = _Marker(frozenset())
        return self.render(
            "article.html",
            query=query,
            mark=marker,
            title=clean(item.get("headline")) or "Article",
            item=_displayable(item),
            history=history,
            versions=versions,
            older=older,
            newer=newer,
            changes=changes,
            paragraphs=[p for p in (item.get("body") or "").split("\n\n") if p.strip()],
            api_href="/api/article?" + urlencode({"url": item["url"]}),
        )

    def _find(self, url: str) -> Any:
        wanted = canonical_article_url(strip_tracking(url))
        with self.pool.searcher() as searcher:
            return find(searcher, wanted) or (find(searcher, url) if wanted != url else None)

    def fronts_page(self, request: Request) -> Response:
        archive = self.fronts.archive()
        if not archive.crawls:
            return self.render(
                "fronts.html",
                title="Fronts",
                archive=archive,
                crawl=None,
                paths=[str(p) for p in self.fronts_paths],
            )
        front = request.args.get("front") or archive.fronts[0]
        crawls = archive.crawls.get(front)
        if crawls is None:
            return self.error(request, 404, f"No snapshots of the front {clean(front)}.")
        asked_text = request.args.get("at", "").strip()
        asked = parse_instant(asked_text) if asked_text else None
        if asked_text and asked is None:
            raise UsageError(f"{clean(asked_text)!r} is not a date and time")
        position = len(crawls) - 1 if asked is None else archive.nearest(front, asked)
        assert position is not None
        crawl = crawls[position]
        shown_now = {entry.get("url") for entry in crawl.entries}
        before = crawls[position - 1] if position else None
        dropped = [e for e in before.entries if e.get("url") not in shown_now] if before else []
        moves = rank_moves(before, crawl) if before else {}
        with self.pool.searcher() as searcher:
            urls = [str(e.get("url") or "") for e in (*crawl.entries, *dropped)]
            archived = archived_urls(searcher, urls)

        def at(index: int) -> str | None:
            if not 0 <= index < len(crawls):
                return None
            return "/fronts?" + urlencode(
                {"front": front, "at": crawls[index].crawled_at.isoformat()}
            )

        return self.render(
            "fronts.html",
            title="Fronts",
            archive=archive,
            front=front,
            crawl=crawl,
            position=position,
            crawls=len(crawls),
            asked=asked,
            archived=archived,
            moves=moves,
            dropped=dropped,
            first=at(0),
            previous=at(position - 1),
            next=at(position + 1),
            latest=at(len(crawls) - 1),
            at_value=crawl.crawled_at.strftime("%Y-%m-%dT%H:%M"),
        )

    # JSON

    def api_search(self, request: Request) -> Response:
        """The records `newsbot search --json` prints: one hit per line, then the facets."""
        form = SearchForm.from_args(request.args)
        if not form.q:
            raise UsageError("empty query", hint="give some words to search for in ?q=")
        facets = request.args.get("facets", "") not in {"", "0", "false", "no"}
        with self.pool.searcher() as searcher:
            result = self._search(searcher, form)
            if facets:
                matches = self.facets.matches(searcher, form.q, form.filters())
                counts = self.facets.count(searcher, matches.shown)
        lines = [json_line(hit.as_json()) for hit in result.hits]
        if facets:
            lines.append(json_line({"facets": counts}))
        response = Response(
            "".join(line + "\n" for line in lines),
            content_type="application/x-ndjson; charset=utf-8",
        )
        response.headers["X-Newsbot-Total"] = str(result.total)
        response.headers["X-Newsbot-Pages"] = str(result.pages)
        if result.suggestion:
            response.headers["X-Newsbot-Suggestion"] = (
                clean(result.suggestion).encode("ascii", "backslashreplace").decode()
            )
        return response

    def api_article(self, request: Request) -> Response:
        url = request.args.get("url", "").strip()
        if not url:
            raise UsageError("which article? give ?url=ARTICLE_URL")
        found = self._find(url)
        if found is None:
            return self.error(request, 404, f"no article with URL {clean(url)} in the archive")
        return Response(json_line(found[1]) + "\n", content_type="application/json")

    # Files

    def static(self, request: Request, filename: str) -> Response:
        # send_from_directory answers 404 for any path that would leave the folder.
        return send_from_directory(STATIC, filename, request.environ, max_age=3600)

    def favicon(self, request: Request) -> Response:
        return send_from_directory(STATIC, "favicon.svg", request.environ, max_age=86400)


_LIST_FIELDS = ("authors", "tags", "alternates")
_TEXT_FIELDS = ("url", "headline", "summary", "byline", "section", "subsection", "published")
_TEXT_FIELDS += ("modified", "language", "kind", "short_url", "near_duplicate_of")


def _displayable(item: dict[str, Any]) -> dict[str, Any]:
    """The item with each shown field of the type the page expects. Items come from the index,
    but its stored JSON is whatever a feed held: a damaged value shows as nothing."""
    shown = dict(item)
    for name in _TEXT_FIELDS:
        shown[name] = item.get(name) if isinstance(item.get(name), str) else None
    for name in _LIST_FIELDS:
        values = item.get(name)
        shown[name] = [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
    translations = item.get("translations")
    shown["translations"] = (
        {str(k): v for k, v in translations.items() if isinstance(v, str)}
        if isinstance(translations, dict)
        else {}
    )
    captions = item.get("captions")
    shown["captions"] = (
        [c for c in captions if isinstance(c, dict)] if isinstance(captions, list) else []
    )
    count = item.get("word_count")
    shown["word_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
    return shown


def rank_moves(before: FrontCrawl, after: FrontCrawl) -> dict[str, str]:
    """How each story of `after` moved since `before`: 'new', '↑2', '↓1', or '' if it stayed."""
    ranks = {entry.get("url"): entry.get("rank") for entry in before.entries}
    moves = {}
    for entry in after.entries:
        url, rank = entry.get("url"), entry.get("rank")
        was = ranks.get(url)
        if url not in ranks:
            moves[url] = "new"
        elif isinstance(was, int) and isinstance(rank, int) and was != rank:
            moves[url] = f"↑{was - rank}" if rank < was else f"↓{rank - was}"
        else:
            moves[url] = ""
    return moves


class _Marker:
    """Escapes text and marks the query's words in it, numbering the marks page-wide so the page
    can link to the first one."""

    def __init__(self, stems: frozenset[str]) -> None:
        self.stems = stems
        self.count = 0

    def __call__(self, value: Any) -> Markup:
        text = _text(value)
        html = []
        for piece, matched in marked(text, self.stems):
            if matched:
                self.count += 1
                html.append(f'<mark id="match-{self.count}">{escape(piece)}</mark>')
            else:
                html.append(str(escape(piece)))
        return Markup("".join(html))


def _one_line(error: NewsbotError) -> str:
    return f"{error} ({error.hint})" if error.hint else str(error)


def _empty_search(form: SearchForm, error: UsageError | None) -> dict[str, Any]:
    return {
        "form": form,
        "result": None,
        "error": _one_line(error) if error else None,
        "timeline": None,
        "facets": {},
        "first": 1,
        "documents": None,
    }
