"""The one error shape: ``{"detail": {"code": ..., "message": ..., ...extra}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("tierline_desk.errors")


class ApiError(Exception):
    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"detail": {"code": self.code, "message": self.message, **self.extra}}


def _json_safe(errors: list[Any]) -> list[dict[str, Any]]:
    safe = []
    for err in errors:
        safe.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "type": str(err.get("type", "")),
                "msg": str(err.get("msg", "")),
            }
        )
    return safe


async def _api_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


async def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _json_safe(list(exc.errors()))
    if any(err["type"] == "invalid_order_number" for err in errors):
        code, message = (
            "invalid_order_number",
            "Order numbers look like 123-1234567-1234567 (3-7-7 digits).",
        )
    else:
        loc: list[str] = errors[0]["loc"] if errors else []
        msg: str = errors[0]["msg"] if errors else "invalid request"
        where = ".".join(p for p in loc if p not in ("body", "query", "path"))
        code, message = "validation_error", f"{where}: {msg}" if where else msg
    body = {"detail": {"code": code, "message": message, "errors": errors}}
    return JSONResponse(body, status_code=422)


async def _http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
    code = codes.get(exc.status_code, f"http_{exc.status_code}")
    body = {"detail": {"code": code, "message": str(exc.detail)}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """The database can't be reached (e.g. it is restarting): 503, try again shortly."""
    logger.warning("database unavailable: %s", str(exc).splitlines()[0][:200])
    return JSONResponse(
        {
            "detail": {
                "code": "database_unavailable",
                "message": "We can't reach our records right now; please try again in a moment.",
            }
        },
        status_code=503,
        headers={"Retry-After": "2"},
    )


# PostgreSQL refuses, where SQLite stored or compared them: text with a NUL character (psycopg
# refuses it before sending, so no SQLSTATE), a string longer than its column (22001), a number
# beyond its column's type (22003), characters the encoding lacks (22021, 22P05). From a request
# these are the client's data, not a fault of ours: 422, like any other invalid value.
_REFUSED_DATA = frozenset({"22001", "22003", "22021", "22P05"})


def _refused_data(exc: DataError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is None:
        return "NUL (0x00)" in str(exc.orig)
    return sqlstate in _REFUSED_DATA


async def _data_refused(_request: Request, exc: Exception) -> JSONResponse:
    """A value the database can't hold (see ``_REFUSED_DATA``): 422; any other DataError is ours
    and stays a 500."""
    assert isinstance(exc, DataError)
    if not _refused_data(exc):
        raise exc
    logger.warning("database refused a value: %s", str(exc.orig).splitlines()[0][:200])
    return JSONResponse(
        {
            "detail": {
                "code": "invalid_value",
                "message": "Part of this request can't be stored: text with a NUL character, "
                "or a value too long or too large.",
            }
        },
        status_code=422,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(DataError, _data_refused)
