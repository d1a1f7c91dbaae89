from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.utils.console import SHIPPED_LIMITS
from tierline_desk.errors import ApiError
from tierline_desk.services.authority import (
    AuthorityConfigError,
    get_policy,
    load_policy,
    parse_policy,
)
from tierline_desk.settings import DESK_DIR, get_settings

_NEW = {"budget": "200.00", "daily": "1000.00", "reships_per_order": 1}
GOOD = {
    "associate": {"refund": "200.00", "certificate": "25", "reship": True, **_NEW},
    "supervisor": {"refund": "2000.00", "certificate": "100.00", "reship": True, **_NEW},
    "specialist": {"refund": "unlimited", "certificate": "unlimited", "reship": True, **_NEW},
    "admin": {"refund": False, "certificate": False, "reship": False, **_NEW},
}


def _denied(role: str, action: str, amount: str) -> ApiError:
    with pytest.raises(ApiError) as info:
        get_policy().check_money(role, action, Decimal(amount))  # type: ignore[arg-type]
    return info.value


def test_the_shipped_file_is_the_default_and_has_the_documented_limits(db: str) -> None:
    assert Path(get_settings().authority_file) == DESK_DIR / "authority.toml"
    policy = get_policy()
    assert policy.for_role("associate").refund.maximum == Decimal("200.00")
    assert policy.for_role("associate").certificate.maximum == Decimal("25.00")
    assert policy.for_role("associate").reship is True
    assert policy.for_role("supervisor").refund.maximum == Decimal("2000.00")
    assert policy.for_role("supervisor").certificate.maximum == Decimal("100.00")
    assert policy.for_role("specialist").refund.maximum is None
    assert policy.for_role("admin").refund.allowed is False
    assert policy.for_role("associate").budget.maximum == Decimal("200.00")
    assert policy.for_role("associate").daily.maximum == Decimal("1000.00")
    assert policy.for_role("associate").reships_per_order == 1
    assert policy.for_role("supervisor").budget.maximum == Decimal("2000.00")
    assert policy.for_role("specialist").budget.maximum is None
    assert policy.for_role("specialist").reships_per_order is None
    assert policy.for_role("admin").budget.allowed is False


@pytest.mark.parametrize(("role", "action", "limit"), SHIPPED_LIMITS)
def test_limits_allow_up_to_and_including_the_limit(
    db: str, role: str, action: str, limit: str
) -> None:
    get_policy().check_money(role, action, Decimal(limit))  # type: ignore[arg-type]
    err = _denied(role, action, str(Decimal(limit) + Decimal("0.01")))
    assert err.status_code == 403 and err.code == "above_authority"
    assert err.extra["limit"] == limit and err.extra["hint"] == "escalate"


def test_specialist_has_no_limit_and_admin_no_money_actions(db: str) -> None:
    get_policy().check_money("specialist", "refund", Decimal("99999.99"))
    get_policy().check_money("specialist", "certificate", Decimal("5000"))
    get_policy().check_reship("specialist")
    for action in ("refund", "certificate"):
        assert _denied("admin", action, "0.01").code == "not_permitted"
    with pytest.raises(ApiError):
        get_policy().check_reship("admin")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"associate": None}, "[associate] is missing"),
        ({"associate": {**GOOD["associate"], "budget": 200.0}}, "associate.budget"),
        ({"associate": {**GOOD["associate"], "daily": "a lot"}}, "associate.daily"),
        ({"associate": {**GOOD["associate"], "daily": "-5"}}, "non-negative"),
        ({"associate": {**GOOD["associate"], "reships_per_order": -1}}, "reships_per_order"),
        ({"associate": {**GOOD["associate"], "reships_per_order": "1"}}, "whole number"),
        ({"associate": {**GOOD["associate"], "reships_per_order": True}}, "reships_per_order"),
        (
            {"associate": {k: v for k, v in GOOD["associate"].items() if k != "daily"}},
            "associate.daily: Field required",
        ),
        ({"boss": {"refund": "1", "certificate": "1", "reship": True}}, "unknown role(s) boss"),
        ({"associate": {"refund": 200.5, "certificate": "1", "reship": True}}, "quote the amount"),
        ({"associate": {"refund": "-1", "certificate": "1", "reship": True}}, "non-negative"),
        ({"associate": {"refund": "1.001", "certificate": "1", "reship": True}}, "2 decimal"),
        ({"associate": {"refund": "lots", "certificate": "1", "reship": True}}, "not an amount"),
        ({"associate": {"refund": True, "certificate": "1", "reship": True}}, "associate.refund"),
        ({"associate": {"refund": "1", "reship": True}}, "associate.certificate"),
        ({"associate": {"refund": "1", "certificate": "1", "reship": "yes"}}, "associate.reship"),
        (
            {"associate": {"refund": "1", "certificate": "1", "reship": True, "refnd": "9"}},
            "associate.refnd",
        ),
    ],
)
def test_malformed_policies_are_rejected_clearly(change: dict[str, object], message: str) -> None:
    data = {**GOOD, **change}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(AuthorityConfigError) as info:
        parse_policy(data, "x.toml")
    assert message in str(info.value) and str(info.value).startswith("x.toml: ")


def test_app_refuses_to_start_with_a_bad_or_missing_file(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierline_desk.main import create_app

    bad = tmp_path / "authority.toml"
    bad.write_text("[associate]\nrefund = 200.0\n")
    monkeypatch.setenv("AUTHORITY_FILE", str(bad))
    get_settings.cache_clear()
    with pytest.raises(AuthorityConfigError, match=r"authority\.toml: invalid authority limits"):
        create_app()
    bad.write_text("[associate\n")
    load_policy.cache_clear()
    with pytest.raises(AuthorityConfigError, match="not valid TOML"):
        create_app()
    monkeypatch.setenv("AUTHORITY_FILE", str(tmp_path / "missing.toml"))
    get_settings.cache_clear()
    with pytest.raises(AuthorityConfigError, match="does not exist"):
        create_app()


def test_a_custom_file_changes_the_limits(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    custom = tmp_path / "limits.toml"
    custom.write_text(
        "\n".join(
            f'[{role}]\nrefund = "{r}"\ncertificate = "1"\nreship = true\n'
            f'budget = "{r}"\ndaily = "{r}"\nreships_per_order = 1'
            for role, r in (
                ("associate", "5"),
                ("supervisor", "10"),
                ("specialist", "unlimited"),
                ("admin", "0"),
            )
        )
    )
    monkeypatch.setenv("AUTHORITY_FILE", str(custom))
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    with TestClient(create_app()):
        assert get_policy().for_role("associate").refund.maximum == Decimal("5.00")
    assert _denied("associate", "refund", "5.01").extra["limit"] == "5.00"
