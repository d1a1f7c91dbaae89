"""Requests to email a conversation transcript.

The transcript is fetched from Rasa and mailed right away, after the request row is committed;
unlike the other mails this is synchronous because the response says whether it went out
(``status`` ``sent``) or is still ``pending`` (Rasa or the mail server unreachable), and why.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from ..auth import ActorDep
from ..db import SessionDep
from ..mail import transcripts as mail_transcripts
from ..models import TranscriptRequest, utcnow
from ..schemas import TranscriptRequestIn, TranscriptRequestOut
from ..services import audit
from ..services.ids import unique_random_id

router = APIRouter(prefix="/transcript-requests", tags=["transcripts"])


class TranscriptRequestResult(TranscriptRequestOut):
    message: str


@router.post("", response_model=TranscriptRequestResult, status_code=status.HTTP_201_CREATED)
def request_transcript(
    body: TranscriptRequestIn, session: SessionDep, actor: ActorDep
) -> TranscriptRequestResult:
    req = TranscriptRequest(
        request_id=unique_random_id(session, TranscriptRequest, "request_id", "TR", 8),
        conversation_id=body.conversation_id,
        email=body.email,
        status="pending",
        created_at=utcnow(),
    )
    session.add(req)
    audit.record(
        session,
        "transcript.request",
        actor=actor,
        details={"request_id": req.request_id, "conversation_id": body.conversation_id},
    )
    session.commit()
    outcome = mail_transcripts.deliver(session, req, actor)
    return TranscriptRequestResult(
        request_id=req.request_id, status=req.status, email=req.email, message=outcome.message
    )
