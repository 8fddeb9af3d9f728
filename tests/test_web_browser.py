"""`newsbot serve` in a real browser: headless Chromium driven by Playwright.

Two servers run for the whole module: one on an index built by crawling the sample site twice
(the second crawl sees a revised article), one on the hostile archive of test_web_app.py, where
every shown field is an attack. Screenshots go to $WEB_SCREENSHOTS (docs/screenshots when
regenerating README's pictures), else to a temporary folder.

Chromium is Debian's (`apt-get install chromium`; .ci/run installs it): Playwright's own browser
download cannot work offline. Without it the module skips, except under CI, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_web_app import HOSTILE_URL, build_archive, revised

from newsbot.devserver import SampleSiteServer, local_crawl_command

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SITE = "https://www.nytimes.com"
CHANGED = f"{SITE}/2021/06/09/world/americas/argentina-rio-verde-governor-election.html"
OLD_HEADLINE = "A Provincial Vote in Argentina Becomes a Test of the Lithium Boom"
NEW_HEADLINE = "Río Verde Elects a Governor Who Promised to Tax the Mines"
ADDED = "Officials said the count would be certified on Friday."
MANAUS = f"{SITE}/2021/06/10/world/americas/brazil-amazon-river-drought-manaus.html"
# The second crawl finds this headline (escaped in the page's HTML, as a site would send it).
CRAWLED_ATTACK = "Manaus <script>document.title='owned'</script> <img src=x onerror=alert(1)>"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


if not Path(CHROMIUM).exists():
    _unavailable("no Chromium at /usr/bin/chromium (apt-get install chromium)")
try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:
    _unavailable("Playwright is not installed (pip install playwright)")


def _crawl(server: SampleSiteServer, folder: Path, *extra: str) -> None:
    command = local_crawl_command(
        server.url,
        folder / "index",
        folder / "feed.jsonl",
        "-s",
        "NEWSBOT_INDEX_COMMIT_SECONDS=0.5",
        *extra,
    )
    proc = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def crawl_sample_twice(folder: Path) -> Path:
    """Two crawls of the sample site; between them one article is revised and another gets a
    hostile headline. The front snapshots land beside the feed."""
    with SampleSiteServer(port=0) as server:
        _crawl(server, folder)
        path = CHANGED.removeprefix(SITE)
        page = (server.root / path.lstrip("/")).read_text(encoding="utf-8")
        last = "The new governor takes office in December.</p>"
        page = (
            page.replace(OLD_HEADLINE, NEW_HEADLINE)
            .replace("had 47 percent of the vote", "had 48 percent of the vote")
            .replace(last, f'{last}<p class="css-at9mc1 evys1bk0">{ADDED}</p>')
        )
        server.override(path, page)
        manaus = MANAUS.removeprefix(SITE)
        original = (server.root / manaus.lstrip("/")).read_text(encoding="utf-8")
        headline = "As the Amazon Shrinks, Manaus Learns to Live Beside a River of Sand"
        server.override(manaus, original.replace(headline, _escaped(CRAWLED_ATTACK)))
        time.sleep(1.1)  # so the two crawls' times differ in the seconds shown
        _crawl(server, folder, "-a", "refetch=all")
    return folder


class Served:
    """`newsbot serve --port 0` in a subprocess, and the URL it printed."""

    def __init__(self, index_dir: Path, fronts: Path, log_dir: Path) -> None:
        self.out = log_dir / "serve.out"
        with self.out.open("w") as out, (log_dir / "serve.err").open("w") as err:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "newsbot", "serve"),
                    *("--index", str(index_dir), "--fronts", str(fronts), "--port", "0"),
                ],
                cwd=REPO_ROOT,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            first = self.out.read_text().split("\n", 1)[0]
            if first.startswith("newsbot serve: http://"):
                self.url = first.removeprefix("newsbot serve: ").rstrip("/")
                return
            assert self.process.poll() is None, (log_dir / "serve.err").read_text()
            time.sleep(0.05)
        raise AssertionError("newsbot serve printed no URL")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = crawl_sample_twice(tmp_path_factory.mktemp("sample"))
    served = Served(folder / "index", folder, folder)
    yield served
    served.stop()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("hostile")
    index_dir, fronts = build_archive(folder)
    served = Served(index_dir, fronts, folder)
    yield served
    served.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # launch() gives the browser a fresh temporary profile, removed when it closes.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("WEB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watched:
    """A page, and whatever it tried to do that it should not have: dialogs, console errors
    (a Content-Security-Policy violation is one), failed requests."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.failed: list[str] = []
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("requestfailed", self._request_failed)

    def _request_failed(self, request: Any) -> None:
        # Leaving a page cancels its lazy requests (the favicon): that is no failure.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url}: {request.failure}")

    def assert_quiet(self) -> None:
        assert self.dialogs == [] and self.console == [] and self.failed == []


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    yield Watched(context.new_page())
    context.close()


def manifest_article(url: str) -> dict[str, Any]:
    manifest = json.loads((REPO_ROOT / "sample_site" / "manifest.json").read_text("utf-8"))
    return next(a for a in manifest["articles"] if a["url"] == url)


def test_search_with_the_keyboard_and_open_a_result(sample: Served, watched: Watched, shots):
    page = watched.page
    page.goto(sample.url + "/")
    # The query box has the focus on arrival: type and press Enter.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'q'")
    page.keyboard.type("dockworkers strike")
    page.keyboard.press("Enter")
    # The form sends every field; the server answers with the short address to share.
    page.wait_for_url("**/?q=dockworkers+strike")
    hits = page.locator("li.hit")
    assert hits.count() >= 1
    chile = f"{SITE}/2013/03/08/world/americas/chile-port-strike-valparaiso.html"
    expected = manifest_article(chile)
    first = hits.first
    assert first.locator("h2").inner_text() == expected["headline"]
    assert first.locator("mark").count() >= 1
    assert "8 Mar 2013" in first.locator(".meta").inner_text()
    assert "matched in" in first.locator(".meta").inner_text()
    assert page.locator(".facets").get_by_text("americas").count() == 1
    # Tab to the first result's link and follow it with Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('li.hit') !== null"):
            break
    else:
        raise AssertionError("Tab never reached a result")
    page.keyboard.press("Enter")
    page.wait_for_url("**/article?url=*&q=dockworkers+strike")
    assert page.locator("h1").inner_text() == expected["headline"]
    # Every place the query matches is marked, and the first is a click away.
    marks = page.locator("main mark")
    assert marks.count() >= 3
    words = {m.inner_text().lower() for m in marks.all()}
    assert all(w.startswith(("dockworker", "strik")) for w in words), words
    page.get_by_role("link", name=f"{marks.count()} places").click()
    assert page.evaluate("location.hash") == "#match-1"
    body = page.locator(".body").inner_text()
    assert expected["first_paragraph"] in body and expected["last_paragraph"] in body
    # (The stored byline of this 2013 page keeps the page's capitals.)
    assert page.locator(".byline").inner_text().lower() == expected["byline"].lower()
    assert page.locator(".captions figcaption").count() == len(expected["captions"])
    original = page.get_by_role("link", name=chile)
    assert original.get_attribute("href") == chile
    watched.assert_quiet()


def test_click_a_timeline_bar_narrows_to_its_month(sample: Served, watched: Watched, shots):
    page = watched.page
    page.goto(sample.url + "/?q=government")
    bars = page.locator("a.bar")
    assert bars.count() >= 3
    page.screenshot(path=shots / "search.png")
    label = bars.first.get_attribute("aria-label")
    month, count = label.split(": ")[0], int(label.split(": ")[1].split()[0])
    bars.first.click()
    page.wait_for_url(f"**/?q=government&since={month}-01&until={month}-*")
    summary = page.locator("p.summary").inner_text()
    assert summary.startswith(f"{count} article")
    published = [t.get_attribute("datetime") for t in page.locator("li.hit time").all()]
    assert len(published) == count and all(when.startswith(month) for when in published)
    # The chosen month stays on a full timeline, marked; another month is one click away.
    assert page.locator("a.bar.selected").count() == 1
    assert page.locator("a.bar").count() == bars.count()
    assert f"{month}-01 to {month}-" in page.locator(".chips").inner_text()
    # A bar works from the keyboard too.
    other = page.locator("a.bar").nth(1)
    other_month = other.get_attribute("aria-label").split(":")[0]
    other.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/?q=government&since={other_month}-01&until=*")
    assert page.locator("a.bar.selected").count() == 1
    watched.assert_quiet()


def test_open_a_revision_diff(sample: Served, watched: Watched, shots):
    page = watched.page
    page.goto(sample.url + "/article?url=" + CHANGED)
    assert page.locator("h1").inner_text() == NEW_HEADLINE
    versions = page.locator("ol.versions li")
    assert versions.count() == 2
    assert OLD_HEADLINE in versions.nth(0).inner_text()
    page.select_option("select[name=from]", "1")
    page.select_option("select[name=to]", "2")
    page.get_by_role("button", name="Show changes").click()
    page.wait_for_url("**/article?url=*&from=1&to=2#diff")
    diff = page.locator("#diff")
    assert diff.locator("p.para del").first.inner_text() == OLD_HEADLINE
    assert NEW_HEADLINE in diff.locator("p.para ins").first.inner_text()
    assert "47" in [d.inner_text() for d in diff.locator("p.changed del").all()]
    assert "48" in [i.inner_text() for i in diff.locator("p.changed ins").all()]
    assert diff.locator("p.ins").inner_text() == ADDED
    assert diff.locator("p.fold").count() >= 1  # unchanged paragraphs folded away
    page.locator("#revisions").screenshot(path=shots / "revisions.png")
    # Backwards works as well: what v1 has that v2 lacks.
    page.goto(sample.url + "/article?url=" + CHANGED + "&from=2&to=1")
    assert page.locator("#diff p.del").inner_text() == ADDED
    watched.assert_quiet()


def test_step_the_fronts_page(sample: Served, watched: Watched, shots):
    page = watched.page
    page.goto(sample.url + "/fronts")
    where = page.locator(".steps .where")
    assert where.inner_text() == "crawl 2 of 2"
    stories = page.locator("ol.front > li")
    assert stories.count() == 20
    assert stories.first.locator(".rank").inner_text() == "1"
    page.get_by_role("link", name="← Earlier crawl").click()
    assert where.inner_text() == "crawl 1 of 2"
    assert page.get_by_role("link", name="← Earlier crawl").count() == 0
    page.get_by_role("link", name="Later crawl →").click()
    assert where.inner_text() == "crawl 2 of 2"
    # A moment long before any crawl shows the first one.
    page.fill("input[name=at]", "2001-01-01T00:00")
    page.get_by_role("button", name="Show").click()
    assert where.inner_text() == "crawl 1 of 2"
    assert "nearest to 1 Jan 2001" in page.locator("p.summary").inner_text()
    page.screenshot(path=shots / "fronts.png")
    # Each archived story links to its archived article (whose headline may differ from the
    # front's: the second crawl found a new one for the Manaus story).
    first = stories.first.locator("h2 a")
    href = first.get_attribute("href")
    first.click()
    page.wait_for_url("**" + href)
    assert page.locator("h1").inner_text() == CRAWLED_ATTACK
    watched.assert_quiet()


def _nothing_injected(watched: Watched) -> None:
    page = watched.page
    injected = page.evaluate(
        """() => ({
            scripts: document.scripts.length,
            handlers: [...document.querySelectorAll('*')].flatMap(
                e => [...e.attributes].filter(a => a.name.startsWith('on')).map(a => a.name)),
            jsLinks: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
                .filter(href => {
                    try { return !/^https?:$/.test(new URL(href, location.href).protocol); }
                    catch { return true; }
                }),
            embeds: document.querySelectorAll('img, iframe, object, embed').length,
            svgs: [...document.querySelectorAll('svg')].filter(
                s => !s.closest('figure.timeline')).length,
            title: document.title,
        })"""
    )
    assert injected["scripts"] == 0
    assert injected["handlers"] == []
    assert injected["jsLinks"] == []
    assert injected["embeds"] == 0 and injected["svgs"] == 0
    assert injected["title"] != "owned"  # (the escaped payload may be part of the title)
    # Nothing even tried to run: no CSP violation was reported, so escaping did the work.
    watched.assert_quiet()


def test_hostile_strings_run_nothing(hostile: Served, watched: Watched):
    page = watched.page
    for path, shown in (
        ("/?q=hostile", "<script>document.title='owned'</script>"),
        ("/?q=strike&sort=newest", "eve <script>"),
        ("/article?url=" + HOSTILE_URL.replace('"', "%22"), '<iframe src="javascript:'),
        ("/article?url=" + revised()[0]["url"], "<img src=x onerror="),
        ("/fronts", "Front <script>"),
    ):
        page.goto(hostile.url + path)
        assert shown.lower() in page.locator("main").inner_text().lower(), path
        _nothing_injected(watched)
    # Every link on the hostile article page stays on web URLs or on this server.
    page.goto(hostile.url + "/article?url=" + HOSTILE_URL.replace('"', "%22"))
    assert "{{ 7*7 }}" in page.locator(".dek").inner_text()


def test_crawled_markup_shows_as_text(sample: Served, watched: Watched):
    page = watched.page
    page.goto(sample.url + "/?q=manaus")
    assert CRAWLED_ATTACK in page.locator("main").inner_text()
    _nothing_injected(watched)
    page.locator("li.hit h2 a").first.click()
    assert page.locator("h1").inner_text() == CRAWLED_ATTACK
    _nothing_injected(watched)


def test_phone_width_fits_and_nothing_jumps(sample: Served, browser: Browser, shots):
    # A plain narrow window: a mobile viewport would widen itself to fit an overflowing page.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    pages = ("/?q=strike", "/article?url=" + CHANGED + "&q=governor", "/fronts", "/")
    for path in (*pages, "/fronts?at=2001-01-01T00:00", "/article?url=" + MANAUS):
        page.goto(sample.url + path)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], path
        shifted = page.evaluate(
            """() => new Promise(done => {
                let total = 0;
                new PerformanceObserver(list => {
                    for (const entry of list.getEntries()) total += entry.value;
                }).observe({type: 'layout-shift', buffered: true});
                setTimeout(() => done(total), 300);
            })"""
        )
        assert shifted < 0.01, path
        if path == "/?q=strike":
            page.screenshot(path=shots / "phone-search.png")
    context.close()


def test_api_answers_json_lines(sample: Served, watched: Watched):
    request = watched.page.request
    response = request.get(sample.url + "/api/search?q=strike&facets=1")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    lines = [json.loads(line) for line in response.text().splitlines()]
    assert lines[-1]["facets"]["subsection"]["Americas"] >= 1
    assert all("url" in hit for hit in lines[:-1])
    response = request.get(sample.url + "/api/article?url=" + CHANGED)
    assert response.json()["headline"] == NEW_HEADLINE
