"""The local test server: file mapping, content types, gzip, scripting and the request log."""

from __future__ import annotations

import gzip
import http.client
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from newsbot.devserver import DEFAULT_ROOT, RequestRecord, SampleSiteServer

FRONT = "/section/world/americas"
RSS = "/services/xml/rss/nyt/Americas.xml"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(server: SampleSiteServer, path: str, ua: str = "newsbot-test/1") -> tuple[int, dict, bytes]:
    """(status, headers, body) without following redirects or raising on errors."""
    request = urllib.request.Request(server.url + path, headers={"User-Agent": ua})
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def raw_get(server: SampleSiteServer, target: str) -> int:
    """Send ``target`` verbatim (no client-side normalisation of ``..``)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_url_is_loopback_with_a_real_port(site_server):
    assert site_server.url.startswith("http://127.0.0.1:")
    assert site_server.port > 0
    assert not site_server.url.endswith("/")


def test_default_root_is_the_bundled_sample_site():
    assert Path(__file__).resolve().parent.parent / "sample_site" == DEFAULT_ROOT
    assert (DEFAULT_ROOT / "section" / "world" / "americas" / "index.html").is_file()


def test_section_front_maps_to_index_html(site_server):
    status, headers, body = get(site_server, FRONT)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'id="collection-highlights-container"' in body
    assert get(site_server, FRONT + "/")[0] == 200


def test_article_path_maps_to_file(site_server, manifest):
    article = manifest["articles"][0]
    status, headers, body = get(site_server, article["path"])
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert int(headers["Content-Length"]) == len(body)
    assert body == (DEFAULT_ROOT / article["path"].lstrip("/")).read_bytes()


def test_query_strings_are_ignored_for_lookup_but_logged(site_server, manifest):
    path = manifest["articles"][0]["path"]
    tracked = path + "?action=click&module=Top%20Stories&pgtype=Section"
    status, _, body = get(site_server, tracked)
    assert status == 200
    assert body == get(site_server, path)[2]
    assert site_server.requests[0].path == tracked


def test_rss_and_robots_content_types(site_server):
    status, headers, body = get(site_server, RSS)
    assert status == 200
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert body.startswith(b"<?xml")
    status, headers, body = get(site_server, "/robots.txt")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert b"User-agent: Scrapy" in body


def test_plain_sitemap_xml_is_application_xml(site_server):
    status, headers, _ = get(site_server, "/sitemaps/new/news.xml")
    assert status == 200
    assert headers["Content-Type"] == "application/xml; charset=utf-8"


def test_gz_is_made_on_the_fly_from_the_xml(site_server):
    assert not (DEFAULT_ROOT / "sitemaps" / "new" / "news.xml.gz").exists()
    status, headers, body = get(site_server, "/sitemaps/new/news.xml.gz")
    assert status == 200
    assert headers["Content-Type"] in {"application/x-gzip", "application/gzip"}
    assert "Content-Encoding" not in headers  # the file itself is gzip, not the transfer
    assert body[:2] == b"\x1f\x8b"
    assert gzip.decompress(body) == (DEFAULT_ROOT / "sitemaps" / "new" / "news.xml").read_bytes()


def test_missing_paths_and_directories_without_index_are_404(site_server):
    assert get(site_server, "/2021/06/10/world/americas/no-such-story.html")[0] == 404
    assert get(site_server, "/nothing.xml.gz")[0] == 404
    # a directory with no index.html is not listed
    status, _, body = get(site_server, "/2021/06/10/world/")
    assert status == 404
    assert b"americas" not in body


@pytest.mark.parametrize(
    "target",
    [
        "/../pyproject.toml",
        "/section/../../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/section/%2E%2E/%2E%2E/pyproject.toml",
        "/..%2fpyproject.toml",
        "//etc/passwd",
        "/section/world/../../robots.txt",
        "/./robots.txt",
        "/robots.txt%00.html",
    ],
)
def test_paths_cannot_escape_the_root(site_server, target):
    assert raw_get(site_server, target) == 404


def test_absolute_form_request_target(site_server):
    assert raw_get(site_server, "http://www.nytimes.com/robots.txt") == 200
    assert site_server.requests[-1].path == "http://www.nytimes.com/robots.txt"


def test_resolve_rejects_escapes_and_accepts_files(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.html").write_text("<p>a</p>")
    (tmp_path / "secret.txt").write_text("secret")
    server = SampleSiteServer(root=tmp_path / "site")
    assert server.resolve("/a.html") == (tmp_path / "site" / "a.html").resolve()
    assert server.resolve("/../secret.txt") is None
    assert server.resolve("/%2e%2e/secret.txt") is None
    assert server.resolve("/a.html?x=1") == (tmp_path / "site" / "a.html").resolve()


def test_symlink_out_of_root_is_refused(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (site / "link.txt").symlink_to(tmp_path / "secret.txt")
    with SampleSiteServer(root=site) as server:
        assert get(server, "/link.txt")[0] == 404


def test_redirect(site_server, manifest):
    old = "/2021/06/10/world/americas/old-slug.html"
    new = manifest["articles"][0]["path"]
    site_server.redirect(old, new)
    status, headers, _ = get(site_server, old + "?smid=x")
    assert status == 301
    assert headers["Location"] == new
    site_server.redirect(old, "https://www.nytimes.com" + new, code=302)
    assert get(site_server, old)[0] == 302
    # a client that follows redirects ends on the real page
    site_server.redirect("/x-temp2", new, code=307)
    with urllib.request.urlopen(site_server.url + "/x-temp2") as response:
        assert response.status == 200
        assert response.url.endswith(new)


def test_fail_then_succeed(site_server):
    site_server.fail(FRONT, status=503, times=2)
    assert get(site_server, FRONT)[0] == 503
    assert get(site_server, FRONT + "?page=2")[0] == 503  # same path, query ignored
    assert get(site_server, FRONT)[0] == 200
    assert get(site_server, FRONT)[0] == 200
    assert [r.status for r in site_server.requests] == [503, 503, 200, 200]


def test_fail_defaults_to_one_503(site_server):
    site_server.fail(RSS)
    assert get(site_server, RSS)[0] == 503
    assert get(site_server, RSS)[0] == 200


def test_override_replaces_content_and_can_add_pages(site_server, manifest):
    path = manifest["articles"][0]["path"]
    site_server.override(path, "<html><body><h1>Changed</h1></body></html>")
    status, headers, body = get(site_server, path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == b"<html><body><h1>Changed</h1></body></html>"

    site_server.override("/feeds/extra.json", b'{"a": 1}', content_type="application/json")
    status, headers, body = get(site_server, "/feeds/extra.json")
    assert (status, headers["Content-Type"], body) == (200, "application/json", b'{"a": 1}')


def test_remove_gives_404_and_override_brings_back(site_server, manifest):
    path = manifest["articles"][0]["path"]
    site_server.remove(path)
    assert get(site_server, path)[0] == 404
    site_server.override(path, "back")
    assert get(site_server, path)[2] == b"back"
    site_server.reset()
    assert get(site_server, path)[2].startswith(b"<!DOCTYPE html>")


def test_head_requests(site_server):
    connection = http.client.HTTPConnection("127.0.0.1", site_server.port, timeout=10)
    connection.request("HEAD", "/robots.txt")
    response = connection.getresponse()
    assert response.status == 200
    assert response.read() == b""
    connection.close()
    assert site_server.requests[-1].method == "HEAD"


def test_request_log_records_method_path_status_and_user_agent(site_server):
    get(site_server, "/robots.txt", ua="newsbot/0.1 (+test)")
    get(site_server, FRONT + "?a=1", ua="Scrapy/2.13")
    get(site_server, "/missing.html")
    records = site_server.requests
    assert records == [
        RequestRecord("GET", "/robots.txt", 200, "newsbot/0.1 (+test)"),
        RequestRecord("GET", FRONT + "?a=1", 200, "Scrapy/2.13"),
        RequestRecord("GET", "/missing.html", 404, "newsbot-test/1"),
    ]
    assert records[0].status == 200 and records[0].user_agent.startswith("newsbot")
    assert site_server.paths() == ["/robots.txt", FRONT + "?a=1", "/missing.html"]
    assert site_server.hits(FRONT) == 1
    site_server.clear_requests()
    assert site_server.requests == []


def test_request_log_is_safe_under_concurrency(site_server):
    import threading

    def worker():
        for _ in range(10):
            get(site_server, "/robots.txt")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(site_server.requests) == 80
    assert {r.status for r in site_server.requests} == {200}


def test_log_file_is_json_lines(tmp_path):
    log = tmp_path / "requests.jsonl"
    with SampleSiteServer(log_file=log) as server:
        get(server, "/robots.txt")
        get(server, "/nope")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [
        ("GET", "/robots.txt", 200),
        ("GET", "/nope", 404),
    ]
    assert all("user_agent" in e and "time" in e for e in lines)


def test_url_for_maps_site_urls_onto_the_server(site_server):
    full = "https://www.nytimes.com/section/world/americas?x=1"
    assert site_server.url_for(full) == site_server.url + "/section/world/americas?x=1"
    assert site_server.url_for("/robots.txt") == site_server.url + "/robots.txt"


def test_stop_releases_the_port_and_restarts_cleanly():
    server = SampleSiteServer().start()
    url = server.url
    assert get(server, "/robots.txt")[0] == 200
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = server.url
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/robots.txt", timeout=2)


def test_bad_root_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        SampleSiteServer(root=tmp_path / "nope")


def test_command_line_prints_url_and_serves(tmp_path):
    log = tmp_path / "cli.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbot.devserver", "--port", "0", "--log", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line
        url = line.split(" on ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "/robots.txt", timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert json.loads(log.read_text().splitlines()[0])["path"] == "/robots.txt"
