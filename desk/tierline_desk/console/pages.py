"""The agent console web UI: ``GET /desk`` (the single page) and ``GET /desk/static/{path}``.

The page is plain HTML, CSS and vanilla JavaScript in ``tierline_desk/static/console`` (no build
step, no CDN); it talks to the console JSON API (``/console/api``) with the session cookie.

Files are served explicitly, not through a mount: only regular files inside the console folder,
with a known extension, and no hidden path parts; anything else is a 404. Every response carries
a same-origin-only Content-Security-Policy (no inline scripts or styles), ``X-Frame-Options:
DENY``, ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ..errors import ApiError

router = APIRouter(tags=["console pages"])

STATIC_DIR = (Path(__file__).resolve().parent.parent / "static" / "console").resolve()
INDEX_FILE = STATIC_DIR / "index.html"

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".map": "application/json",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}
"""The only file types served; any other extension is a 404 (so nothing else can leak)."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Revalidate every time: a new deployment is picked up on the next load.
    "Cache-Control": "no-cache",
}


def _file_response(path: Path) -> FileResponse:
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[path.suffix.lower()],
        headers=dict(SECURITY_HEADERS),
    )


def _not_found(path: str) -> ApiError:
    return ApiError(404, "not_found", f"No console file {path!r}.")


def resolve_static(path: str) -> Path | None:
    """The file under STATIC_DIR that ``path`` names, or None if it is not one we serve."""
    if not path or "\\" in path or "\x00" in path or path.startswith("/"):
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    candidate = STATIC_DIR.joinpath(*parts).resolve()
    if not candidate.is_relative_to(STATIC_DIR) or not candidate.is_file():
        return None
    if candidate.suffix.lower() not in CONTENT_TYPES:
        return None
    return candidate


@router.api_route("/desk", methods=["GET", "HEAD"], include_in_schema=False)
@router.api_route("/desk/", methods=["GET", "HEAD"], include_in_schema=False)
def console_page() -> FileResponse:
    """The console's single page; its hash routes (#/queues, #/tickets/T-1, ...) run in JS."""
    return _file_response(INDEX_FILE)


@router.api_route("/desk/static/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
def console_static(path: str) -> FileResponse:
    """A file of the console (JS, CSS, the vendored Chart.js); 404 for anything else."""
    found = resolve_static(path)
    if found is None:
        raise _not_found(path)
    return _file_response(found)
