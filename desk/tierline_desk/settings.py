"""All configuration, read from the environment in this one module.

Nothing is read at import time: call :func:`get_settings` (cached) when a value is needed.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DESK_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = DESK_DIR.parent
MIGRATIONS_DIR = DESK_DIR / "migrations"
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "desk.sqlite3"


class SettingsError(RuntimeError):
    """A required setting is missing or invalid."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    # Connections each desk keeps to a server database (PostgreSQL). Above the pool, SQLAlchemy
    # opens a connection per use and closes it after: under load that was a new PostgreSQL
    # backend and a SCRAM login per query (docs/reliability.md). Sized to the thread pool
    # that runs the desk's database work (40), with some overflow.
    database_pool_size: int = Field(default=30, ge=1, validation_alias="DATABASE_POOL_SIZE")
    database_max_overflow: int = Field(default=10, ge=0, validation_alias="DATABASE_MAX_OVERFLOW")
    desk_api_token: SecretStr | None = Field(default=None, validation_alias="DESK_API_TOKEN")
    # Several desk replicas: Redis carries the web chat's wake-ups between them (chat_hub.py).
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    rasa_url: str = Field(default="http://127.0.0.1:5005", validation_alias="RASA_URL")
    rasa_token: SecretStr = Field(default=SecretStr(""), validation_alias="RASA_TOKEN")
    return_window_days: int = Field(default=30, ge=0, validation_alias="RETURN_WINDOW_DAYS")
    avg_handle_minutes: int = Field(default=4, ge=0, validation_alias="AVG_HANDLE_MINUTES")
    rasa_timeout_seconds: float = Field(default=5.0, gt=0, validation_alias="RASA_TIMEOUT_SECONDS")
    # ---- agent console (human tiers): authority limits, session cookie
    authority_file: Path = Field(
        default=DESK_DIR / "authority.toml", validation_alias="AUTHORITY_FILE"
    )
    console_cookie_secure: bool = Field(default=False, validation_alias="CONSOLE_COOKIE_SECURE")
    console_session_minutes: int = Field(
        default=480, ge=1, le=10080, validation_alias="CONSOLE_SESSION_MINUTES"
    )

    # ---- the store (tierline_desk/store, docs/store.md): where orders, customers, payments,
    # returns and promo codes live. "builtin": the desk's own demo tables; "medusa": a Medusa v2
    # store through its Admin API (a secret API key, or an admin's email and password).
    store: Literal["builtin", "medusa"] = Field(default="builtin", validation_alias="STORE")
    medusa_url: str = Field(default="http://127.0.0.1:9000", validation_alias="MEDUSA_URL")
    medusa_admin_email: str | None = Field(default=None, validation_alias="MEDUSA_ADMIN_EMAIL")
    medusa_admin_password: SecretStr | None = Field(
        default=None, validation_alias="MEDUSA_ADMIN_PASSWORD"
    )
    # A secret API key (``sk_...``) instead of the admin's email and password.
    medusa_api_key: SecretStr | None = Field(default=None, validation_alias="MEDUSA_API_KEY")
    # Per request to Medusa; under the bot's own wait for the desk (DESK_TIMEOUT_SECONDS, 4 s)
    # would be better still, but a write is several calls and the bot retries nothing itself.
    medusa_timeout_seconds: float = Field(
        default=5.0, gt=0, validation_alias="MEDUSA_TIMEOUT_SECONDS"
    )
    # How long an index row may answer a read-only lookup before the store is read again
    # (writes always read the store first).
    store_cache_seconds: float = Field(default=15.0, ge=0, validation_alias="STORE_CACHE_SECONDS")
    # The safety net under the store's events (STORE=medusa): every this many seconds the desk
    # reads the orders changed since its last pass into the index; 0 turns polling off.
    store_poll_seconds: float = Field(default=30.0, ge=0, validation_alias="STORE_POLL_SECONDS")
    # The key Medusa's subscriber signs its order events with (desk/medusa/src/subscribers),
    # checked by POST /store/events/medusa; and where that subscriber posts them.
    events_secret: SecretStr | None = Field(default=None, validation_alias="TIERLINE_EVENTS_SECRET")
    events_url: str | None = Field(default=None, validation_alias="TIERLINE_EVENTS_URL")
    # ---- a local Medusa for development and tests (store/medusa/devserver.py, cli medusa-up)
    medusa_workdir: Path = Field(
        default=REPO_ROOT / "var" / "medusa", validation_alias="MEDUSA_WORKDIR"
    )
    medusa_pg_port: int = Field(default=5434, ge=1, le=65535, validation_alias="MEDUSA_PG_PORT")
    medusa_jwt_secret: SecretStr | None = Field(default=None, validation_alias="MEDUSA_JWT_SECRET")
    medusa_cookie_secret: SecretStr | None = Field(
        default=None, validation_alias="MEDUSA_COOKIE_SECRET"
    )

    @field_validator("auto_assign_tiers")
    @classmethod
    def _tiers(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip() not in ("", "1", "2"):
                raise ValueError(f"{part.strip()!r} is not a tier: list 1 and/or 2, e.g. '1,2'")
        return value

    def auto_assign_by_default(self, tier: int) -> bool:
        """Whether AUTO_ASSIGN_TIERS lists ``tier``."""
        return str(tier) in {part.strip() for part in self.auto_assign_tiers.split(",")}

    @model_validator(mode="after")
    def _store_credentials(self) -> Self:
        """STORE=medusa needs a way in: a secret API key, or an admin's email and password."""
        if self.store != "medusa":
            return self
        if _secret(self.medusa_api_key):
            return self
        if (self.medusa_admin_email or "").strip() and _secret(self.medusa_admin_password):
            return self
        # Not a ValueError: pydantic lets it through as it is, with this message.
        raise SettingsError(
            "STORE=medusa needs credentials for Medusa's Admin API: set MEDUSA_API_KEY (a "
            "secret API key), or both MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD."
        )

    def medusa_base_url(self) -> str:
        return self.medusa_url.rstrip("/")

    def medusa_port(self) -> int:
        """The port of MEDUSA_URL (what a local ``medusa start`` listens on)."""
        parts = urlsplit(self.medusa_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def medusa_admin_credentials(self) -> tuple[str, str]:
        """MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD; a clear error naming a missing one."""
        if not (self.medusa_admin_email or "").strip():
            raise SettingsError(
                "MEDUSA_ADMIN_EMAIL is not set: `make .env` generates it, or export it"
            )
        return self.medusa_admin_email or "", require_secret(
            self.medusa_admin_password, "MEDUSA_ADMIN_PASSWORD"
        )

    def resolved_database_url(self) -> str:
        """DATABASE_URL, or the default SQLite file ``<repo>/var/desk.sqlite3`` (dir created)."""
        if self.database_url:
            return self.database_url
        DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_SQLITE_PATH}"

    def api_token(self) -> str:
        """The shared bearer secret; a clear error when DESK_API_TOKEN is unset or empty."""
        token = self.desk_api_token.get_secret_value() if self.desk_api_token else ""
        if not token:
            raise SettingsError(
                "DESK_API_TOKEN is not set: export the shared secret the bot's actions use "
                "(e.g. `export DESK_API_TOKEN=$(openssl rand -hex 32)`) before starting the API."
            )
        return token

    def rasa_base_url(self) -> str:
        return self.rasa_url.rstrip("/")

    # ---- mail (tierline_desk/mail): SMTP out, and the local catcher's Maildir for the outbox
    mail_enabled: bool = Field(default=True, validation_alias="MAIL_ENABLED")
    smtp_host: str = Field(default="127.0.0.1", validation_alias="SMTP_HOST")
    smtp_port: int = Field(default=8025, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_from: str = Field(
        default="Tierline Support <support@tierline.example>", validation_alias="SMTP_FROM"
    )
    smtp_timeout_seconds: float = Field(default=5.0, gt=0, validation_alias="SMTP_TIMEOUT_SECONDS")
    maildir: Path = Field(default=REPO_ROOT / "var" / "mail", validation_alias="MAILDIR")
    # ---- email cases both ways (docs/email.md). Replies to a case go to
    # <local>+<case number>.<token>@<domain> of this address; the token is an HMAC of the case
    # number under MAIL_TOKEN_SECRET (unset: plain Reply-To, matched by In-Reply-To only).
    case_reply_address: str = Field(
        default="cases@tierline.example", validation_alias="CASE_REPLY_ADDRESS"
    )
    mail_token_secret: SecretStr | None = Field(default=None, validation_alias="MAIL_TOKEN_SECRET")
    # Signs raw mails posted to POST /mail/inbound (unset: the webhook refuses everything).
    inbound_mail_secret: SecretStr | None = Field(
        default=None, validation_alias="INBOUND_MAIL_SECRET"
    )
    inbound_mail_max_bytes: int = Field(
        default=15 * 1024 * 1024, ge=1024, validation_alias="INBOUND_MAIL_MAX_BYTES"
    )
    inbound_attachment_max_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1, validation_alias="INBOUND_ATTACHMENT_MAX_BYTES"
    )
    # The production mailbox the desk polls (unset IMAP_HOST: no poller).
    imap_host: str | None = Field(default=None, validation_alias="IMAP_HOST")
    imap_port: int = Field(default=993, ge=1, le=65535, validation_alias="IMAP_PORT")
    imap_user: str = Field(default="", validation_alias="IMAP_USER")
    imap_password: SecretStr = Field(default=SecretStr(""), validation_alias="IMAP_PASSWORD")
    imap_mailbox: str = Field(default="INBOX", validation_alias="IMAP_MAILBOX")
    # ssl: IMAPS (993); starttls: upgrade a plain connection; none: only for a local test server.
    imap_tls: Literal["ssl", "starttls", "none"] = Field(default="ssl", validation_alias="IMAP_TLS")
    # Where imported messages are moved (created if missing); empty: they stay, marked seen.
    imap_done_mailbox: str = Field(default="", validation_alias="IMAP_DONE_MAILBOX")
    imap_poll_seconds: float = Field(default=60.0, gt=0, validation_alias="IMAP_POLL_SECONDS")

    # ---- web chat (the public door): identity and relay to Rasa's REST channel
    # Signs the customer id the desk passes to Rasa (rasa_extensions/channels/signed_rest.py
    # checks it).
    identity_secret: SecretStr = Field(
        default=SecretStr(""), validation_alias="TIERLINE_IDENTITY_SECRET"
    )
    # Signs the identity tokens a retailer's own server puts on the embeddable widget.
    shop_identity_secret: SecretStr = Field(
        default=SecretStr(""), validation_alias="SHOP_IDENTITY_SECRET"
    )
    # The demo shop at / lets anyone sign in as any customer: off unless turned on (make run).
    demo_shop_enabled: bool = Field(default=False, validation_alias="DEMO_SHOP_ENABLED")
    # Extra origins (comma-separated) whose pages may open the chat websocket.
    chat_allowed_origins: str = Field(default="", validation_alias="CHAT_ALLOWED_ORIGINS")
    # How long the widget waits for the bot's answer before apologising.
    chat_reply_timeout_seconds: float = Field(
        default=20.0, gt=0, validation_alias="CHAT_REPLY_TIMEOUT_SECONDS"
    )
    chat_max_message_chars: int = Field(
        default=2000, ge=1, validation_alias="CHAT_MAX_MESSAGE_CHARS"
    )

    # ---- files shoppers attach in the web chat (tierline_desk/attachments, docs/evidence.md)
    # "local": a directory outside the web root; "database": the attachment_blobs table, which
    # every desk replica shares (distributed mode).
    attachment_store: Literal["local", "database"] = Field(
        default="local", validation_alias="ATTACHMENT_STORE"
    )
    attachment_dir: Path = Field(
        default=REPO_ROOT / "var" / "attachments", validation_alias="ATTACHMENT_DIR"
    )
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, validation_alias="ATTACHMENT_MAX_BYTES"
    )
    attachment_max_per_conversation: int = Field(
        default=10, ge=1, validation_alias="ATTACHMENT_MAX_PER_CONVERSATION"
    )
    # Images with more pixels are refused before they are decoded (decompression bombs).
    attachment_max_pixels: int = Field(
        default=40_000_000, ge=1, validation_alias="ATTACHMENT_MAX_PIXELS"
    )
    # How long a signed link to a file works (in the chat, the console, a transcript email).
    attachment_link_seconds: int = Field(
        default=3600, ge=10, le=7 * 24 * 3600, validation_alias="ATTACHMENT_LINK_SECONDS"
    )

    # In a transcript email a link works longer: the shopper may read it days later.
    attachment_email_link_seconds: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        le=30 * 24 * 3600,
        validation_alias="ATTACHMENT_EMAIL_LINK_SECONDS",
    )
    # Where shoppers reach the desk: links in emails (a transcript's files) start with it.
    desk_public_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="DESK_PUBLIC_URL"
    )

    # ---- routing rules (services/routing.py)
    # "Mon-Fri 09:00-18:00, Sat 10:00-14:00"; days without hours are closed.
    business_hours: str = Field(default="Mon-Sun 00:00-24:00", validation_alias="BUSINESS_HOURS")
    business_timezone: str = Field(default="America/New_York", validation_alias="BUSINESS_TIMEZONE")
    max_wait_minutes: int = Field(default=20, ge=0, validation_alias="MAX_WAIT_MINUTES")
    agent_online_seconds: int = Field(default=120, ge=5, validation_alias="AGENT_ONLINE_SECONDS")
    specialist_item_threshold: Decimal = Field(
        default=Decimal("1000.00"), ge=0, validation_alias="SPECIALIST_ITEM_THRESHOLD"
    )
    route_reports_threshold: int = Field(
        default=3, ge=2, validation_alias="ROUTE_REPORTS_THRESHOLD"
    )
    route_window_days: int = Field(default=30, ge=1, validation_alias="ROUTE_WINDOW_DAYS")

    # ---- assignment and SLAs (services/assignment.py, services/sla.py; docs/routing.md, sla.md)
    # Tiers whose new tickets the desk assigns itself, e.g. "1,2" or "" (each tier can be
    # switched in the console or with `cli auto-assign`; that choice wins over this default).
    auto_assign_tiers: str = Field(default="1,2", validation_alias="AUTO_ASSIGN_TIERS")
    # Tickets an agent is assigned at once, unless the agent's own capacity says otherwise.
    agent_capacity: int = Field(default=3, ge=1, le=50, validation_alias="AGENT_CAPACITY")
    # A ticket whose agent has not answered the shopper for this long goes to someone else
    # (or back to the queue); 0 turns it off.
    reassign_silent_minutes: int = Field(
        default=5, ge=0, validation_alias="REASSIGN_SILENT_MINUTES"
    )
    # A ticket whose agent went offline (AGENT_ONLINE_SECONDS) goes to someone else.
    reassign_offline: bool = Field(default=True, validation_alias="REASSIGN_OFFLINE")
    # Every this many seconds each desk assigns waiting tickets, reassigns those of offline or
    # silent agents and notices SLA breaches; 0 turns the sweeps off.
    desk_sweep_seconds: float = Field(default=5.0, ge=0, validation_alias="DESK_SWEEP_SECONDS")
    sla_file: Path = Field(default=DESK_DIR / "sla.toml", validation_alias="SLA_FILE")

    # ---- console follow-up
    callback_due_ahead_minutes: int = Field(
        default=60, ge=0, validation_alias="CALLBACK_DUE_AHEAD_MINUTES"
    )

    # ---- flood limits on the public door (services/rate_limits.py, docs/security.md)
    # Per websocket connection: a burst, then this many messages a minute.
    chat_connection_burst: int = Field(default=8, ge=1, validation_alias="CHAT_CONNECTION_BURST")
    chat_connection_per_minute: float = Field(
        default=30.0, gt=0, validation_alias="CHAT_CONNECTION_PER_MINUTE"
    )
    # Per conversation across all its connections (several tabs or a script opening sockets).
    chat_conversation_burst: int = Field(
        default=16, ge=1, validation_alias="CHAT_CONVERSATION_BURST"
    )
    chat_conversation_per_minute: float = Field(
        default=40.0, gt=0, validation_alias="CHAT_CONVERSATION_PER_MINUTE"
    )
    # New chat sessions per client IP (behind a proxy: the forwarded address uvicorn trusts).
    chat_sessions_per_ip_burst: int = Field(
        default=30, ge=1, validation_alias="CHAT_SESSIONS_PER_IP_BURST"
    )
    chat_sessions_per_ip_per_minute: float = Field(
        default=10.0, gt=0, validation_alias="CHAT_SESSIONS_PER_IP_PER_MINUTE"
    )

    # Console sign-in attempts (services/login_throttle.py): per client address and per username.
    console_login_per_ip_burst: int = Field(
        default=10, ge=1, validation_alias="CONSOLE_LOGIN_PER_IP_BURST"
    )
    console_login_per_ip_per_minute: float = Field(
        default=6.0, gt=0, validation_alias="CONSOLE_LOGIN_PER_IP_PER_MINUTE"
    )
    console_login_per_user_burst: int = Field(
        default=5, ge=1, validation_alias="CONSOLE_LOGIN_PER_USER_BURST"
    )
    console_login_per_user_per_minute: float = Field(
        default=2.0, gt=0, validation_alias="CONSOLE_LOGIN_PER_USER_PER_MINUTE"
    )

    # "Email me this chat" (services/transcript_requests.py): a few, then slowly.
    transcript_per_conversation_burst: int = Field(
        default=3, ge=1, validation_alias="TRANSCRIPT_PER_CONVERSATION_BURST"
    )
    transcript_per_conversation_per_hour: float = Field(
        default=2.0, gt=0, validation_alias="TRANSCRIPT_PER_CONVERSATION_PER_HOUR"
    )
    transcript_per_address_burst: int = Field(
        default=5, ge=1, validation_alias="TRANSCRIPT_PER_ADDRESS_BURST"
    )
    transcript_per_address_per_hour: float = Field(
        default=6.0, gt=0, validation_alias="TRANSCRIPT_PER_ADDRESS_PER_HOUR"
    )

    # ---- customer satisfaction (services/csat.py, docs/analytics.md)
    # Scores at or under this open a follow-up case for the supervisors.
    csat_low_score: int = Field(default=2, ge=1, le=5, validation_alias="CSAT_LOW_SCORE")
    # Also ask after chats only the bot had, once the shopper wrote this many messages.
    csat_bot_chats: bool = Field(default=False, validation_alias="CSAT_BOT_CHATS")
    csat_bot_min_messages: int = Field(default=3, ge=1, validation_alias="CSAT_BOT_MIN_MESSAGES")
    # How long the link in a case's closing email can be used.
    csat_link_days: int = Field(default=14, ge=1, le=365, validation_alias="CSAT_LINK_DAYS")
    csat_comment_max_chars: int = Field(
        default=1000, ge=1, validation_alias="CSAT_COMMENT_MAX_CHARS"
    )
    # The public survey page's requests per client address: a burst, then this many a minute.
    csat_per_ip_burst: int = Field(default=20, ge=1, validation_alias="CSAT_PER_IP_BURST")
    csat_per_ip_per_minute: float = Field(
        default=10.0, gt=0, validation_alias="CSAT_PER_IP_PER_MINUTE"
    )
    # Where shoppers reach this desk: the base of the links in emails (the survey page).
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="PUBLIC_BASE_URL"
    )


def _secret(value: SecretStr | None) -> bool:
    return bool(value is not None and value.get_secret_value().strip())


def require_secret(value: SecretStr | None, name: str) -> str:
    """The secret's value; a clear error naming the variable when it is unset or empty."""
    if not _secret(value):
        raise SettingsError(
            f"{name} is not set: `make .env` generates it (scripts/make_env.py), or export it"
        )
    assert value is not None
    return value.get_secret_value()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"Invalid desk settings: {problems}") from exc
