"""Who has a web conversation, and what the shopper is told when that changes.

The console's actions (claim, escalate, refund, refer, hand back, resolve) call these after
their own transaction committed. A conversation that isn't a web chat (for example one from
``rasa shell``) has no chat history here; then only Rasa is paused or resumed.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ..models import Agent, ChatMessage, HandoffTicket
from ..rasa_client import RasaUnavailable, pause_conversation, resume_conversation
from . import chat
from .chat_hub import get_hub

log = logging.getLogger("tierline_desk.chat")


def say(
    session: Session,
    conversation_id: str,
    text: str,
    *,
    sender: str = "system",
    agent: Agent | None = None,
    buttons: list[dict[str, str]] | None = None,
) -> ChatMessage | None:
    """Add a line to a web conversation and wake its widget (None when not a web chat)."""
    if chat.get(session, conversation_id) is None:
        return None
    message, _ = chat.append(
        session,
        conversation_id,
        sender,
        text,
        author=agent.display_name if agent else None,
        author_role=agent.role if agent else None,
        buttons=buttons,
    )
    if sender == "agent":
        get_hub().agent_stopped_typing(conversation_id)  # the message is what they were typing
    get_hub().notify(conversation_id)
    return message


def who(agent: Agent) -> str:
    return f"{agent.display_name} ({chat.ROLE_LABELS.get(agent.role, agent.role)})"


def show_claim(session: Session, ticket: HandoffTicket, agent: Agent) -> None:
    """The web chat's side of a claim: the agent has it now, and the shopper sees who joined."""
    conversation = chat.get(session, ticket.conversation_id)
    if conversation is not None:
        conversation.mode = "agent"
        conversation.agent_id = agent.id
        session.commit()
        say(session, ticket.conversation_id, f"{who(agent)} joined the chat.")


def on_claim(session: Session, ticket: HandoffTicket, agent: Agent) -> None:
    """A person took the conversation: the bot goes quiet, the shopper sees who joined."""
    show_claim(session, ticket, agent)
    try:
        pause_conversation(ticket.conversation_id)
    except RasaUnavailable as exc:
        # The desk routes the shopper's messages to the agent anyway; Rasa isn't asked.
        log.warning("could not pause the bot for ticket %s: %s", ticket.ticket_number, exc)


def on_escalate(session: Session, ticket: HandoffTicket, agent: Agent, note: str) -> None:
    conversation = chat.get(session, ticket.conversation_id)
    if conversation is not None:
        conversation.agent_id = None
        session.commit()
    say(
        session,
        ticket.conversation_id,
        f"{agent.display_name} asked a supervisor to join: {note}",
    )


def _bot_takes_over(session: Session, conversation_id: str) -> bool:
    """Give the web chat back to the bot (committed); False when it is no web chat."""
    conversation = chat.get(session, conversation_id)
    if conversation is None:
        return False
    conversation.mode = "bot"
    conversation.agent_id = None
    session.commit()
    return True


def hand_back(session: Session, ticket: HandoffTicket, outcome: str, agent: Agent | None) -> None:
    """Resume the bot with the outcome, then show what it said. Raises RasaUnavailable."""
    replies = resume_conversation(ticket.conversation_id, outcome)
    if not _bot_takes_over(session, ticket.conversation_id):
        return
    if agent is not None:
        say(
            session,
            ticket.conversation_id,
            f"{agent.display_name} handed you back to the assistant.",
        )
    for reply in replies:
        say(
            session,
            ticket.conversation_id,
            reply["text"],
            sender="bot",
            buttons=reply["buttons"],
        )


def release_to_bot(session: Session, ticket: HandoffTicket, agent: Agent, outcome: str) -> None:
    """Rasa couldn't be resumed: still give the web chat back and tell the shopper the outcome."""
    if not _bot_takes_over(session, ticket.conversation_id):
        return
    say(session, ticket.conversation_id, f"{agent.display_name} closed this request: {outcome}")
