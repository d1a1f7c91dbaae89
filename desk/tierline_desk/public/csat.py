"""The satisfaction survey page an email case's closing reply links to: ``/csat/<token>``.

A plain HTML form (no script, nothing from another origin): GET shows the question, POST
(form-encoded ``score`` and ``comment``) stores the answer once (services/csat.py). The token is
the only proof: signed, expiring, and single-use because a case is rated once. Limited per client
address like the other public routes (``CSAT_PER_IP_BURST`` / ``_PER_MINUTE``).
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ..db import run_in_session as db
from ..errors import ApiError
from ..services import csat
from ..services.rate_limits import retry_after_header

router = APIRouter(tags=["satisfaction survey"])

MAX_FORM_BYTES = 16 * 1024
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the link is the proof: never pass it on
    "X-Content-Type-Options": "nosniff",
}
_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;"
    "color:#1f2933}h1{font-size:1.4rem}fieldset{border:0;padding:0;margin:1rem 0}"
    ".scores{display:flex;gap:.5rem}.scores label{border:1px solid #9aa5b1;border-radius:.4rem;"
    "padding:.4rem .8rem;cursor:pointer}textarea{width:100%;min-height:6rem}"
    "button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}"
    ".problem{color:#b42318;font-weight:600}"
)
_LABELS = {1: "1 poor", 2: "2", 3: "3", 4: "4", 5: "5 excellent"}


def _page(title: str, body: str, status_code: int = 200, **headers: str) -> HTMLResponse:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} \N{EN DASH} Tierline Support</title>"
        f"<style>{_STYLE}</style></head><body><main>{body}</main></body></html>"
    )
    return HTMLResponse(text, status_code=status_code, headers={**_HEADERS, **headers})


def _form(case_number: str, question: str, problem: str | None = None) -> str:
    scores = "".join(
        f'<label><input type="radio" name="score" value="{n}" required> {_LABELS[n]}</label>'
        for n in range(1, 6)
    )
    note = f'<p class="problem" role="alert">{html.escape(problem)}</p>' if problem else ""
    return (
        f"<h1>Your case {html.escape(case_number)}</h1>{note}"
        '<form method="post">'
        f'<fieldset><legend>{html.escape(question)}</legend><div class="scores">{scores}</div>'
        "</fieldset>"
        '<label for="comment">Anything you want to tell us? (optional)</label>'
        '<textarea id="comment" name="comment" maxlength="1000"></textarea>'
        '<button type="submit">Send</button></form>'
    )


def _refused(exc: ApiError) -> HTMLResponse:
    titles = {
        "csat_already_answered": "Already answered",
        "csat_link_expired": "Link expired",
        "rate_limited": "Please wait",
    }
    extra = {"Retry-After": str(exc.headers["Retry-After"])} if exc.headers else {}
    return _page(
        titles.get(exc.code, "Survey"),
        f"<h1>{html.escape(titles.get(exc.code, 'Survey'))}</h1>"
        f'<p role="alert" data-code="{html.escape(exc.code)}">{html.escape(exc.message)}</p>',
        exc.status_code,
        **extra,
    )


async def _check_flood(request: Request) -> None:
    address = request.client.host if request.client else "unknown"
    wait = await csat.limits_of(request.app).per_address.take_async(address)
    if wait:
        retry_after = retry_after_header(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests from your network just now. Please wait {retry_after} seconds "
            "and try again.",
            headers={"Retry-After": retry_after},
        )


@router.get("/csat/{token}", response_class=HTMLResponse, include_in_schema=False)
async def survey_page(token: str, request: Request) -> HTMLResponse:
    try:
        await _check_flood(request)
        survey = await db(lambda s: csat.case_survey(s, token))
    except ApiError as exc:
        return _refused(exc)
    if survey["answered"]:
        return _refused(
            ApiError(409, "csat_already_answered", "You already rated this case. Thank you!")
        )
    return _page("How did we do?", _form(survey["case_number"], survey["question"]))


def _read_form(raw: bytes) -> dict[str, str]:
    if len(raw) > MAX_FORM_BYTES:
        raise ApiError(413, "too_large", "That form is too large; keep the comment short.")
    try:
        fields = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(422, "bad_form", "That form could not be read; please try again.") from exc
    return dict(fields)


@router.post("/csat/{token}", response_class=HTMLResponse, include_in_schema=False)
async def answer(token: str, request: Request) -> HTMLResponse:
    """Store the answer (form fields ``score`` 1-5 and ``comment``); a thank-you page."""
    try:
        await _check_flood(request)
        form = _read_form(await request.body())
    except ApiError as exc:
        return _refused(exc)
    raw_score = form.get("score", "")
    digits = raw_score.isascii() and raw_score.isdigit() and len(raw_score) <= 2
    score: Any = int(raw_score) if digits else raw_score
    comment = form.get("comment") or None

    def store(session: Session) -> str:
        row = csat.answer_case(session, token, score, comment)
        session.commit()
        return row.subject

    try:
        await db(store)
    except ApiError as exc:
        if exc.code in ("csat_bad_score", "csat_comment_too_long", "csat_bad_comment"):
            survey = await db(lambda s: csat.case_survey(s, token))
            return _page(
                "How did we do?",
                _form(survey["case_number"], survey["question"], exc.message),
                exc.status_code,
            )
        return _refused(exc)
    return _page(
        "Thank you",
        "<h1>Thank you!</h1><p>Your answer helps us look after you better.</p>",
    )
