"""Authority limits per agent role, from ``authority.toml`` (path: ``AUTHORITY_FILE``).

The file is parsed and validated when the app starts (:func:`get_policy` in ``create_app``);
a malformed file raises :class:`AuthorityConfigError` naming the file and every problem.

Authority is a budget (docs/authority.md): refunds plus certificates add up, per ticket and per
order across tickets, against the role's ``budget`` (plus what a supervisor approved for that
ticket), and per agent and UTC day against ``daily``; reships count per order. What an agent has
already used is measured by :mod:`.authority_budget`; this module only holds the numbers and
turns "amount vs. room" into the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, field_validator

from ..errors import ApiError
from ..models import AGENT_ROLES
from ..settings import SettingsError, get_settings
from .config_files import read_toml, validated

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
    budget: Limit
    daily: Limit
    reships_per_order: int | None  # None: no limit

    def limit(self, action: MoneyAction) -> Limit:
        return self.refund if action == "refund" else self.certificate


Scope = Literal["action", "ticket", "order", "daily"]


@dataclass(frozen=True)
class Room:
    """How much more money an agent may issue here, per scope (None: no bound)."""

    ticket: Decimal | None
    order: Decimal | None
    daily: Decimal | None
    limits: dict[str, Decimal | None]
    approved: Decimal = Decimal("0.00")  # supervisors' approvals on the ticket

    def cap(self, action: MoneyAction, maximum: Decimal | None) -> Decimal | None:
        """The per-action cap here: an approval raises a single refund's cap as well."""
        if maximum is None or action != "refund":
            return maximum
        return maximum + self.approved

    def tightest(self, cap: Decimal | None) -> tuple[Decimal | None, Scope]:
        """The amount still allowed for one action with per-action ``cap``, and what binds."""
        best: tuple[Decimal | None, Scope] = (cap, "action")
        scopes: tuple[tuple[Scope, Decimal | None], ...] = (
            ("ticket", self.ticket),
            ("order", self.order),
            ("daily", self.daily),
        )
        for scope, left in scopes:
            if left is not None and (best[0] is None or left < best[0]):
                best = (max(left, Decimal("0.00")), scope)
        return best


_SCOPE_TEXT = {
    "action": "for one {what}",
    "ticket": "on ticket {ticket}",
    "order": "on order {order} across all its tickets",
    "daily": "today",
}


def _why(scope: Scope, role: str, limit: Decimal | None, approved: Decimal) -> str:
    """What the limit that binds is, in words."""
    shown = UNLIMITED if limit is None else f"{limit:.2f}"
    if scope == "action":
        return f"the {role} role's largest single one is {shown}"
    if scope == "daily":
        return f"the {role} role's daily limit is {shown}"
    if approved > 0 and limit is not None:
        return f"the {role} budget here is {shown}, including {approved:.2f} approved"
    return f"the {role} budget is {shown} per ticket and per order"


@dataclass(frozen=True)
class AuthorityPolicy:
    roles: dict[str, RoleAuthority]

    def for_role(self, role: str) -> RoleAuthority:
        return self.roles[role]

    def check_permitted(self, role: str, action: MoneyAction) -> None:
        """Raise 403 ``not_permitted`` if ``role`` may never take this money action."""
        if not self.for_role(role).limit(action).allowed:
            what = "refunds" if action == "refund" else "promotional certificates"
            raise ApiError(403, "not_permitted", f"The {role} role cannot issue {what}.", role=role)

    def check_money(
        self,
        role: str,
        action: MoneyAction,
        amount: Decimal,
        room: Room | None = None,
        ticket_number: str = "",
        order_number: str = "",
    ) -> None:
        """Raise 403 ``not_permitted`` or ``above_authority`` unless ``role`` may do this.

        Without ``room`` only the per-action cap is checked; with it, the amount must also fit
        what is left of the ticket's, the order's and the agent's daily budget. The refusal
        carries ``left`` (what is still allowed for this action) and ``scope`` (what binds).
        """
        self.check_permitted(role, action)
        cap = self.for_role(role).limit(action).maximum
        approved = Decimal("0.00") if room is None else room.approved
        scope: Scope = "action"
        if room is None:
            left, limit = cap, cap
        else:
            cap = room.cap(action, cap)
            left, scope = room.tightest(cap)
            limit = cap if scope == "action" else room.limits[scope]
        if left is None or amount <= left:
            return
        where = _SCOPE_TEXT[scope].format(
            what=action, ticket=ticket_number or "this ticket", order=order_number or "this order"
        )
        raise ApiError(
            403,
            "above_authority",
            f"{amount:.2f} is above your authority: ${left:.2f} left {where} "
            f"({_why(scope, role, limit, approved)}). Escalate the ticket to a supervisor, who "
            "can approve more for this ticket (or refer it to the specialist team).",
            role=role,
            action=action,
            limit=f"{limit:.2f}" if limit is not None else UNLIMITED,
            left=f"{left:.2f}",
            scope=scope,
            amount=f"{amount:.2f}",
            hint="escalate",
        )

    def check_reship(self, role: str, done: int | None = None, order_number: str = "") -> None:
        """403 unless ``role`` may reship, and (given ``done``) the order has reships left."""
        authority = self.for_role(role)
        if not authority.reship:
            raise ApiError(403, "not_permitted", f"The {role} role cannot reship.", role=role)
        most = authority.reships_per_order
        if done is None or most is None or done < most:
            return
        raise ApiError(
            403,
            "above_authority",
            f"Order {order_number or 'this order'} has been reshipped {done} time(s); the "
            f"{role} role may reship an order at most {most} time(s), so 0 reships are left. "
            "Escalate the ticket to a supervisor (or refer it to the specialist team).",
            role=role,
            action="reship",
            limit=most,
            reships_left=0,
            scope="order",
            hint="escalate",
        )


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


def _parse_count(value: Any) -> int | None:
    if value == UNLIMITED:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError('use a whole number of reships (0 or more) or "unlimited"')
    return value


class _RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refund: Limit
    certificate: Limit
    budget: Limit
    daily: Limit
    reship: StrictBool
    reships_per_order: int | None

    @field_validator("refund", "certificate", "budget", "daily", mode="plain")
    @classmethod
    def _limit(cls, value: Any) -> Limit:
        return _parse_limit(value)

    @field_validator("reships_per_order", mode="plain")
    @classmethod
    def _count(cls, value: Any) -> int | None:
        return _parse_count(value)


def parse_policy(data: dict[str, Any], source: str = "authority file") -> AuthorityPolicy:
    problems: list[str] = []
    unknown = sorted(set(data) - set(AGENT_ROLES))
    if unknown:
        problems.append(f"unknown role(s) {', '.join(unknown)} (known: {', '.join(AGENT_ROLES)})")
    roles: dict[str, RoleAuthority] = {}
    for role in AGENT_ROLES:
        parsed = validated(_RoleIn, data.get(role), role, problems)
        if parsed is None:
            continue
        roles[role] = RoleAuthority(
            refund=parsed.refund,
            certificate=parsed.certificate,
            reship=parsed.reship,
            budget=parsed.budget,
            daily=parsed.daily,
            reships_per_order=parsed.reships_per_order,
        )
    if problems:
        raise AuthorityConfigError(f"{source}: invalid authority limits: " + "; ".join(problems))
    return AuthorityPolicy(roles)


@lru_cache(maxsize=8)
def load_policy(path: Path) -> AuthorityPolicy:
    data = read_toml(path, "AUTHORITY_FILE", "desk/authority.toml", AuthorityConfigError)
    return parse_policy(data, str(path))


def get_policy() -> AuthorityPolicy:
    return load_policy(Path(get_settings().authority_file).resolve())
