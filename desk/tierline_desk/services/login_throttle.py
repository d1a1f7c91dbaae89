"""Sign-in throttling for the agent console: per client address and per username.

Every attempt takes a token from two buckets *before* the password is checked, so a throttled
attempt never costs an Argon2 verify (64 MiB, ~0.16 s):

- per client address (``CONSOLE_LOGIN_PER_IP_BURST`` / ``_PER_MINUTE``): one machine guessing;
- per username (``CONSOLE_LOGIN_PER_USER_BURST`` / ``_PER_MINUTE``): many machines guessing one
  agent's password.

Refused attempts get 429 with ``Retry-After``. The buckets are the flood limits' token buckets
(services/rate_limits.py): in-process with one desk, in Redis (shared by every replica) when
``REDIS_URL`` is set, falling back to in-process buckets while Redis is away.

The lockout is bounded by design: a bucket refills continuously, so a username that someone
flooded is open again one refill interval (60 / per_minute seconds, 30 s by default) after the
flood stops, and whole again after burst / rate; there is no lock an attacker can make
permanent, and nothing to unlock by hand. While a flood goes on, the real agent shares the
username's refill with the attacker (documented in docs/security.md). A successful sign-in
resets both buckets for that username and address, so an agent who mistyped a few times, or
who signs in from a fresh address, starts with the full allowance.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import Settings
from .rate_limits import FloodLimiter, Rate, RedisBuckets, flood_limiter

MAX_KEY_CHARS = 64


@dataclass(frozen=True)
class Throttled:
    """Why an attempt is refused, and for how long (seconds)."""

    scope: str  # "address" or "username"
    wait: float


@dataclass
class LoginThrottle:
    per_address: FloodLimiter
    per_username: FloodLimiter

    @classmethod
    def from_settings(cls, settings: Settings, shared: RedisBuckets | None) -> LoginThrottle:
        address = Rate(
            settings.console_login_per_ip_burst, settings.console_login_per_ip_per_minute
        )
        username = Rate(
            settings.console_login_per_user_burst, settings.console_login_per_user_per_minute
        )
        return cls(
            flood_limiter("login_per_ip", address, shared),
            flood_limiter("login_per_user", username, shared),
        )

    def attempt(self, address: str, username: str) -> Throttled | None:
        """Take this attempt's tokens; None when it may go ahead (check the password then)."""
        wait = self.per_address.take(address[:MAX_KEY_CHARS])
        if wait:
            return Throttled("address", wait)
        wait = self.per_username.take(username[:MAX_KEY_CHARS])
        if wait:
            return Throttled("username", wait)
        return None

    def succeeded(self, address: str, username: str) -> None:
        """A right password: this username and address start afresh."""
        self.per_address.reset(address[:MAX_KEY_CHARS])
        self.per_username.reset(username[:MAX_KEY_CHARS])
