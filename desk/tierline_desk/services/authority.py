"""Authority limits per agent role, from ``authority.toml`` (path: ``AUTHORITY_FILE``).

The file is parsed and validated when the app starts (:func:`get_policy` in ``create_app``);
a malformed file raises :class:`AuthorityConfigError` naming the file and every problem.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError, field_validator

from ..errors import ApiError
from ..models import AGENT_ROLES
from ..settings import SettingsError, get_settings

MoneyAction = Literal["refund", "certificate"]
UNLIMITED = "unlimited"


class AuthorityConfigError(SettingsError):
    """The authority file is missing or malformed."""


@dataclass(frozen=True)
class Limit:
    """``allowed`` false: never; ``maximum`` None: no upper bound."""

    allowed: bool
    maximum: Decimal | None

    def describe(self) -> str:
        if not self.allowed:
            return "not allowed"
        return UNLIMITED if self.maximum is None else f"{self.maximum:.2f}"


@dataclass(frozen=True)
class RoleAuthority:
    refund: Limit
    certificate: Limit
    reship: bool

    def limit(self, action: MoneyAction) -> Limit:
        return self.refund if action == "refund" else self.certificate


@dataclass(frozen=True)
class AuthorityPolicy:
    roles: dict[str, RoleAuthority]

    def for_role(self, role: str) -> RoleAuthority:
        return self.roles[role]

    def check_money(self, role: str, action: MoneyAction, amount: Decimal) -> None:
        """Raise 403 ``not_permitted`` or ``above_authority`` unless ``role`` may do this."""
        limit = self.for_role(role).limit(action)
        what = "refunds" if action == "refund" else "promotional certificates"
        if not limit.allowed:
            raise ApiError(403, "not_permitted", f"The {role} role cannot issue {what}.", role=role)
        if limit.maximum is not None and amount > limit.maximum:
            raise ApiError(
                403,
                "above_authority",
                f"{amount:.2f} is above your {action} authority of {limit.maximum:.2f}. "
                "Escalate the ticket to a supervisor (or refer it to the specialist team).",
                role=role,
                action=action,
                limit=f"{limit.maximum:.2f}",
                amount=f"{amount:.2f}",
                hint="escalate",
            )

    def check_reship(self, role: str) -> None:
        if not self.for_role(role).reship:
            raise ApiError(403, "not_permitted", f"The {role} role cannot reship.", role=role)


def _parse_limit(value: Any) -> Limit:
    if value is False:
        return Limit(allowed=False, maximum=None)
    if value == UNLIMITED:
        return Limit(allowed=True, maximum=None)
    if isinstance(value, bool | float):
        raise ValueError(
            'use a decimal string such as "200.00", "unlimited", or false'
            + (" (floats are not exact: quote the amount)" if isinstance(value, float) else "")
        )
    if not isinstance(value, str | int):
        raise ValueError('use a decimal string such as "200.00", "unlimited", or false')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f'{value!r} is not an amount ("200.00", "unlimited" or false)') from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{value!r} must be a non-negative amount")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(f"{value!r} has more than 2 decimal places")
    return Limit(allowed=True, maximum=amount.quantize(Decimal("0.01")))


class _RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refund: Limit
    certificate: Limit
    reship: StrictBool

    @field_validator("refund", "certificate", mode="plain")
    @classmethod
    def _limit(cls, value: Any) -> Limit:
        return _parse_limit(value)


def parse_policy(data: dict[str, Any], source: str = "authority file") -> AuthorityPolicy:
    problems: list[str] = []
    unknown = sorted(set(data) - set(AGENT_ROLES))
    if unknown:
        problems.append(f"unknown role(s) {', '.join(unknown)} (known: {', '.join(AGENT_ROLES)})")
    roles: dict[str, RoleAuthority] = {}
    for role in AGENT_ROLES:
        section = data.get(role)
        if section is None:
            problems.append(f"[{role}] is missing")
            continue
        if not isinstance(section, dict):
            problems.append(f"[{role}] must be a table")
            continue
        try:
            parsed = _RoleIn.model_validate(section)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(f"{role}.{where}: {err['msg']}")
            continue
        roles[role] = RoleAuthority(parsed.refund, parsed.certificate, parsed.reship)
    if problems:
        raise AuthorityConfigError(f"{source}: invalid authority limits: " + "; ".join(problems))
    return AuthorityPolicy(roles)


@lru_cache(maxsize=8)
def load_policy(path: Path) -> AuthorityPolicy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuthorityConfigError(
            f"AUTHORITY_FILE {path} does not exist (the default is desk/authority.toml)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthorityConfigError(f"cannot read AUTHORITY_FILE {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AuthorityConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_policy(data, str(path))


def get_policy() -> AuthorityPolicy:
    return load_policy(Path(get_settings().authority_file).resolve())
