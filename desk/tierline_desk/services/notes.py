"""Internal notes on a ticket or an email case, and the @mentions in them.

A note is for agents only. It lives in its own table, apart from the chat's messages and the
case's emails, so nothing that talks to the shopper (the web chat's socket and history, the
transcript mail, case reply mails) can ever read it.

``@username`` in a note notifies that agent (their console's notification list), when they can
see the note's ticket or case. An agent who cannot (an associate mentioned on a tier 2 ticket,
anyone on a case of a team their role does not work, an admin) is *not* notified, so a mention
never shows a ticket to someone its tier keeps it from; the author is told who was left out and
why. An ``@name`` that is no agent (or an inactive one) stays plain text. Mentioning yourself
notifies nobody. Notes are audited as ``note.create``; nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..console.desk_tools_schemas import (
    NoteCreatedOut,
    NoteOut,
    NotificationOut,
    NotificationsOut,
    UnnotifiedMention,
)
from ..errors import ApiError
from ..models import Agent, AgentNotification, Case, HandoffTicket, InternalNote, utcnow
from . import agent_actions, audit, case_followup, console_events
from .agents import USERNAME_RE
from .typed_text import clean_text

# "@name" not glued to a word before it (so mail addresses are not mentions).
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9_.-]{1,63})")
EXCERPT_CHARS = 140
NOTIFICATIONS_SHOWN = 50


@dataclass(frozen=True)
class Thread:
    """What a note is on: a ticket or an email case (exactly one)."""

    ticket: HandoffTicket | None = None
    case: Case | None = None

    def visible_to(self, agent: Agent) -> bool:
        if self.ticket is not None:
            return agent.role != "admin" and agent_actions.can_view(agent, self.ticket)
        assert self.case is not None
        return case_followup.can_see(agent, self.case)

    def why_hidden(self, agent: Agent) -> str:
        if self.ticket is not None:
            return (
                f"the {agent.role} role does not see tier {self.ticket.tier} tickets, "
                "so they were not notified"
            )
        assert self.case is not None
        return (
            f"the {agent.role} role does not work the {self.case.team} team's cases, "
            "so they were not notified"
        )

    @property
    def order_number(self) -> str | None:
        item = self.ticket or self.case
        return item.order_number if item is not None else None


def mentioned_names(body: str) -> list[str]:
    """The distinct usernames ``@mentioned`` in ``body`` (lower-case, first seen first).

    A mention may end a sentence ("ask @sam.lead."), so trailing ``.``, ``-`` and ``_`` are
    not part of the name (a username ending in one cannot be mentioned).
    """
    names: list[str] = []
    for match in _MENTION.finditer(body):
        name = match.group(1).lower().rstrip("._-")
        if USERNAME_RE.fullmatch(name) and name not in names:
            names.append(name)
    return names


def _agents_named(session: Session, names: list[str]) -> dict[str, Agent]:
    if not names:
        return {}
    found = session.scalars(select(Agent).where(Agent.username.in_(names), Agent.active))
    return {a.username: a for a in found}


def note_out(note: InternalNote) -> NoteOut:
    return NoteOut.model_validate(note, from_attributes=True)


def add(session: Session, agent: Agent, thread: Thread, body: str) -> NoteCreatedOut:
    """Store the note, notify the agents it @mentions who can see the thread."""
    text = clean_text(body)
    if not text:
        raise ApiError(422, "empty_text", "The note has no visible text.", field="body")
    agents = _agents_named(session, mentioned_names(text))
    notify = [a for a in agents.values() if a.id != agent.id and thread.visible_to(a)]
    left_out = [
        UnnotifiedMention(username=a.username, reason=thread.why_hidden(a))
        for a in agents.values()
        if a.id != agent.id and not thread.visible_to(a)
    ]
    note = InternalNote(
        ticket_number=thread.ticket.ticket_number if thread.ticket else None,
        case_number=thread.case.case_number if thread.case else None,
        author_id=agent.id,
        body=text,
        mentioned=[a.username for a in notify],
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    for mentioned in notify:
        session.add(AgentNotification(agent_id=mentioned.id, note_id=note.id, created_at=utcnow()))
    audit.record(
        session,
        "note.create",
        actor=agent.username,
        order_number=thread.order_number,
        details={
            "note_id": note.id,
            "ticket_number": note.ticket_number,
            "case_number": note.case_number,
            "chars": len(text),
            "notified": note.mentioned,
            "not_notified": [m.username for m in left_out],
        },
    )
    _announce(session, thread, note, notify)
    session.refresh(note)
    return NoteCreatedOut(note=note_out(note), notified=note.mentioned, not_notified=left_out)


def _announce(session: Session, thread: Thread, note: InternalNote, notified: list[Agent]) -> None:
    """Tell the consoles that see the thread (they fetch the notes; the event carries no text)
    and the agents the note mentions (their Mentions count)."""
    if thread.ticket is not None:
        audience = console_events.ticket_audience(thread.ticket)
    else:
        assert thread.case is not None
        audience = console_events.case_audience(thread.case)
    where = {"ticket_number": note.ticket_number, "case_number": note.case_number}
    console_events.publish(session, audience, "note.created", where)
    if notified:
        mentioned = console_events.Audience(frozenset(), frozenset(a.id for a in notified))
        console_events.publish(session, mentioned, "mention.created", where)


def on_thread(session: Session, thread: Thread) -> list[NoteOut]:
    """The thread's notes, oldest first."""
    where = (
        InternalNote.ticket_number == thread.ticket.ticket_number
        if thread.ticket is not None
        else InternalNote.case_number == (thread.case.case_number if thread.case else None)
    )
    notes = session.scalars(select(InternalNote).where(where).order_by(InternalNote.id))
    return [note_out(n) for n in notes]


# ---------------------------------------------------------------- notifications


def notifications(session: Session, agent: Agent) -> NotificationsOut:
    """The agent's latest mentions (newest first) and how many are unread."""
    unread = session.scalar(
        select(func.count(AgentNotification.id)).where(
            AgentNotification.agent_id == agent.id, AgentNotification.read_at.is_(None)
        )
    )
    rows = session.scalars(
        select(AgentNotification)
        .where(AgentNotification.agent_id == agent.id)
        .order_by(AgentNotification.id.desc())
        .limit(NOTIFICATIONS_SHOWN)
    )
    return NotificationsOut(unread=unread or 0, notifications=[_notification(r) for r in rows])


def _notification(row: AgentNotification) -> NotificationOut:
    note = row.note
    body = note.body
    excerpt = body if len(body) <= EXCERPT_CHARS else body[: EXCERPT_CHARS - 1] + "…"
    return NotificationOut(
        id=row.id,
        kind="mention",
        from_agent=note.author.username,
        from_name=note.author.display_name,
        ticket_number=note.ticket_number,
        case_number=note.case_number,
        excerpt=excerpt,
        created_at=row.created_at,
        read=row.read_at is not None,
    )


def mark_read(session: Session, agent: Agent, ids: list[int] | None) -> None:
    """Mark the agent's notifications read: those in ``ids``, or all of them (None)."""
    statement = update(AgentNotification).where(
        AgentNotification.agent_id == agent.id, AgentNotification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(AgentNotification.id.in_(ids))
    session.execute(statement.values(read_at=utcnow()))
