"""The FastAPI app factory: ``uvicorn tierline_desk.main:create_app --factory``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from .auth import require_token
from .errors import install_error_handlers
from .routers import callbacks, cases, handoffs, orders, policies, promos, returns, transcripts
from .settings import get_settings


def create_app() -> FastAPI:
    # Fail fast, with a clear message, when the shared secret is missing.
    get_settings().api_token()

    app = FastAPI(
        title="Tierline desk",
        version="0.1.0",
        description="Support backend for the Tierline assistant. Contract: docs/backend-api.md.",
    )
    install_error_handlers(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    api = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])
    for module in (orders, returns, promos, callbacks, handoffs, cases, transcripts, policies):
        api.include_router(module.router)
    app.include_router(api)
    return app
