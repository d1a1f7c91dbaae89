"""The FastAPI app factory: ``uvicorn tierline_desk.main:create_app --factory``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from tierline_common import log_masking

from . import rasa_client
from .api.router import router as api_router
from .console.router import router as console_router
from .cors import WidgetCORS
from .errors import install_error_handlers
from .public.router import router as public_router
from .services import bot_relay, sweeps
from .services.authority import get_policy
from .services.chat_hub import RedisBridge, get_hub
from .services.console_presence import MemoryPresence, RedisPresence
from .services.csat import CsatLimits
from .services.login_throttle import LoginThrottle
from .services.rate_limits import FloodLimits
from .services.routing import get_business_hours
from .services.sla import get_targets
from .services.transcript_requests import TranscriptLimits
from .settings import get_settings
from .store import get_store


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    bridge_task: asyncio.Task[None] | None = None
    limits: FloodLimits = app.state.flood_limits
    await limits.open()  # the shared buckets' Redis client, on this loop (when REDIS_URL is set)
    redis_url = get_settings().redis_url
    if redis_url:  # several replicas: wake websockets held by the others too
        bridge = RedisBridge(get_hub(), redis_url)
        get_hub().attach(bridge)
        bridge_task = asyncio.create_task(bridge.run())
        # Who has which ticket open, shared by the desks (console/live.py).
        app.state.presence = RedisPresence(redis_url)
    owed_task = asyncio.create_task(bot_relay.keep_looking_for_owed_answers())
    poll_task: asyncio.Task[None] | None = None
    settings = get_settings()
    sweep_task: asyncio.Task[None] | None = None
    if settings.desk_sweep_seconds > 0:  # assignment and SLA breaches (services/sweeps.py)
        sweep_task = asyncio.create_task(sweeps.sweep_forever(settings.desk_sweep_seconds))
    if settings.store == "medusa" and settings.store_poll_seconds > 0:
        # The safety net under Medusa's order events (store/medusa/poller.py).
        from .store.medusa.poller import poll_forever

        poll_task = asyncio.create_task(poll_forever(get_store(), settings.store_poll_seconds))
    imap_task: asyncio.Task[None] | None = None
    if settings.imap_host:  # shoppers' replies by email, read from the mailbox (docs/email.md)
        from .mail.imap_poller import poll_forever as poll_mailbox

        imap_task = asyncio.create_task(poll_mailbox(settings.imap_poll_seconds))
    # Start-up objects live as long as the process: keep full garbage collections (40 ms and
    # more here, a stall for every open chat) from walking them again and again.
    gc.collect()
    gc.freeze()
    yield
    # Answers still on their way are owed to shoppers whose messages are stored: store them
    # (and wake the other replicas' sockets, so the bridge stays up meanwhile) before stopping.
    await bot_relay.finish(timeout=get_settings().chat_reply_timeout_seconds)
    owed_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await owed_task
    for task in (poll_task, sweep_task, imap_task):
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if bridge_task is not None:
        get_hub().attach(None)
        bridge_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bridge_task
    await app.state.presence.aclose()
    await limits.aclose()
    await rasa_client.close()


log = logging.getLogger("tierline_desk")


def create_app() -> FastAPI:
    # Every log record (ours, uvicorn's access log, libraries') masked from here on.
    log_masking.install()
    if get_settings().demo_shop_enabled:
        log.warning(
            "DEMO_SHOP_ENABLED is on: the demo shop at / lets anyone sign in as any customer "
            "in the database. Never turn it on where real customers are."
        )
    # Fail fast, with a clear message, when the shared secret is missing.
    get_settings().api_token()
    # Same for the agents' authority limits (AUTHORITY_FILE).
    get_policy()
    get_business_hours()  # and for the routing rules' BUSINESS_HOURS / BUSINESS_TIMEZONE
    get_targets()  # and for the SLA targets (SLA_FILE)
    get_store()  # and for STORE (an adapter this desk lacks, or Medusa without credentials)

    app = FastAPI(
        title="Tierline desk",
        version="0.1.0",
        description="Support backend for the Tierline assistant. Contract: docs/backend-api.md.",
        lifespan=_lifespan,
    )
    install_error_handlers(app)
    # Flood limits for the public door, per app (services/rate_limits.py).
    app.state.flood_limits = FloodLimits.from_settings(get_settings())
    # Console sign-in attempts, in the same buckets (services/login_throttle.py).
    app.state.login_throttle = LoginThrottle.from_settings(
        get_settings(), app.state.flood_limits.shared
    )
    app.state.transcript_limits = TranscriptLimits.from_settings(
        get_settings(), app.state.flood_limits.shared
    )
    app.state.csat_limits = CsatLimits.from_settings(get_settings(), app.state.flood_limits.shared)
    # Who has which ticket open in the console: this desk's memory, or Redis (set at start-up).
    app.state.presence = MemoryPresence()
    embedding_sites = [
        o.strip().rstrip("/") for o in get_settings().chat_allowed_origins.split(",") if o.strip()
    ]
    if embedding_sites:
        # Shops that embed the widget on their own site open a chat session from there: CORS
        # on the widget's endpoints only, never on the console API (cors.py).
        app.add_middleware(WidgetCORS, allow_origins=embedding_sites)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # The bot's door: /api/v1, behind the shared bearer token.
    app.include_router(api_router)
    # The agents' door: the console API (session cookie + CSRF) and its page (/desk).
    app.include_router(console_router)
    # The public door: the store's signed events, the shopper's web chat and the demo shop (/).
    app.include_router(public_router)
    return app
