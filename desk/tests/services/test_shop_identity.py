"""Shop identity tokens: what a retailer's server signs and the widget hands to the desk."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tierline_desk.services.shop_identity import issue_token, verify_token
from tierline_desk.settings import SettingsError, get_settings

SECRET = "shop-secret-for-tests-0123456789"
NOW = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def shop_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SHOP_IDENTITY_SECRET", SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _use_secret(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("SHOP_IDENTITY_SECRET", secret)
    get_settings.cache_clear()


def test_round_trip_and_format() -> None:
    token = issue_token("C-1001", now=NOW)
    expires = int(NOW.timestamp()) + 8 * 3600
    payload = f"v1.C-1001.{expires}"
    expected_sig = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert token == f"{payload}.{expected_sig}"
    assert verify_token(token, now=NOW) == "C-1001"
    assert verify_token(token, now=NOW + timedelta(hours=7, minutes=59)) == "C-1001"


def test_a_token_made_by_the_readme_snippet_verifies() -> None:
    # What a retailer's server runs (README): no Tierline code involved.
    import time

    payload = f"v1.C-1003.{int(time.time()) + 3600}"
    sig = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert verify_token(f"{payload}.{sig}") == "C-1003"


def test_expiry() -> None:
    token = issue_token("C-1002", ttl_seconds=60, now=NOW)
    assert verify_token(token, now=NOW + timedelta(seconds=59)) == "C-1002"
    assert verify_token(token, now=NOW + timedelta(seconds=60)) is None
    assert verify_token(token, now=NOW + timedelta(days=1)) is None


def test_naive_now_is_taken_as_utc() -> None:
    token = issue_token("C-1002", ttl_seconds=60, now=NOW.replace(tzinfo=None))
    assert verify_token(token, now=NOW + timedelta(seconds=30)) == "C-1002"
    assert verify_token(token, now=(NOW + timedelta(seconds=61)).replace(tzinfo=None)) is None


def test_tampering_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token("C-1001", now=NOW)
    version, customer_id, expires, sig = token.split(".")
    later = NOW + timedelta(minutes=1)

    assert verify_token(f"{version}.C-1002.{expires}.{sig}", now=later) is None
    assert verify_token(f"{version}.{customer_id}.{int(expires) + 3600}.{sig}", now=later) is None
    flipped = sig[:-1] + ("1" if sig[-1] == "0" else "0")
    assert verify_token(f"{version}.{customer_id}.{expires}.{flipped}", now=later) is None
    assert verify_token(f"{version}.{customer_id}.{expires}.{sig.upper()}", now=later) is None
    assert verify_token(f"v2.{customer_id}.{expires}.{sig}", now=later) is None
    assert verify_token(token + ".", now=later) is None
    assert verify_token(" " + token, now=later) is None

    # Signed with another secret: refused here.
    _use_secret(monkeypatch, "some-other-secret")
    assert verify_token(token, now=later) is None
    _use_secret(monkeypatch, SECRET)
    assert verify_token(token, now=later) == "C-1001"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "v1",
        "v1...",
        "v1.C-1001",
        "v1.C-1001.abc.def",
        "v1.C-1001.99999999999999999999." + "a" * 64,
        "v1.C.1001.1764000000." + "a" * 64,
        "v1.Ç-1001.1764000000." + "a" * 64,
        "v1.C-1001.1764000000." + "g" * 64,
        "v1.C-1001.1764000000." + "a" * 63,
        "v1.C-1001.١٧٦٤٠٠٠٠٠٠." + "a" * 64,
        "\x00\xff\ud800",
        "v1." + "A" * 10_000,
    ],
)
def test_garbage_gives_none(garbage: str) -> None:
    assert verify_token(garbage, now=NOW) is None


@pytest.mark.parametrize("not_a_string", [None, 12, b"v1.C-1001.1.aa", ["v1"]])
def test_non_strings_give_none(not_a_string: object) -> None:
    assert verify_token(not_a_string, now=NOW) is None  # type: ignore[arg-type]


def test_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token("C-1001", now=NOW)
    _use_secret(monkeypatch, "")
    with pytest.raises(SettingsError, match="SHOP_IDENTITY_SECRET"):
        issue_token("C-1001", now=NOW)
    assert verify_token(token, now=NOW) is None  # nothing verifies without the secret

    monkeypatch.delenv("SHOP_IDENTITY_SECRET")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="SHOP_IDENTITY_SECRET"):
        issue_token("C-1001")


@pytest.mark.parametrize("bad_id", ["", "C.1001", "C 1001", "Ç-1001", "x" * 65])
def test_ids_the_format_cannot_carry_are_refused(bad_id: str) -> None:
    with pytest.raises(ValueError, match="customer id"):
        issue_token(bad_id, now=NOW)


@pytest.mark.parametrize("ttl", [0, -1])
def test_ttl_must_be_positive(ttl: int) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        issue_token("C-1001", ttl_seconds=ttl, now=NOW)
