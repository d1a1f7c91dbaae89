"""Requests to email a conversation transcript."""

from __future__ import annotations

from fastapi import APIRouter, status

from ..auth import ActorDep
from ..db import SessionDep
from ..models import TranscriptRequest, utcnow
from ..schemas import TranscriptRequestIn, TranscriptRequestOut
from ..services import audit
from ..services.ids import unique_random_id

router = APIRouter(prefix="/transcript-requests", tags=["transcripts"])


@router.post("", response_model=TranscriptRequestOut, status_code=status.HTTP_201_CREATED)
def request_transcript(
    body: TranscriptRequestIn, session: SessionDep, actor: ActorDep
) -> TranscriptRequestOut:
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
    return TranscriptRequestOut(request_id=req.request_id, status=req.status, email=req.email)
