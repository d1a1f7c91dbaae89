"""The desk's periodic sweeps: assignment (services/assignment.py) and SLA breaches (sla.py).

Every ``DESK_SWEEP_SECONDS`` (0: never) each desk, in the thread pool with its own session:
reassigns the tickets of agents gone offline or silent, assigns waiting tickets, notices missed
SLA targets, then tells the shoppers concerned. Several desks may sweep at once: every change is
a conditional UPDATE (or a unique row), so each happens once.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..db import run_in_session
from ..models import utcnow
from ..rasa_client import RasaUnavailable
from . import assignment, sla

log = logging.getLogger("tierline_desk.sweeps")


def sweep_once(session: Session) -> list[assignment.Change]:
    """One pass; returns the tickets that changed hands (the shoppers were told)."""
    now = utcnow()
    changes = assignment.reassign_stale(session, now)
    changes += assignment.assign_waiting(session, now)
    for breach in sla.notice_breaches(session, now):
        log.info("SLA %s missed on %s (tier %d)", breach.target, breach.ticket_number, breach.tier)
    for change in changes:
        try:
            assignment.tell_shopper(session, change)
        except RasaUnavailable as exc:  # the desk routes the chat to the agent anyway
            log.warning("ticket %s: could not pause the bot: %s", change.ticket_number, exc)
    return changes


async def sweep_forever(every_seconds: float) -> None:
    """The desk's background task (main.py lifespan)."""
    while True:
        try:
            await run_in_session(sweep_once)
        except SQLAlchemyError as exc:  # e.g. the database restarting: sweep again later
            log.warning("sweep failed: %s", str(exc).splitlines()[0])
        except Exception:  # a bug must not stop assignment for good: log it, sweep again
            log.exception("sweep failed")
        await asyncio.sleep(every_seconds)
