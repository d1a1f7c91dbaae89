"""A small sync client for Medusa v2's Admin API (and the Store API calls the seeder makes).

Authentication, either:

- the admin user's email and password: ``POST /auth/user/emailpass`` gives a JWT, sent as
  ``Authorization: Bearer``; on a 401 the client logs in again once and repeats the call
  (tokens expire after Medusa's ``jwtExpiresIn``, a day by default);
- or a secret API key (``sk_...``, made in Medusa's admin or ``POST /admin/api-keys``), sent
  with HTTP Basic auth (the key as user name, empty password), which Medusa 2 accepts on every
  ``/admin`` route.

Errors, in the store port's terms (``store/port.py``), each naming ``what`` did not happen:

- no answer (connection refused, timeout, any transport error) or a 5xx:
  :class:`~tierline_desk.store.port.StoreUnavailable`;
- our own credentials refused (the login itself, or a 401 right after logging in again):
  ``StoreUnavailable`` too, with the reason logged for the operator: nothing the shopper asked
  is at fault, and nothing works until MEDUSA_ADMIN_* or MEDUSA_API_KEY is fixed;
- any other 4xx: :class:`~tierline_desk.store.port.StoreRefused`, with Medusa's message.

No secret is ever logged: log lines name the method, the path and the status only.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ...settings import Settings
from ..port import StoreRefused, StoreUnavailable

logger = logging.getLogger("tierline_desk.store.medusa")

Params = Mapping[str, str | int | float | bool | list[str] | None]
_REASON_MAX = 300
DEFAULT_WHAT = "the store update"


def _reason(response: httpx.Response) -> str:
    """Medusa's error message (``{"type", "message"}``), else the status line; kept short."""
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("type") or "")
    if not message:
        message = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    return message if len(message) <= _REASON_MAX else message[: _REASON_MAX - 1] + "…"


class MedusaClient:
    """The Medusa store adapter builds one (adapter.py); safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        *,
        email: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key and not (email and password):
            raise ValueError("MedusaClient needs an API key, or an email and a password")
        self.base_url = base_url.rstrip("/")
        self._email = email
        self._password = password
        self._api_key = api_key
        self._token: str | None = None
        self._lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=5),
            headers={"Accept": "application/json"},
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, url: str | None = None, timeout: float | None = None
    ) -> MedusaClient:
        """The client MEDUSA_* describe (``url``, ``timeout``: instead of theirs)."""
        base = (url or settings.medusa_base_url()).rstrip("/")
        seconds = timeout or settings.medusa_timeout_seconds
        key = settings.medusa_api_key.get_secret_value() if settings.medusa_api_key else None
        if key and key.strip():
            return cls(base, api_key=key, timeout=seconds)
        email, password = settings.medusa_admin_credentials()
        return cls(base, email=email, password=password, timeout=seconds)

    def __repr__(self) -> str:  # no credentials, ever
        how = "api key" if self._api_key else "admin login"
        return f"MedusaClient({self.base_url!r}, {how})"

    # ---- authentication

    def _send(self, request: httpx.Request, what: str) -> httpx.Response:
        try:
            return self._http.send(request)
        except httpx.HTTPError as exc:
            logger.warning(
                "medusa %s %s: no answer (%s)", request.method, request.url.path, type(exc).__name__
            )
            raise StoreUnavailable(what) from exc

    def _login(self, what: str) -> str:
        request = self._http.build_request(
            "POST",
            "/auth/user/emailpass",
            json={"email": self._email, "password": self._password},
        )
        response = self._send(request, what)
        if response.status_code >= 500:
            logger.warning("medusa login: %s", response.status_code)
            raise StoreUnavailable(what)
        token = None
        if response.status_code == 200:
            try:
                token = response.json().get("token")
            except ValueError:
                token = None
        if not isinstance(token, str) or not token:
            logger.error(
                "medusa login refused (%s: %s): check MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD",
                response.status_code,
                _reason(response),
            )
            raise StoreUnavailable(what)
        return token

    def _auth_headers(self, what: str, *, renew: bool = False) -> dict[str, str]:
        if self._api_key:  # HTTP Basic: the key as user name, an empty password
            basic = base64.b64encode(f"{self._api_key}:".encode()).decode()
            return {"Authorization": f"Basic {basic}"}
        with self._lock:
            if renew or self._token is None:
                self._token = self._login(what)
            return {"Authorization": f"Bearer {self._token}"}

    # ---- requests

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str = DEFAULT_WHAT,
        json: Any = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> dict[str, Any]:
        """One call; its JSON body (``{}`` when empty). ``auth=False`` for Store API calls."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in (0, 1):
            sent_headers = dict(headers or {})
            if auth:
                sent_headers.update(self._auth_headers(what, renew=attempt == 1))
            request = self._http.build_request(
                method, path, json=json, params=clean, headers=sent_headers
            )
            response = self._send(request, what)
            if response.status_code == 401 and auth and not self._api_key and attempt == 0:
                logger.info("medusa %s %s: 401, logging in again", method, path)
                continue
            return self._result(response, method, path, what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _result(
        self, response: httpx.Response, method: str, path: str, what: str
    ) -> dict[str, Any]:
        status = response.status_code
        if status >= 500:
            logger.warning("medusa %s %s: %s", method, path, status)
            raise StoreUnavailable(what)
        if status == 401:
            logger.error(
                "medusa %s %s: 401 (%s): Tierline's credentials are refused; check "
                "MEDUSA_API_KEY or MEDUSA_ADMIN_EMAIL/MEDUSA_ADMIN_PASSWORD",
                method,
                path,
                _reason(response),
            )
            raise StoreUnavailable(what)
        if status >= 400:
            reason = _reason(response)
            logger.info("medusa %s %s: %s (%s)", method, path, status, reason)
            raise StoreRefused(what, reason)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as exc:
            logger.warning("medusa %s %s: %s with a body that is not JSON", method, path, status)
            raise StoreUnavailable(what) from exc
        return body if isinstance(body, dict) else {"data": body}

    def get(self, path: str, params: Params | None = None, *, what: str = DEFAULT_WHAT) -> Any:
        return self.request("GET", path, params=params, what=what)

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        params: Params | None = None,
        what: str = DEFAULT_WHAT,
    ) -> dict[str, Any]:
        return self.request(
            "POST", path, json=json if json is not None else {}, params=params, what=what
        )

    def delete(self, path: str, *, what: str = DEFAULT_WHAT) -> dict[str, Any]:
        return self.request("DELETE", path, what=what)

    def list_all(
        self,
        path: str,
        key: str,
        params: Params | None = None,
        *,
        page_size: int = 100,
        what: str = DEFAULT_WHAT,
    ) -> Iterator[dict[str, Any]]:
        """Every row of a paginated list (``{key: [...], count, offset, limit}``)."""
        offset = 0
        while True:
            page = self.get(
                path, {**(params or {}), "limit": page_size, "offset": offset}, what=what
            )
            rows = page.get(key) or []
            yield from rows
            offset += len(rows)
            if not rows or offset >= int(page.get("count") or 0):
                return

    def close(self) -> None:
        self._http.close()
