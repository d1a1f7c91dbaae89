"""The FastAPI app factory: ``uvicorn tierline_desk.main:create_app --factory``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from .auth import require_token
from .errors import install_error_handlers
from .routers import agent_actions as console_work
from .routers import (
    analytics,
    callbacks,
    cases,
    chat,
    console_callbacks,
    console_cases,
    console_pages,
    delivery_reports,
    handoffs,
    orders,
    policies,
    promos,
    returns,
    shop,
    transcripts,
)
from .routers import console as console_auth
from .routers.outbox import router as outbox_router
from .services.authority import get_policy
from .settings import get_settings


def create_app() -> FastAPI:
    # Fail fast, with a clear message, when the shared secret is missing.
    get_settings().api_token()
    # Same for the agents' authority limits (AUTHORITY_FILE).
    get_policy()

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
    for module in (
        orders,
        returns,
        promos,
        callbacks,
        handoffs,
        cases,
        transcripts,
        policies,
        delivery_reports,
    ):
        api.include_router(module.router)
    api.include_router(outbox_router)  # the mail catcher's Maildir (tierline_desk/mail)
    app.include_router(api)
    # The agent console's API: session cookie + CSRF, not the bot's bearer token.
    app.include_router(console_auth.router)
    app.include_router(console_work.router)
    app.include_router(console_callbacks.router)
    app.include_router(console_cases.router)
    app.include_router(analytics.router)
    # Browser pages: the agent console (/desk), the shopper's web chat and the demo shop (/).
    app.include_router(console_pages.router)
    app.include_router(chat.router)
    app.include_router(shop.router)
    return app
