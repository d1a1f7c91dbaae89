"""Action-server settings, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class SettingsError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    desk_url: str
    desk_api_token: str
    desk_timeout_seconds: float
    default_phone_region: str
    business_timezone: str
    # Rasa sends it in X-Tierline-Action-Token on every action call (endpoints.yml);
    # actions/server_auth.py refuses calls without it.
    action_server_token: str = ""


def _float(name: str, default: str) -> float:
    raw = os.environ.get(name, default)
    try:
        return float(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from error


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, read once on first use (never at import time)."""
    token = os.environ.get("DESK_API_TOKEN", "")
    if not token:
        raise SettingsError("DESK_API_TOKEN is not set; the action server cannot reach the desk.")
    return Settings(
        desk_url=os.environ.get("DESK_URL", "http://127.0.0.1:8000").rstrip("/"),
        desk_api_token=token,
        desk_timeout_seconds=_float("DESK_TIMEOUT_SECONDS", "4"),
        default_phone_region=os.environ.get("DEFAULT_PHONE_REGION", "US"),
        business_timezone=os.environ.get("BUSINESS_TIMEZONE", "America/New_York"),
        action_server_token=os.environ.get("ACTION_SERVER_TOKEN", ""),
    )
