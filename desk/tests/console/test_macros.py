"""Macros: kept by admins and supervisors, placeholders checked on save, filled from the card."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import BIG_ORDER, AgentClient, LoginFn, TicketFn, World, claimed_ticket
from tests.utils.desk import audit_rows, code_of
from tierline_desk.api.schemas import HandoffRequest
from tierline_desk.models import Macro
from tierline_desk.services import handoffs
from tierline_desk.services.macros import DEMO_MACROS, placeholder_problem, seed_demo_macros

P = "/console/api"
EVERY_PLACEHOLDER = (
    "Hi {customer_first_name}, about order {order_number}: {agent_name} here, ref {ticket}."
)


def macro(title: str = "Order check", body: str = EVERY_PLACEHOLDER, **more: Any) -> dict[str, Any]:
    return {"title": title, "body": body, "roles": ["associate", "supervisor"], **more}


def create(agent: AgentClient, **fields: Any) -> dict[str, Any]:
    resp = agent.post(f"{P}/macros", macro(**fields))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def test_a_supervisor_creates_edits_and_deletes_a_macro_and_each_is_audited(
    login: LoginFn, session: Session
) -> None:
    sam = login("sam.lead")
    made = create(sam)
    assert made["created_by"] == made["updated_by"] == "sam.lead"
    assert made["roles"] == ["associate", "supervisor"]

    edited = sam.post(
        f"{P}/macros/{made['id']}",
        macro(title="Order check (new)", roles=["specialist", "associate"]),
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Order check (new)"
    assert edited.json()["roles"] == ["associate", "specialist"]  # kept in one order

    admin = login("admin")
    gone = admin.post(f"{P}/macros/{made['id']}/delete")
    assert gone.json() == {"deleted": made["id"], "title": "Order check (new)"}
    assert admin.post(f"{P}/macros/{made['id']}/delete").status_code == 404
    assert session.scalars(select(Macro)).all() == []

    create_row, update_row, delete_row = (
        audit_rows(session, a)[0] for a in ("macro.create", "macro.update", "macro.delete")
    )
    assert create_row.actor == update_row.actor == "sam.lead" and delete_row.actor == "admin"
    assert update_row.details["changed"] == ["title", "roles"]
    assert update_row.details["previous_title"] == "Order check"
    assert delete_row.details["title"] == "Order check (new)"


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        ("Hi {first_name}!", "unknown_placeholder", "{first_name}"),
        ("Order {order_number} for {Customer_First_Name}", "unknown_placeholder", "{Customer_"),
        ("Hi {} there", "unknown_placeholder", "{}"),
        ("{{7*7}} ${7*7}", "unknown_placeholder", "{7*7}"),
        ("Hi {customer_first_name", "malformed_placeholder", "character 4"),
        ("Hi customer_first_name}", "malformed_placeholder", "character 23"),
        ("Ref {{ticket}}", "malformed_placeholder", "'{' without its '}'"),
    ],
)
def test_unknown_placeholders_and_stray_braces_are_refused_naming_them(
    login: LoginFn, session: Session, body: str, code: str, named: str
) -> None:
    sam = login("sam.lead")
    resp = sam.post(f"{P}/macros", macro(body=body))
    assert resp.status_code == 422, resp.text
    assert code_of(resp) == code
    message = resp.json()["detail"]["message"]
    assert named in message and "{customer_first_name}" in message, message
    assert session.scalars(select(Macro)).all() == []  # nothing stored
    # An edit is checked the same way, and leaves the macro as it was.
    made = create(sam)
    again = sam.post(f"{P}/macros/{made['id']}", macro(body=body))
    assert again.status_code == 422 and code_of(again) == code
    session.expire_all()
    assert session.get(Macro, made["id"]).body == EVERY_PLACEHOLDER  # type: ignore[union-attr]


def test_bad_fields_get_clear_messages(login: LoginFn) -> None:
    sam = login("sam.lead")
    for fields in (
        {"roles": []},
        {"roles": ["admin"]},
        {"title": "  "},
        {"title": "t" * 121},
        {"body": "b" * 4001},
        {"unknown": 1},
    ):
        resp = sam.post(f"{P}/macros", macro(**fields))
        assert resp.status_code == 422, (fields, resp.text)
        assert resp.json()["detail"]["message"]
    invisible = sam.post(f"{P}/macros", macro(body="\u200b\u200d"))
    assert invisible.status_code == 422 and code_of(invisible) == "empty_text"


def test_associates_and_specialists_use_macros_but_cannot_keep_them(login: LoginFn) -> None:
    sam = login("sam.lead")
    made = create(sam)
    for user in ("alex", "jordan.ecr"):
        agent = login(user)
        for url, body in (
            (f"{P}/macros", macro()),
            (f"{P}/macros/{made['id']}", macro()),
            (f"{P}/macros/{made['id']}/delete", None),
        ):
            resp = agent.post(url, body)
            assert resp.status_code == 403 and code_of(resp) == "forbidden_role", resp.text
        assert agent.get(f"{P}/macros").json()["can_manage"] is False


def test_each_role_sees_the_macros_shown_to_it(login: LoginFn) -> None:
    sam = login("sam.lead")
    create(sam, title="For associates", roles=["associate"])
    create(sam, title="For specialists", roles=["specialist"])

    def titles(user: str) -> list[str]:
        return [m["title"] for m in login(user).get(f"{P}/macros").json()["macros"]]

    assert titles("alex") == ["For associates"]
    assert titles("jordan.ecr") == ["For specialists"]
    assert titles("sam.lead") == titles("admin") == ["For associates", "For specialists"]
    listing = login("alex").get(f"{P}/macros").json()
    assert set(listing["placeholders"]) == {
        "customer_first_name",
        "order_number",
        "agent_name",
        "ticket",
    }


def test_a_macro_is_filled_from_the_tickets_card(
    login: LoginFn, make_ticket: TicketFn, session: Session
) -> None:
    create(login("sam.lead"))
    alex, ticket = claimed_ticket(login, make_ticket)
    filled = alex.get(f"{P}/tickets/{ticket.ticket_number}/macros").json()["macros"]
    assert filled == [
        {
            "id": filled[0]["id"],
            "title": "Order check",
            "body": EVERY_PLACEHOLDER,
            "text": f"Hi Priya, about order {BIG_ORDER}: Alex Rivera here, "
            f"ref {ticket.ticket_number}.",
            "missing": [],
            "message": None,
        }
    ]


def test_a_missing_value_makes_the_macro_unusable_never_none(
    login: LoginFn, make_ticket: TicketFn
) -> None:
    sam = login("sam.lead")
    create(sam)
    create(sam, title="Greeting", body="Hi {customer_first_name}, I'm {agent_name}.")
    alex, ticket = claimed_ticket(login, make_ticket, order_number=None)
    filled = {
        m["title"]: m
        for m in alex.get(f"{P}/tickets/{ticket.ticket_number}/macros").json()["macros"]
    }
    check = filled["Order check"]
    assert check["text"] is None and check["missing"] == ["order_number"]
    assert check["message"] == (
        "Cannot insert here: this card has no order number for {order_number}. "
        "Pick another macro or write the reply yourself."
    )
    assert "None" not in check["message"]
    assert filled["Greeting"]["text"] == "Hi Priya, I'm Alex Rivera."


def test_the_first_name_comes_from_the_store_when_the_card_has_only_an_id(
    login: LoginFn, session: Session
) -> None:
    create(login("sam.lead"), body="Hi {customer_first_name}")
    request = HandoffRequest.model_validate(
        {
            "conversation_id": "conv-macro-id",
            "tier": 1,
            "reason": "late",
            "customer": {"id": "C-1001"},
        }
    )
    ticket, _ = handoffs.create(session, request, "bot")
    session.commit()
    alex = login("alex")
    filled = alex.get(f"{P}/tickets/{ticket.ticket_number}/macros").json()["macros"]
    assert filled[0]["text"] == "Hi Maya"


def test_a_macro_is_filled_from_an_email_case_for_the_roles_it_is_shown_to(
    login: LoginFn, session: Session
) -> None:
    create(login("sam.lead"), title="Sign-off", roles=["specialist"])
    case = World(session).case("executive_customer_relations")
    jordan = login("jordan.ecr")
    filled = jordan.get(f"{P}/cases/{case.case_number}/macros").json()["macros"]
    assert [m["text"] for m in filled] == [
        f"Hi Priya, about order 118-2718281-8284590: Jordan Lee here, ref {case.case_number}."
    ]
    # A supervisor sees the case, but the macro is not shown to supervisors.
    assert login("sam.lead").get(f"{P}/cases/{case.case_number}/macros").json()["macros"] == []


def test_the_demo_macros_are_valid_and_seeded_once(session: Session) -> None:
    assert seed_demo_macros(session) == [title for title, _, _ in DEMO_MACROS]
    assert seed_demo_macros(session) == []
    for macro_row in session.scalars(select(Macro)):
        assert placeholder_problem(macro_row.body) is None, macro_row.title
