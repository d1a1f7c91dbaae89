"""The Medusa store's settings, read once from the environment (names in docs/store-medusa.md).

Kept apart from :mod:`tierline_desk.settings` while the store port is being wired in; nothing
is read at import time: call :func:`get_medusa_settings` (cached).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ...settings import REPO_ROOT, SettingsError

DEFAULT_WORKDIR = REPO_ROOT / "var" / "medusa"


class MedusaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # ---- the Admin API (client.py)
    url: str = Field(default="http://127.0.0.1:9000", validation_alias="MEDUSA_URL")
    admin_email: str | None = Field(default=None, validation_alias="MEDUSA_ADMIN_EMAIL")
    admin_password: SecretStr | None = Field(default=None, validation_alias="MEDUSA_ADMIN_PASSWORD")
    # A secret API key (``sk_...``) instead of the admin's email and password.
    api_key: SecretStr | None = Field(default=None, validation_alias="MEDUSA_API_KEY")
    timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="MEDUSA_TIMEOUT_SECONDS")

    # ---- the local store (devserver.py, `cli medusa-up`)
    workdir: Path = Field(default=DEFAULT_WORKDIR, validation_alias="MEDUSA_WORKDIR")
    pg_port: int = Field(default=5434, ge=1, le=65535, validation_alias="MEDUSA_PG_PORT")
    jwt_secret: SecretStr | None = Field(default=None, validation_alias="MEDUSA_JWT_SECRET")
    cookie_secret: SecretStr | None = Field(default=None, validation_alias="MEDUSA_COOKIE_SECRET")
    # Where Medusa's subscriber (desk/medusa/src/subscribers) posts order events, and the key
    # it signs them with.
    events_url: str | None = Field(default=None, validation_alias="TIERLINE_EVENTS_URL")
    events_secret: SecretStr | None = Field(default=None, validation_alias="TIERLINE_EVENTS_SECRET")

    def base_url(self) -> str:
        return self.url.rstrip("/")

    def port(self) -> int:
        """The port of :attr:`url` (what a local ``medusa start`` listens on)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def require(self, value: SecretStr | None, name: str) -> str:
        """The secret's value; a clear error naming the variable when it is unset or empty."""
        secret = value.get_secret_value() if value is not None else ""
        if not secret:
            raise SettingsError(
                f"{name} is not set: `make .env` generates it (scripts/make_env.py), or export it"
            )
        return secret

    def admin_credentials(self) -> tuple[str, str]:
        if not self.admin_email:
            raise SettingsError(
                "MEDUSA_ADMIN_EMAIL is not set: `make .env` generates it, or export it"
            )
        return self.admin_email, self.require(self.admin_password, "MEDUSA_ADMIN_PASSWORD")


@lru_cache(maxsize=1)
def get_medusa_settings() -> MedusaSettings:
    try:
        return MedusaSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"Invalid Medusa settings: {problems}") from exc
