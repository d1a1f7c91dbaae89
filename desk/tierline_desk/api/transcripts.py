"""Requests to email a conversation transcript.

The transcript is fetched from Rasa and mailed right away, after the request row is committed;
unlike the other mails this is synchronous because the response says whether it went out
(``status`` ``sent``) or is still ``pending`` (Rasa or the mail server unreachable), and why.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from ..deps import ActorDep, SessionDep
from ..errors import ApiError
from ..services import transcript_requests
from .schemas import TranscriptRequestIn, TranscriptRequestResult

router = APIRouter(prefix="/transcript-requests", tags=["transcripts"])


@router.post("", response_model=TranscriptRequestResult, status_code=status.HTTP_201_CREATED)
def request_transcript(
    body: TranscriptRequestIn, request: Request, session: SessionDep, actor: ActorDep
) -> TranscriptRequestResult:
    """The bot's path (services/transcript_requests.py is shared with the widget's): 429 when
    the conversation asked too often; 409 ``confirm_address`` when a signed-in shopper named
    an address other than their account's (the widget is where they can confirm it)."""
    ask = transcript_requests.Ask(
        conversation_id=body.conversation_id, email=body.email, actor=actor
    )
    answer = transcript_requests.request_transcript(
        session, transcript_requests.limits_of(request.app), ask
    )
    if answer.status == "refused":
        retry_after = str(answer.retry_after or 1)
        raise ApiError(
            429,
            "rate_limited",
            answer.message,
            headers={"Retry-After": retry_after},
            retry_after=answer.retry_after,
        )
    if answer.status == "confirm":
        raise ApiError(409, "confirm_address", answer.message)
    if answer.status == "invalid" or answer.request is None:
        raise ApiError(422, "invalid_address", answer.message)
    req = answer.request
    return TranscriptRequestResult(
        request_id=req.request_id, status=req.status, email=req.email, message=answer.message
    )
