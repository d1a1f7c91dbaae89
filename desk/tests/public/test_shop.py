"""The demo shop page, its sign-in cookie, and the widget's static files."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.utils.shop import sign_in
from tierline_desk.public.shop import SHOP_COOKIE, STATIC_DIR
from tierline_desk.services.shop_identity import issue_token, verify_token
from tierline_desk.settings import get_settings

SECRET = "shop-secret-for-tests-0123456789"
DEMO_NAMES = ["Maya Chen", "Jordan Alvarez", "Priya Natarajan", "Sam O&#x27;Connor", "Lee Wong"]


@pytest.fixture
def shop(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("SHOP_IDENTITY_SECRET", SECRET)
    monkeypatch.setenv("DEMO_SHOP_ENABLED", "true")
    get_settings.cache_clear()
    return client


def _set_env(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def _set_cookie_header(resp: object) -> str:
    headers = resp.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    matching = [h for h in headers if h.startswith(f"{SHOP_COOKIE}=")]
    assert len(matching) == 1, headers
    return str(matching[0])


def test_page_lists_the_demo_customers_and_loads_the_widget(shop: TestClient) -> None:
    resp = shop.get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    page = resp.text
    assert "<h1" in page and "Tierline demo shop" in page
    for name in DEMO_NAMES:
        assert name in page
    assert "Sam O'Connor" not in page  # escaped, like everything from the database
    for customer_id in ("C-1001", "C-1002", "C-1003", "C-1004", "C-1005"):
        assert f'value="{customer_id}"' in page
    assert "Browse as a guest" in page
    assert "Browsing as a guest" in page
    assert "Signed in as" not in page
    assert page.count('data-testid="shop-product"') >= 3
    assert '<script src="/chat/widget.js" defer></script>' in page
    assert "data-identity" not in page
    assert "{{" not in page
    assert 'href="/shop/shop.css"' in page


def test_security_headers(shop: TestClient) -> None:
    resp = shop.get("/")
    csp = resp.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self' ws://testserver wss://testserver"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "same-origin"
    assert resp.headers["cache-control"] == "no-store"


def test_odd_host_headers_stay_out_of_the_csp(shop: TestClient) -> None:
    resp = shop.get("/", headers={"host": "evil.example; script-src *"})
    csp = resp.headers["content-security-policy"]
    assert "evil" not in csp
    assert re.search(r"connect-src 'self';", csp)


def test_sign_in_sets_a_cookie_whose_token_verifies(shop: TestClient) -> None:
    resp = sign_in(shop, "C-1001")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/"
    header = _set_cookie_header(resp)
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes
    token = resp.cookies[SHOP_COOKIE]
    assert verify_token(token) == "C-1001"

    page = shop.get("/").text  # the client keeps the cookie
    assert "Signed in as Maya Chen" in page
    assert 'data-testid="shop-sign-out"' in page
    assert "Switch demo customer" in page


def test_sign_in_cookie_is_secure_when_configured(
    shop: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_env(monkeypatch, "CONSOLE_COOKIE_SECURE", "true")
    resp = sign_in(shop, "C-1004")
    assert resp.status_code == 303
    assert "secure" in [p.strip().lower() for p in _set_cookie_header(resp).split(";")]


@pytest.mark.parametrize("customer_id", ["C-9999", "", "<script>alert(1)</script>"])
def test_unknown_customer_is_a_400_page(shop: TestClient, customer_id: str) -> None:
    resp = sign_in(shop, customer_id)
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith("text/html")
    assert 'data-testid="shop-notice"' in resp.text
    assert "<script>alert" not in resp.text
    assert "set-cookie" not in resp.headers
    assert "content-security-policy" in resp.headers


def test_missing_form_field_is_a_400_page(shop: TestClient) -> None:
    resp = shop.post("/shop/sign-in", follow_redirects=False)
    assert resp.status_code == 400
    assert "Pick a demo customer" in resp.text


def test_sign_in_without_a_secret_explains(
    shop: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_env(monkeypatch, "SHOP_IDENTITY_SECRET", "")
    resp = sign_in(shop, "C-1001")
    assert resp.status_code == 503
    assert "SHOP_IDENTITY_SECRET" in resp.text
    assert "set-cookie" not in resp.headers


def test_cross_site_posts_are_refused(shop: TestClient) -> None:
    def sign_in_from(origin: str) -> httpx.Response:
        return shop.post(
            "/shop/sign-in",
            data={"customer_id": "C-1001"},
            headers={"origin": origin},
            follow_redirects=False,
        )

    resp = sign_in_from("https://evil.example")
    assert resp.status_code == 403
    assert "set-cookie" not in resp.headers
    assert sign_in_from("http://testserver").status_code == 303


def test_sign_out_clears_the_cookie(shop: TestClient) -> None:
    shop.post("/shop/sign-in", data={"customer_id": "C-1002"})
    assert "Signed in as Jordan Alvarez" in shop.get("/").text

    resp = shop.post("/shop/sign-out", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/"
    header = _set_cookie_header(resp).lower()
    assert "max-age=0" in header
    assert SHOP_COOKIE not in shop.cookies

    page = shop.get("/").text
    assert "Signed in as" not in page
    assert "Browsing as a guest" in page


def test_bad_or_expired_cookies_mean_a_guest(shop: TestClient) -> None:
    shop.cookies.set(SHOP_COOKIE, "v1.C-1001.1." + "0" * 64)
    assert "Browsing as a guest" in shop.get("/").text
    expired = issue_token("C-1001", ttl_seconds=60, now=datetime.now(UTC) - timedelta(hours=1))
    shop.cookies.set(SHOP_COOKIE, expired)
    assert "Browsing as a guest" in shop.get("/").text
    tampered = issue_token("C-1001").replace("C-1001", "C-1002")
    shop.cookies.set(SHOP_COOKIE, tampered)
    assert "Browsing as a guest" in shop.get("/").text
    shop.cookies.set(SHOP_COOKIE, issue_token("C-1005"))
    assert "Signed in as Lee Wong" in shop.get("/").text


def test_disabled_demo_shop_is_404(shop: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    _set_env(monkeypatch, "DEMO_SHOP_ENABLED", "false")
    assert shop.get("/").status_code == 404
    assert shop.get("/shop/shop.css").status_code == 404
    resp = sign_in(shop, "C-1001")
    assert resp.status_code == 404
    assert shop.post("/shop/sign-out", follow_redirects=False).status_code == 404
    # The widget still works on retailers' own sites.
    assert shop.get("/chat/widget.js").status_code == 200


@pytest.mark.parametrize(
    ("path", "content_type", "marker"),
    [
        ("/chat/widget.js", "text/javascript; charset=utf-8", "/chat/js/main.js"),
        ("/chat/js/connection.js", "text/javascript; charset=utf-8", "/chat/api/session"),
        ("/chat/widget.css", "text/css; charset=utf-8", ".tl-launcher"),
        ("/shop/shop.css", "text/css; charset=utf-8", ".shop-header"),
    ],
)
def test_static_files(shop: TestClient, path: str, content_type: str, marker: str) -> None:
    resp = shop.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == content_type
    assert resp.headers["cache-control"] == "public, max-age=300"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert marker in resp.text


def _widget_scripts() -> list[str]:
    """widget.js and the ES modules it loads, as URL paths."""
    chat = STATIC_DIR / "chat"
    return sorted("/chat/" + path.relative_to(chat).as_posix() for path in chat.rglob("*.js"))


def test_widget_never_writes_html(shop: TestClient) -> None:
    assert len(_widget_scripts()) > 2
    for path in _widget_scripts():
        script = shop.get(path).text
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in script, path


def test_widget_modules_load_cross_origin_and_nothing_else(shop: TestClient) -> None:
    module = shop.get("/chat/js/views/messages.js")
    assert module.status_code == 200
    assert module.headers["access-control-allow-origin"] == "*"
    assert module.headers["cross-origin-resource-policy"] == "cross-origin"
    refused = ("/chat/js/missing.js", "/chat/js/%2e%2e/widget.js", "/chat/js/views/%2e%2e/main.js")
    for path in refused:
        assert shop.get(path).status_code == 404, path
