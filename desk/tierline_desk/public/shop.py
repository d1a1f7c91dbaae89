"""The demo storefront (``/``) and the embeddable chat widget's files (``/chat/widget.*``, and
the ES modules it loads, ``/chat/js/...``).

The demo shop signs a customer in with a ``tierline_shop`` cookie holding a shop identity token
(services/shop_identity.py); the widget on the page sends it along when it opens a chat session.
The widget files are served to any site that embeds ``<script src=".../chat/widget.js">``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cookies import delete_sign_in_cookie, set_sign_in_cookie
from ..deps import SessionDep
from ..models import Customer
from ..services.shop_identity import DEFAULT_TTL_SECONDS, issue_token, verify_token
from ..settings import SettingsError, get_settings
from ..store import get_store

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SHOP_COOKIE = "tierline_shop"
MAX_DEMO_CUSTOMERS = 20
MAX_FORM_BYTES = 4096
STATIC_CACHE = "public, max-age=300"

# A Host header we are willing to repeat in the CSP: host name or [IPv6], optional port.
_HOST_PATTERN = re.compile(
    r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# A widget module's path under static/chat/js: "connection.js", "views/panel.js".
_WIDGET_MODULE = re.compile(r"(?:views/)?[a-z_]+\.js")

router = APIRouter(tags=["shop"])


# ---------------------------------------------------------------- the widget's static files
def _static_file(relative: str, media_type: str, *, cors: bool = False) -> FileResponse:
    headers = {
        "Cache-Control": STATIC_CACHE,
        "X-Content-Type-Options": "nosniff",
        # Shops embed the widget from another origin, even under a strict COEP.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if cors:
        # Browsers fetch ES modules in CORS mode: a shop's page on another origin needs this.
        headers["Access-Control-Allow-Origin"] = "*"
    return FileResponse(STATIC_DIR / relative, media_type=media_type, headers=headers)


@router.get("/chat/widget.js", include_in_schema=False)
def widget_js() -> FileResponse:
    return _static_file("chat/widget.js", "text/javascript; charset=utf-8")


@router.get("/chat/js/{path:path}", include_in_schema=False)
def widget_module(path: str) -> FileResponse:
    if not _WIDGET_MODULE.fullmatch(path) or not (STATIC_DIR / "chat" / "js" / path).is_file():
        raise HTTPException(status_code=404, detail="Not Found")
    return _static_file(f"chat/js/{path}", "text/javascript; charset=utf-8", cors=True)


@router.get("/chat/widget.css", include_in_schema=False)
def widget_css() -> FileResponse:
    return _static_file("chat/widget.css", "text/css; charset=utf-8")


@router.get("/shop/shop.css", include_in_schema=False)
def shop_css() -> FileResponse:
    _require_demo_shop()
    return _static_file("shop/shop.css", "text/css; charset=utf-8")


# ---------------------------------------------------------------- security headers
def _content_security_policy(request: Request) -> str:
    connect = "'self'"
    host = request.headers.get("host", "")
    if _HOST_PATTERN.fullmatch(host):
        # 'self' covers ws/wss in current browsers; older ones need the socket spelled out.
        connect += f" ws://{host} wss://{host}"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _secure(request: Request, response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _content_security_policy(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- request helpers
def _require_demo_shop() -> None:
    if not get_settings().demo_shop_enabled:
        raise HTTPException(status_code=404, detail="Not Found")


def _reject_cross_site(request: Request) -> None:
    """Form posts must come from this site's own pages (no login CSRF from other sites)."""
    origin = request.headers.get("origin")
    if origin is None:
        return  # older browsers leave it out of same-origin form posts
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(status_code=403, detail="Cross-site form posts are not accepted.")


async def _form_fields(request: Request) -> dict[str, str]:
    """The url-encoded form body (small, so it is read by hand; no multipart parser needed)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(status_code=413, detail="Form too large.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def _signed_in(request: Request, session: Session) -> Customer | None:
    token = request.cookies.get(SHOP_COOKIE)
    customer_id = verify_token(token) if token else None
    return get_store().customer(session, customer_id) if customer_id else None


# ---------------------------------------------------------------- the page
def _fill(template: str, values: dict[str, str]) -> str:
    """Replace ``{{name}}`` with ``values[name]``: every value is HTML the caller escaped."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _account_html(customer: Customer | None) -> str:
    if customer is None:
        return '<span data-testid="shop-guest-state">Browsing as a guest</span>'
    return (
        f'<span data-testid="shop-signed-in">Signed in as {html.escape(customer.name)}</span>'
        '<span aria-hidden="true"> · </span>'
        '<form method="post" action="/shop/sign-out">'
        '<button type="submit" class="shop-link-button" data-testid="shop-sign-out">'
        "Sign out</button></form>"
    )


def _customer_buttons_html(customers: list[Customer], current: Customer | None) -> str:
    buttons = []
    for customer in customers:
        is_current = current is not None and customer.id == current.id
        buttons.append(
            '<button type="submit" name="customer_id" class="shop-button shop-button--customer"'
            f' value="{html.escape(customer.id)}"'
            f' data-testid="shop-customer" data-customer-id="{html.escape(customer.id)}"'
            f' aria-current="{"true" if is_current else "false"}">'
            f'<span class="shop-customer__name">{html.escape(customer.name)}</span>'
            f'<span class="shop-customer__email">{html.escape(customer.email)}</span>'
            "</button>"
        )
    return "\n        ".join(buttons)


def _page(
    request: Request,
    session: Session,
    customer: Customer | None,
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    # The demo customers to sign in as: the index's rows (the demo tables on the builtin store;
    # the port has no "list every customer", and a real shop signs its shoppers in itself).
    customers = list(
        session.scalars(select(Customer).order_by(Customer.id).limit(MAX_DEMO_CUSTOMERS))
    )
    notice_html = (
        f'<p class="shop-notice" role="alert" data-testid="shop-notice">{html.escape(notice)}</p>'
        if notice
        else ""
    )
    template = (STATIC_DIR / "shop" / "index.html").read_text(encoding="utf-8")
    page = _fill(
        template,
        {
            "account": _account_html(customer),
            "notice": notice_html,
            "sign_in_heading": "Switch demo customer" if customer else "Sign in as a demo customer",
            "customer_buttons": _customer_buttons_html(customers, customer),
        },
    )
    return _secure(request, HTMLResponse(page, status_code=status_code))


def _to_shop(request: Request) -> Response:
    return _secure(request, RedirectResponse("/", status_code=303))


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def shop_page(request: Request, session: SessionDep) -> Response:
    _require_demo_shop()
    return _page(request, session, _signed_in(request, session))


@router.post("/shop/sign-in", include_in_schema=False)
def sign_in(request: Request, session: SessionDep, form: FormFields) -> Response:
    _require_demo_shop()
    _reject_cross_site(request)
    customer_id = form.get("customer_id", "").strip()
    customer = get_store().customer(session, customer_id) if customer_id else None
    if customer is None:
        notice = (
            f"There is no demo customer with the id {customer_id!r}; pick one from the list."
            if customer_id
            else "Pick a demo customer from the list to sign in."
        )
        return _page(request, session, _signed_in(request, session), notice=notice, status_code=400)
    try:
        token = issue_token(customer.id, ttl_seconds=DEFAULT_TTL_SECONDS)
    except (SettingsError, ValueError) as exc:
        notice = f"The demo shop can't sign you in: {exc}"
        return _page(request, session, None, notice=notice, status_code=503)
    response = _to_shop(request)
    set_sign_in_cookie(response, SHOP_COOKIE, token, max_age=DEFAULT_TTL_SECONDS)
    return response


@router.post("/shop/sign-out", include_in_schema=False)
def sign_out(request: Request) -> Response:
    _require_demo_shop()
    _reject_cross_site(request)
    response = _to_shop(request)
    delete_sign_in_cookie(response, SHOP_COOKIE)
    return response
