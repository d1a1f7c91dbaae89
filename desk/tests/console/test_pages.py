"""The agent console web UI: /desk, its static files and the security headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tierline_desk.console.pages import STATIC_DIR

CONSOLE = Path(STATIC_DIR)
OWN_JS = sorted(p for p in CONSOLE.rglob("*.js") if "vendor" not in p.relative_to(CONSOLE).parts)
VENDOR_JS = sorted((CONSOLE / "vendor").glob("*.js"))


def _assert_security_headers(resp: object) -> None:
    headers = resp.headers  # type: ignore[attr-defined]
    csp = headers["content-security-policy"]
    directives: dict[str, str] = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no hosts
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    for value in directives.values():
        assert "unsafe" not in value and "http" not in value and "*" not in value
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/desk", "/desk/"])
def test_desk_serves_the_page_with_security_headers(client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    _assert_security_headers(resp)
    assert "<title>Tierline desk</title>" in resp.text
    assert '<script type="module" src="/desk/static/js/main.js"></script>' in resp.text


def test_page_needs_no_login_and_no_bearer_token(client: TestClient) -> None:
    anon = TestClient(client.app)
    resp = anon.get("/desk")
    assert resp.status_code == 200
    assert anon.head("/desk").status_code == 200


def test_page_has_no_inline_script_or_style_and_only_local_assets(client: TestClient) -> None:
    html = client.get("/desk").text
    # Every <script> has a same-origin src and no body (CSP forbids inline scripts anyway).
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I)
    assert len(scripts) == 2
    for attrs, body in scripts:
        assert body.strip() == ""
        assert re.search(r'src="/desk/static/[^"]+"', attrs), attrs
    assert "<style" not in html.lower()
    assert not re.search(r"\sstyle=", html, flags=re.I)
    assert not re.search(r"\son[a-z]+=", html, flags=re.I)  # no inline event handlers
    # Every referenced asset is local and served.
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs
    for ref in refs:
        if ref.startswith("#"):
            continue
        assert ref.startswith("/desk/static/"), ref
        asset = client.get(ref)
        assert asset.status_code == 200, ref


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("js/main.js", "text/javascript; charset=utf-8"),
        ("js/views/ticket.js", "text/javascript; charset=utf-8"),
        ("console.css", "text/css; charset=utf-8"),
        ("vendor/chart.umd.js", "text/javascript; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
        ("vendor/LICENSE.md", "text/plain; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
    ],
)
def test_static_files_are_served_with_their_type(
    client: TestClient, path: str, content_type: str
) -> None:
    resp = client.get(f"/desk/static/{path}")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == content_type
    _assert_security_headers(resp)
    assert resp.content == (CONSOLE / path).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/desk/static/",
        "/desk/static/nope.js",
        "/desk/static/js",  # a directory
        "/desk/static/js/",
        "/desk/static/%2e%2e/%2e%2e/main.py",
        "/desk/static/..%2f..%2fmain.py",
        "/desk/static/js/%2e%2e/%2e%2e/%2e%2e/console/pages.py",
        "/desk/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/desk/static/..%5c..%5cmain.py",
        "/desk/static/%2fetc%2fpasswd",
        "/desk/static//etc/passwd",
        "/desk/static/js//main.js",
        "/desk/static/%2e/index.html",
        "/desk/static/.hidden",
        "/desk/static/index.html%00.js",
    ],
)
def test_traversal_and_unknown_paths_are_404(client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 404, (path, resp.status_code)
    assert resp.json()["detail"]["code"] == "not_found"


def test_files_outside_the_console_folder_or_of_unknown_type_are_404(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierline_desk.console import pages as console_pages

    root = tmp_path / "console"
    (root / "js").mkdir(parents=True)
    (root / "js" / "ok.js").write_text("export {};\n")
    (root / "secret.py").write_text("TOKEN = 1\n")
    (tmp_path / "outside.js").write_text("export {};\n")
    (root / "js" / "link.js").symlink_to(tmp_path / "outside.js")
    monkeypatch.setattr(console_pages, "STATIC_DIR", root.resolve())

    assert client.get("/desk/static/js/ok.js").status_code == 200
    assert client.get("/desk/static/secret.py").status_code == 404  # not a served type
    assert client.get("/desk/static/js/link.js").status_code == 404  # symlink out of the folder
    assert console_pages.resolve_static("../outside.js") is None
    assert console_pages.resolve_static("js/../js/ok.js") is None
    assert console_pages.resolve_static("js/ok.js") == (root / "js" / "ok.js").resolve()


def test_own_javascript_exists_and_uses_only_same_origin_urls() -> None:
    names = {p.relative_to(CONSOLE).as_posix() for p in OWN_JS}
    for expected in (
        "js/main.js",
        "js/api.js",
        "js/dom.js",
        "js/views/login.js",
        "js/views/queues.js",
        "js/views/ticket.js",
        "js/views/ticket_actions.js",
        "js/views/callbacks.js",
        "js/views/cases.js",
        "js/views/analytics.js",
        "js/views/outbox.js",
        "js/live.js",
        "js/views/presence.js",
        "js/views/macros.js",
        "js/views/notes.js",
        "js/views/notifications.js",
        "js/views/quarantine.js",
    ):
        assert expected in names
    for path in OWN_JS:
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(CONSOLE).as_posix()
        # No absolute or protocol-relative URL at all (the console talks to its own origin).
        assert not re.search(r"\b(?:https?|wss?|ftp):", source, flags=re.I), rel
        assert not re.search(r"""["'`]//[^/\s]""", source), rel
        # Imports are relative modules of the console.
        for spec in re.findall(r"""\bimport\b[^'"]*?from\s*["']([^"']+)["']""", source):
            assert spec.startswith("./") or spec.startswith("../"), (rel, spec)
            assert (path.parent / spec).resolve().is_file(), (rel, spec)
        assert not re.search(r"\bimport\s*\(", source), rel  # no dynamic imports
        # API calls go to the console API on the same origin.
        for url in re.findall(r"""fetch\(\s*["'`]([^"'`]+)""", source):
            assert url.startswith("/"), (rel, url)
        # Data is rendered as text only; nothing evaluates strings as code.
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, (rel, sink)
        assert "new Function" not in source, rel


def test_api_paths_in_the_javascript_are_console_api_paths() -> None:
    api_source = (CONSOLE / "js" / "api.js").read_text(encoding="utf-8")
    assert 'export const API = "/console/api";' in api_source
    assert "X-CSRF-Token" in api_source and "Idempotency-Key" in api_source
    assert 'credentials: "same-origin"' in api_source


def test_vendored_chart_js_is_present_with_its_license() -> None:
    assert [p.name for p in VENDOR_JS] == ["chart.umd.js"]
    source = VENDOR_JS[0].read_text(encoding="utf-8")
    assert source.startswith("/*!\n * Chart.js v4.")
    license_text = (CONSOLE / "vendor" / "LICENSE.md").read_text(encoding="utf-8")
    assert "MIT License" in license_text and "Chart.js Contributors" in license_text
    # The library loads nothing by itself: no fetch, XHR, dynamic import or script injection.
    assert "fetch(" not in source and "XMLHttpRequest" not in source
    assert not re.search(r"\bimport\s*\(", source)
    assert 'createElement("script")' not in source
    # Only documentation URLs in its banner/comments.
    for url in re.findall(r"https?://[^\s\"')]+", source):
        assert url.startswith(("https://www.chartjs.org", "https://github.com/")), url
