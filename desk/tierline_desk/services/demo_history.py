"""``seed-history``: 30 days of demo support history, made by driving the desk's own services.

Every conversation goes through the code the web chat, the bot's API and the console use
(services/chat.py, handoffs.route, agent_actions.claim/refund/escalate/refer/resolve,
conversation_control, the console's message endpoint for agents' replies,
case_followup.reply, csat.answer_web/answer_case), each step with the
desk's clock set to when it happens (clock.frozen_at), so every timestamp, audit row and
analytics figure is what the real paths write. Rasa and mail are left out: a claim does not
pause Rasa (there is no Rasa conversation behind a demo chat) and no confirmation email is
sent (a specialist's closing reply stays on its case, unsent).

- **Demo data only**: the shoppers are new customers whose email is ``@demo.tierline.invalid``
  (a reserved domain nothing is ever delivered to), with orders of their own, imported through
  the importer; three extra demo agents (``*.demo``, random passwords nobody knows) take
  turns with the demo agents. ``remove`` deletes exactly what hangs off those customers.
- **Refuses a database that is not a demo's** (:func:`not_a_demo_database`): the builtin store
  only, and every customer must be one of the demo shop's (demo/orders.json) or a demo-history
  customer. A real shop's customers, or STORE=medusa, stop it before it writes anything.
- **Once**: a second run refuses unless ``force`` (which removes the earlier history first).
- **Deterministic**: the same ``seed`` and the same ``now`` give the same history (only
  random ids and tokens differ). Some first replies are slow and some resolutions long, so
  service-level breaches show up in the data as they would in a real month.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..agent_auth import mark_seen
from ..api.schemas import HandoffRequest
from ..clock import frozen_at
from ..console.schemas import AgentMessageIn, EscalateIn, MoneyActionIn, ReferIn, ResolveIn
from ..errors import ApiError
from ..importer import DEMO_FILE, import_data
from ..models import (
    Agent,
    AuditLog,
    Case,
    CaseMessage,
    ChatMessage,
    Conversation,
    CsatResponse,
    Customer,
    HandoffTicket,
    Order,
    Refund,
    utcnow,
)
from ..settings import get_settings
from . import agent_actions, case_followup, chat, csat, handoffs
from . import conversation_control as control
from .agents import create_agent

log = logging.getLogger("tierline_desk.demo_history")

DEMO_DOMAIN = "demo.tierline.invalid"
CUSTOMER_PREFIX = "D-"
EXTRA_AGENTS = (
    ("morgan.demo", "associate", "Morgan Diaz"),
    ("riley.demo", "associate", "Riley Chen"),
    ("casey.demo", "supervisor", "Casey Brooks"),
)
ASSOCIATES = ("alex", "morgan.demo", "riley.demo")
SUPERVISORS = ("sam.lead", "casey.demo")
SPECIALIST = "jordan.ecr"
FIRST_NAMES = (
    "Avery", "Blake", "Cameron", "Dana", "Elliot", "Finley", "Harper", "Jamie", "Kendall",
    "Logan", "Parker", "Quinn", "Reese", "Rowan", "Sawyer", "Taylor",
)  # fmt: skip
LAST_NAMES = ("Adams", "Baker", "Cruz", "Dawson", "Ellis", "Foster", "Grant", "Hayes")
# (reason shown on the ticket, routing reason code, what the shopper says)
PROBLEMS = (
    ("Package arrived damaged", "shipping_error", "My package arrived with the box crushed."),
    ("Wrong item received", "shipping_error", "I got a different item than I ordered."),
    ("Refund not received", "general", "My refund still hasn't shown up."),
    ("Payment charged twice", "general", "I was charged twice for one order."),
    ("Complaint about delivery", "complaint", "The courier left it in the rain."),
    ("Wants to talk to a person", "general", "Can I talk to a representative please?"),
)
BOT_TOPICS = (
    ("Where is my order?", "Your order is on its way; it should arrive by Friday."),
    ("How do I return an item?", "I've started a return for you; the label is in your email."),
    ("Do you have a promo code?", "WELCOME10 takes 10% off your next order."),
    ("Can I change my address?", "Done: the order will go to the new address."),
    ("When will my refund arrive?", "Refunds reach your card in 3-5 business days."),
)
COMMENTS_GOOD = ("Quick and friendly, thanks!", "Sorted in minutes.", None, None, "Great help.")
COMMENTS_BAD = ("I waited far too long.", "Nobody really listened.", "Still not fixed.")


class HistoryRefused(Exception):
    """The database isn't a demo's, or already has demo history (the message says which)."""


@dataclass
class Summary:
    conversations: int = 0
    tickets: int = 0
    escalations: int = 0
    referrals: int = 0
    refunds: int = 0
    csat_answers: int = 0
    follow_ups: int = 0
    since: datetime | None = None

    def text(self) -> str:
        return (
            f"{self.conversations} conversations, {self.tickets} handoff tickets, "
            f"{self.escalations} escalations, {self.referrals} referrals to specialists, "
            f"{self.refunds} refunds, {self.csat_answers} satisfaction answers "
            f"({self.follow_ups} low scores followed up)"
        )


# ---------------------------------------------------------------- is this a demo database?


def _demo_shop_customers() -> set[str]:
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return {str(c["id"]) for c in data.get("customers", [])}


def is_history_customer(customer: Customer) -> bool:
    return customer.email.lower().endswith("@" + DEMO_DOMAIN)


def not_a_demo_database(session: Session) -> str | None:
    """Why this database must not get demo history; None when it is a demo's."""
    if get_settings().store != "builtin":
        return "seed-history runs only on the builtin demo store (STORE=builtin)."
    known = _demo_shop_customers()
    for customer in session.scalars(select(Customer)):
        if customer.id not in known and not is_history_customer(customer):
            return (
                f"customer {customer.id} is neither one of the demo shop's nor demo history: "
                "this looks like a real shop's database, and seed-history never writes there."
            )
    return None


def has_history(session: Session) -> bool:
    return (
        session.scalar(select(Customer.id).where(Customer.email.like(f"%@{DEMO_DOMAIN}")).limit(1))
        is not None
    )


# ---------------------------------------------------------------- removing it


def remove(session: Session) -> dict[str, int]:
    """Delete the demo history (customers, orders, chats, tickets, cases, answers, audit rows,
    the extra demo agents); the demo shop's own data stays. Committed."""
    customers = list(
        session.scalars(select(Customer.id).where(Customer.email.like(f"%@{DEMO_DOMAIN}")))
    )
    orders = set(
        session.scalars(select(Order.order_number).where(Order.customer_id.in_(customers)))
    )
    conversations = set(
        session.scalars(
            select(Conversation.conversation_id).where(Conversation.customer_id.in_(customers))
        )
    )
    tickets = set(
        session.scalars(
            select(HandoffTicket.ticket_number).where(
                HandoffTicket.conversation_id.in_(conversations)
            )
        )
    )
    cases = set(
        session.scalars(select(Case.case_number).where(Case.conversation_id.in_(conversations)))
    )
    counts: dict[str, int] = {}

    def drop(name: str, statement: Any) -> None:
        counts[name] = int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    marks = {"conversation_id": conversations, "ticket_number": tickets, "case_number": cases}
    stale = [
        row.id
        for row in session.scalars(select(AuditLog))
        if row.order_number in orders
        or any(row.details.get(key) in values for key, values in marks.items())
        or str(row.details.get("subject", "")).split(":", 1)[-1] in tickets | cases
    ]
    drop("audit rows", delete(AuditLog).where(AuditLog.id.in_(stale)))
    drop("answers", delete(CsatResponse).where(CsatResponse.conversation_id.in_(conversations)))
    drop("case emails", delete(CaseMessage).where(CaseMessage.case_number.in_(cases)))
    drop("cases", delete(Case).where(Case.case_number.in_(cases)))
    drop("tickets", delete(HandoffTicket).where(HandoffTicket.conversation_id.in_(conversations)))
    drop("messages", delete(ChatMessage).where(ChatMessage.conversation_id.in_(conversations)))
    drop(
        "conversations",
        delete(Conversation).where(Conversation.conversation_id.in_(conversations)),
    )
    counts["refunds"] = len(
        list(session.scalars(select(Refund.refund_id).where(Refund.order_number.in_(orders))))
    )
    session.expire_all()
    for order in session.scalars(select(Order).where(Order.order_number.in_(orders))):
        session.delete(order)  # its items and refunds go with it
    counts["orders"] = len(orders)
    session.flush()
    drop("customers", delete(Customer).where(Customer.id.in_(customers)))
    extra = [name for name, _role, _display in EXTRA_AGENTS]
    drop("agents", delete(Agent).where(Agent.username.in_(extra)))
    session.commit()
    return counts


# ---------------------------------------------------------------- making it


def _customers_and_orders(rng: random.Random, now: datetime, count: int) -> dict[str, Any]:
    """The importer's file format: demo-history shoppers, each with two delivered orders."""
    customers, orders = [], []
    for n in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        cid = f"{CUSTOMER_PREFIX}{n:04d}"
        customers.append(
            {
                "id": cid,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}.{n}@{DEMO_DOMAIN}",
                "address": {
                    "line1": f"{rng.randint(1, 999)} Demo Street",
                    "city": "Springfield",
                    "region": "IL",
                    "postal_code": f"62{rng.randint(100, 999)}",
                },
            }
        )
        for k in range(2):
            placed = now - timedelta(days=45 + rng.randint(0, 20))
            orders.append(
                {
                    "order_number": f"900-{n:07d}-{k:07d}",
                    "customer_id": cid,
                    "status": "delivered",
                    "placed_at": placed.isoformat(),
                    "shipped_at": (placed + timedelta(days=1)).isoformat(),
                    "delivered_at": (placed + timedelta(days=4)).isoformat(),
                    "carrier": "UPS",
                    "tracking_number": f"1ZDEMO{n:04d}{k}",
                    "items": [
                        {
                            "sku": f"DEMO-{n:04d}-{k}",
                            "name": rng.choice(("Desk lamp", "Headphones", "Kettle", "Backpack")),
                            "quantity": 1,
                            "unit_price": f"{rng.randint(120, 480)}.00",
                        }
                    ],
                }
            )
    return {"customers": customers, "orders": orders}


def _agents(session: Session) -> dict[str, Agent]:
    for username, role, display in EXTRA_AGENTS:
        if session.scalar(select(Agent).where(Agent.username == username)) is None:
            create_agent(
                session,
                username,
                secrets.token_urlsafe(24),
                role=role,
                display_name=display,
                actor=None,  # demo seeding, like seed-demo's agents: not audited
            )
    session.commit()
    wanted = (*ASSOCIATES, *SUPERVISORS, SPECIALIST)
    found = {
        a.username: a for a in session.scalars(select(Agent).where(Agent.username.in_(wanted)))
    }
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise HistoryRefused(
            f"the demo agents {', '.join(missing)} are missing: run seed-demo first."
        )
    return found


def _start_times(rng: random.Random, now: datetime, days: int) -> Iterator[datetime]:
    """Conversation start times over the last ``days`` days, busier on weekdays, in shop hours
    (13:00-01:00 UTC), none in the last eight hours (each one is over before now)."""
    for back in range(days, 0, -1):
        day = (now - timedelta(days=back)).date()
        busy = 16 if day.weekday() < 5 else 9
        for _ in range(rng.randint(busy - 4, busy + 4)):
            moment = datetime.combine(day, time(13), tzinfo=UTC) + timedelta(
                minutes=rng.randint(0, 12 * 60)
            )
            if moment < now - timedelta(hours=8):
                yield moment


class _Run:
    """One history: the random source, the agents and the running counts."""

    def __init__(self, session: Session, rng: random.Random, agents: dict[str, Agent]) -> None:
        self.session, self.rng, self.agents = session, rng, agents
        self.summary = Summary()

    def at(self, moment: datetime) -> Any:
        return frozen_at(moment)

    def bot_chat(self, conversation_id: str, start: datetime, turns: int) -> datetime:
        moment = start
        for n in range(turns):
            question, answer = self.rng.choice(BOT_TOPICS)
            with self.at(moment):
                chat.append(self.session, conversation_id, "shopper", question, client_id=f"d{n}")
            moment += timedelta(seconds=self.rng.randint(2, 6))
            with self.at(moment):
                chat.append(self.session, conversation_id, "bot", answer)
            moment += timedelta(seconds=self.rng.randint(20, 180))
        return moment

    def conversation(self, start: datetime, customer: Customer, orders: list[str]) -> None:
        rng, session = self.rng, self.session
        with self.at(start):
            conversation, _token = chat.create_conversation(session, customer.id)
            session.commit()
        cid = conversation.conversation_id
        self.summary.conversations += 1
        moment = self.bot_chat(cid, start, rng.randint(1, 3))
        if rng.random() >= 0.36:
            return  # the bot settled it
        reason, code, said = rng.choice(PROBLEMS)
        with self.at(moment):
            chat.append(session, cid, "shopper", said, client_id="d-handoff")
            request = HandoffRequest.model_validate(
                {
                    "conversation_id": cid,
                    "tier": 1,
                    "reason": reason,
                    "reason_code": code,
                    "customer": {"email": customer.email, "name": customer.name},
                    "order_number": rng.choice(orders),
                    "bot_attempts": ["looked up the order"],
                    "recent_messages": [{"sender": "user", "text": said}],
                }
            )
            for agent in self.agents.values():
                mark_seen(session, agent)  # their consoles are open
            routed = handoffs.route(session, request, "bot")
            session.commit()
        number = routed.out.ticket_number
        ticket = (
            session.scalar(select(HandoffTicket).where(HandoffTicket.ticket_number == number))
            if number
            else None
        )
        if ticket is None:
            return
        self.summary.tickets += 1
        self.work_ticket(ticket, moment, reason)

    def wait(self, slow_share: float) -> timedelta:
        """A queue wait: mostly minutes, sometimes long (these breach a first-reply target)."""
        if self.rng.random() < slow_share:
            return timedelta(minutes=self.rng.randint(25, 150))
        return timedelta(minutes=self.rng.uniform(0.5, 9))

    def claim(self, ticket: HandoffTicket, agent: Agent, moment: datetime) -> None:
        with self.at(moment):
            agent_actions.claim(self.session, agent, ticket)
            self.session.commit()
            control.show_claim(self.session, ticket, agent)

    def reply(self, ticket: HandoffTicket, agent: Agent, moment: datetime, text: str) -> None:
        # The console's own endpoint function: whatever it records about an agent's reply (the
        # chat line, and what the service levels measure) is recorded here too.
        from ..console.tickets import send_chat_message

        with self.at(moment):
            send_chat_message(ticket.ticket_number, AgentMessageIn(text=text), agent, self.session)

    def work_ticket(self, ticket: HandoffTicket, queued: datetime, reason: str) -> None:
        rng, session = self.rng, self.session
        associate = self.agents[rng.choice(ASSOCIATES)]
        moment = queued + self.wait(0.14)
        self.claim(ticket, associate, moment)
        moment += timedelta(seconds=rng.randint(20, 150))
        self.reply(ticket, associate, moment, "Hi, I'm sorry about that. Let me look at it.")
        moment += timedelta(minutes=rng.uniform(1, 6))
        worker = associate
        roll = rng.random()
        if roll < 0.07:
            self.refer(ticket, associate, moment)
            return
        if roll < 0.27:
            with self.at(moment):
                agent_actions.escalate(session, associate, ticket, EscalateIn(note=reason))
                session.commit()
                control.on_escalate(session, ticket, associate, "needs a supervisor's approval")
            self.summary.escalations += 1
            worker = self.agents[rng.choice(SUPERVISORS)]
            moment += self.wait(0.2)
            self.claim(ticket, worker, moment)
            moment += timedelta(seconds=rng.randint(30, 200))
            self.reply(ticket, worker, moment, "I'm a supervisor; I can sort this out for you.")
            moment += timedelta(minutes=rng.uniform(2, 8))
        if ticket.order_number and rng.random() < 0.45:
            self.refund(ticket, worker, moment, reason)
            moment += timedelta(minutes=rng.uniform(0.5, 3))
        # Most are done within the hour; some drag on for hours (a resolution target breached).
        moment += timedelta(
            minutes=rng.uniform(3, 30) if rng.random() > 0.12 else rng.uniform(150, 420)
        )
        outcome = "Refund issued" if ticket.order_number else "Question answered"
        with self.at(moment):
            agent_actions.resolve(session, worker, ticket, ResolveIn(outcome=outcome))
            session.commit()
            control.release_to_bot(session, ticket, worker, outcome)
        waited = moment - ticket.created_at
        self.rate_chat(ticket, moment + timedelta(seconds=rng.randint(20, 240)), waited)

    def refund(self, ticket: HandoffTicket, worker: Agent, moment: datetime, reason: str) -> None:
        """Part of the order back, as the console would; what the desk refuses (the order's
        total, a budget) is left undone, as an agent would have to."""
        top = 180 if worker.role == "associate" else 400
        amount = Decimal(self.rng.randint(15, top)).quantize(Decimal("0.01"))
        with self.at(moment):
            try:
                agent_actions.refund(
                    self.session, worker, ticket, MoneyActionIn(amount=amount, reason=reason)
                )
            except ApiError:
                self.session.rollback()
                return
            self.session.commit()
        self.summary.refunds += 1

    def score(self, waited: timedelta) -> int:
        """Happier when it went fast; a few unhappy shoppers whatever happened."""
        rng = self.rng
        base = 5 if waited < timedelta(minutes=30) else 3 if waited < timedelta(hours=2) else 2
        return max(1, min(5, base + rng.choice((-2, -1, 0, 0, 0, 0, 1))))

    def rate_chat(self, ticket: HandoffTicket, moment: datetime, waited: timedelta) -> None:
        if self.rng.random() > 0.62:
            return  # most shoppers don't answer surveys
        value = self.score(waited)
        comment = self.rng.choice(COMMENTS_GOOD if value >= 4 else COMMENTS_BAD)
        with self.at(moment):
            row = csat.answer_web(
                self.session,
                ticket.conversation_id,
                f"ticket:{ticket.ticket_number}",
                value,
                comment,
            )
            self.session.commit()
        self.count_answer(row)

    def count_answer(self, row: CsatResponse) -> None:
        self.summary.csat_answers += 1
        self.summary.follow_ups += int(row.follow_up_case_number is not None)

    def refer(self, ticket: HandoffTicket, associate: Agent, moment: datetime) -> None:
        rng, session = self.rng, self.session
        with self.at(moment):
            case = agent_actions.refer(
                session, associate, ticket, ReferIn(note="Needs the specialists", kind="complaint")
            )
            session.commit()
            control.release_to_bot(session, ticket, associate, f"your case {case.case_number}")
        self.summary.referrals += 1
        specialist = self.agents[SPECIALIST]
        moment += timedelta(hours=rng.uniform(2, 30))
        with self.at(moment):
            case_followup.reply(
                session, specialist, case, "We've looked into it and put it right.", True
            )
            session.commit()
        if rng.random() < 0.6:
            moment += timedelta(hours=rng.uniform(1, 20))
            with self.at(moment):
                row = csat.answer_case(
                    session, csat.case_token(case.case_number), rng.randint(2, 5), None
                )
                session.commit()
            self.count_answer(row)


def seed(
    session: Session,
    *,
    days: int = 30,
    seed_value: int = 1,
    force: bool = False,
    now: datetime | None = None,
    customers: int = 40,
) -> Summary:
    """Make the history (committed step by step, as the real paths do). Raises HistoryRefused."""
    why = not_a_demo_database(session)
    if why is not None:
        raise HistoryRefused(why)
    if has_history(session):
        if not force:
            raise HistoryRefused(
                "this database already has demo history: run with --force to make it again "
                "(the earlier history is removed first), or --remove to delete it."
            )
        remove(session)
    now = (now or utcnow()).astimezone(UTC)
    rng = random.Random(seed_value)
    data = _customers_and_orders(rng, now, customers)
    import_data(session, data, source="seed-history", now=now)
    agents = _agents(session)
    shoppers = list(
        session.scalars(
            select(Customer).where(Customer.email.like(f"%@{DEMO_DOMAIN}")).order_by(Customer.id)
        )
    )
    orders = {
        c.id: [
            o.order_number for o in session.scalars(select(Order).where(Order.customer_id == c.id))
        ]
        for c in shoppers
    }
    run = _Run(session, rng, agents)
    quiet = logging.getLogger("tierline_desk")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # no per-step warnings (e.g. mail) for made-up history
    try:
        for start in _start_times(rng, now, days):
            customer = rng.choice(shoppers)
            run.conversation(start, customer, orders[customer.id])
    finally:
        quiet.setLevel(level)
    run.summary.since = now - timedelta(days=days)
    return run.summary
