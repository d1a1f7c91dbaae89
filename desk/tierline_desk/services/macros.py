"""Canned replies (macros): kept by admins and supervisors, used by the agents who write.

A macro's body may hold placeholders, ``{customer_first_name}``, ``{order_number}``,
``{agent_name}`` and ``{ticket}``, filled from the ticket's or email case's card when an agent
inserts it. A body with any other ``{name}``, or a brace without its partner, is refused when
saved, naming the culprit. A placeholder whose value the card lacks (a ticket with no order
number) makes the macro unusable on that card, with a message saying what is missing: the
agent never sends "None" or an empty gap to a shopper.

Each macro names the roles that see it (``Macro.roles``, of MACRO_ROLES). Nothing here
commits: the router does (one transaction per change, audited as ``macro.create``,
``macro.update`` and ``macro.delete``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..console.desk_tools_schemas import (
    FilledMacroOut,
    MacroDeletedOut,
    MacroIn,
    MacroListOut,
    MacroOut,
)
from ..errors import ApiError
from ..models import INTEGER_MAX, MACRO_ROLES, Agent, Case, HandoffTicket, Macro, utcnow
from ..store import get_store
from . import audit
from .console_access import require_role
from .typed_text import clean_text

MANAGERS = ("admin", "supervisor")
PLACEHOLDERS: dict[str, str] = {
    "customer_first_name": "the shopper's first name",
    "order_number": "the order number on the ticket or case",
    "agent_name": "your name as shoppers see it",
    "ticket": "the ticket or case number",
}
# What a card lacks, in a message ("this card has no order number").
_LACKING = {
    "customer_first_name": "customer name",
    "order_number": "order number",
    "agent_name": "agent name",
    "ticket": "ticket or case number",
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
Facts = Mapping[str, str | None]


# ---------------------------------------------------------------- checking a body


def _known() -> str:
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def placeholder_problem(body: str) -> ApiError | None:
    """Why ``body`` cannot be saved (an unknown placeholder, a stray brace), else None."""
    for match in _PLACEHOLDER.finditer(body):
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return ApiError(
                422,
                "unknown_placeholder",
                f"The body uses the placeholder {{{name}}}, which the desk cannot fill. "
                f"Use one of {_known()}.",
                placeholder=name,
            )
    rest = _PLACEHOLDER.sub("", body)
    for brace in "{}":
        if brace in rest:
            at = _stray_brace_at(body, brace)
            partner = "}" if brace == "{" else "{"
            return ApiError(
                422,
                "malformed_placeholder",
                f"The body has a '{brace}' without its '{partner}' (character {at + 1}); "
                f"placeholders look like {{order_number}}. Use one of {_known()}.",
                position=at,
            )
    return None


def _stray_brace_at(body: str, brace: str) -> int:
    """The index of the first ``brace`` in ``body`` that is not part of a {placeholder}."""
    covered = {i for m in _PLACEHOLDER.finditer(body) for i in range(m.start(), m.end())}
    return next(i for i, ch in enumerate(body) if ch == brace and i not in covered)


def _clean(body: MacroIn) -> tuple[str, str, list[str]]:
    title, text = clean_text(body.title), clean_text(body.body)
    if not title or not text:
        field = "title" if not title else "body"
        raise ApiError(422, "empty_text", f"The macro's {field} has no visible text.", field=field)
    problem = placeholder_problem(text)
    if problem is not None:
        raise problem
    roles: list[str] = [role for role in MACRO_ROLES if role in body.roles]
    return title, text, roles


# ---------------------------------------------------------------- keeping macros


def check_manager(agent: Agent) -> None:
    require_role(agent, MANAGERS, "create, change or delete macros")


def to_out(macro: Macro) -> MacroOut:
    return MacroOut.model_validate(macro, from_attributes=True)


def visible_to(session: Session, agent: Agent) -> list[Macro]:
    """Managers see every macro; the others the ones shown to their role (by title)."""
    macros = session.scalars(select(Macro).order_by(Macro.title, Macro.id)).all()
    if agent.role in MANAGERS:
        return list(macros)
    return [m for m in macros if agent.role in m.roles]


def listing(session: Session, agent: Agent) -> MacroListOut:
    return MacroListOut(
        macros=[to_out(m) for m in visible_to(session, agent)],
        placeholders=PLACEHOLDERS,
        can_manage=agent.role in MANAGERS,
    )


def get_macro(session: Session, macro_id: int) -> Macro:
    macro = session.get(Macro, macro_id) if 0 < macro_id <= INTEGER_MAX else None
    if macro is None:
        raise ApiError(404, "macro_not_found", f"No macro {macro_id}.")
    return macro


def _audit(session: Session, agent: Agent, action: str, macro: Macro, **extra: object) -> None:
    details = {"macro_id": macro.id, "title": macro.title, "roles": list(macro.roles), **extra}
    audit.record(session, action, actor=agent.username, details=details)


def create(session: Session, agent: Agent, body: MacroIn) -> Macro:
    check_manager(agent)
    title, text, roles = _clean(body)
    now = utcnow()
    macro = Macro(
        title=title,
        body=text,
        roles=roles,
        created_by=agent.username,
        updated_by=agent.username,
        created_at=now,
        updated_at=now,
    )
    session.add(macro)
    session.flush()
    _audit(session, agent, "macro.create", macro)
    return macro


def update(session: Session, agent: Agent, macro: Macro, body: MacroIn) -> Macro:
    check_manager(agent)
    title, text, roles = _clean(body)
    changed = [
        name
        for name, old, new in (
            ("title", macro.title, title),
            ("body", macro.body, text),
            ("roles", list(macro.roles), roles),
        )
        if old != new
    ]
    before = macro.title
    macro.title, macro.body, macro.roles = title, text, roles
    macro.updated_by, macro.updated_at = agent.username, utcnow()
    _audit(session, agent, "macro.update", macro, changed=changed, previous_title=before)
    return macro


def delete(session: Session, agent: Agent, macro: Macro) -> MacroDeletedOut:
    check_manager(agent)
    _audit(session, agent, "macro.delete", macro)
    out = MacroDeletedOut(deleted=macro.id, title=macro.title)
    session.delete(macro)
    return out


# ---------------------------------------------------------------- filling from a card


def _first_name(name: object) -> str | None:
    words = str(name).split() if isinstance(name, str) else []
    return words[0] if words else None


def _customer_first_name(
    session: Session, customer: Mapping[str, object], order_number: str | None
) -> str | None:
    """The shopper's first name: the card's, else the store's customer, else the order's."""
    named = _first_name(customer.get("name"))
    if named:
        return named
    store = get_store()
    customer_id = customer.get("id")
    if isinstance(customer_id, str) and customer_id:
        found = store.customer(session, customer_id)
        if found is not None and _first_name(found.name):
            return _first_name(found.name)
    order = store.order(session, order_number) if order_number else None
    return _first_name(order.customer.name) if order is not None else None


def ticket_facts(session: Session, agent: Agent, ticket: HandoffTicket) -> dict[str, str | None]:
    return _facts(session, agent, ticket.customer, ticket.order_number, ticket.ticket_number)


def case_facts(session: Session, agent: Agent, case: Case) -> dict[str, str | None]:
    return _facts(session, agent, case.customer, case.order_number, case.case_number)


def _facts(
    session: Session,
    agent: Agent,
    customer: Mapping[str, object],
    order_number: str | None,
    number: str,
) -> dict[str, str | None]:
    """What fills each placeholder on a ticket's or case's card (None: the card lacks it)."""
    return {
        "customer_first_name": _customer_first_name(session, customer, order_number),
        "order_number": order_number or None,
        "agent_name": agent.display_name,
        "ticket": number,
    }


def fill(macro: Macro, facts: Facts) -> FilledMacroOut:
    """The macro's body with the card's values, or (text None) what the card lacks."""
    names = [m.group(1) for m in _PLACEHOLDER.finditer(macro.body)]
    missing = sorted({n for n in names if not facts.get(n)})
    if missing:
        what = " or ".join(f"{_LACKING[n]} for {{{n}}}" for n in missing)
        return FilledMacroOut(
            id=macro.id,
            title=macro.title,
            body=macro.body,
            text=None,
            missing=missing,
            message=f"Cannot insert here: this card has no {what}. Pick another macro or "
            "write the reply yourself.",
        )
    text = _PLACEHOLDER.sub(lambda m: str(facts[m.group(1)]), macro.body)
    return FilledMacroOut(
        id=macro.id, title=macro.title, body=macro.body, text=text, missing=[], message=None
    )


def usable(session: Session, agent: Agent, facts: Facts) -> list[FilledMacroOut]:
    """The macros shown to the agent's role, each filled from one card."""
    return [
        fill(m, facts)
        for m in session.scalars(select(Macro).order_by(Macro.title, Macro.id))
        if agent.role in m.roles
    ]


# ---------------------------------------------------------------- demo macros

DEMO_MACROS = (
    (
        "Greeting",
        "Hi {customer_first_name}, I'm {agent_name} and I'll look after this for you.",
        ["associate", "supervisor", "specialist"],
    ),
    (
        "Order is being checked",
        "Thanks, {customer_first_name}. I'm checking order {order_number} with our warehouse "
        "now; this takes a minute or two.",
        ["associate", "supervisor"],
    ),
    (
        "Refund on its way",
        "I've issued the refund for order {order_number}. It reaches your original payment "
        "method in 3-5 business days; your reference is {ticket}.",
        ["associate", "supervisor"],
    ),
    (
        "Escalated to a supervisor",
        "I've asked a supervisor to join us, {customer_first_name}; please stay in the chat.",
        ["associate"],
    ),
    (
        "Case answer sign-off",
        "If anything else comes up, reply to this email and quote {ticket}.\n\n"
        "Kind regards,\n{agent_name}\nExecutive Customer Relations",
        ["specialist", "supervisor"],
    ),
)


def seed_demo_macros(session: Session) -> list[str]:
    """Add the demo macros whose title is not there yet (committed); the titles added."""
    added = []
    existing = set(session.scalars(select(Macro.title)))
    now = utcnow()
    for title, body, roles in DEMO_MACROS:
        if title in existing:
            continue
        session.add(
            Macro(
                title=title,
                body=body,
                roles=roles,
                created_by="demo",
                updated_by="demo",
                created_at=now,
                updated_at=now,
            )
        )
        added.append(title)
    session.commit()
    return added
