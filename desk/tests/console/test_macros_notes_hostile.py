"""The hostile corpus's texts (tierline_harness.hostile) as macro titles and bodies and as note
bodies: each is stored and read back as the same characters (control characters and lone
surrogates dropped, as everywhere the desk takes typed text), or refused with a clear message;
nothing crashes. The console puts them on the page with textContent only
(static/console/js/dom.js); tests/e2e/browser/test_macros_and_notes_in_browser.py checks that
in a browser."""

from __future__ import annotations

from sqlalchemy.orm import Session
from tierline_harness.hostile import REFUSED_TEXTS, TEXTS

from tests.utils.console import AgentClient, LoginFn, World
from tierline_desk.services.typed_text import clean_text

P = "/console/api"
HOSTILE = {**TEXTS, **{name: text for name, (text, _) in REFUSED_TEXTS.items()}}
# Refusals a macro may meet: placeholders and braces (template syntax in the corpus), length,
# nothing visible.
MACRO_REFUSALS = {"unknown_placeholder", "malformed_placeholder", "empty_text", "validation_error"}


def _refusal(resp: object) -> tuple[str, str]:
    detail = resp.json()["detail"]  # type: ignore[attr-defined]
    return str(detail["code"]), str(detail["message"])


def _as_macro(sam: AgentClient, name: str, text: str) -> str | None:
    """What went wrong when ``text`` is a macro's title and body (None: nothing)."""
    resp = sam.post(
        f"{P}/macros", {"title": text[:120], "body": text, "roles": ["associate", "supervisor"]}
    )
    if resp.status_code == 422:
        code, message = _refusal(resp)
        return None if code in MACRO_REFUSALS and message else f"{name}: refused as {code!r}"
    if resp.status_code != 201:
        return f"{name}: macro answered {resp.status_code}"
    made = resp.json()
    listed = [m for m in sam.get(f"{P}/macros").json()["macros"] if m["id"] == made["id"]]
    expected = (clean_text(text[:120].strip()), clean_text(text.strip()))
    if (made["title"], made["body"]) != expected or listed[0]["body"] != expected[1]:
        return f"{name}: the macro came back changed"
    return None


def _as_note(sam: AgentClient, ticket: str, name: str, text: str) -> str | None:
    """What went wrong when ``text`` is a note's body on ``ticket`` (None: nothing)."""
    note = sam.post(f"{P}/tickets/{ticket}/notes", {"body": text})
    if note.status_code == 422:
        code, message = _refusal(note)
        ok = code in {"empty_text", "validation_error"} and message
        return None if ok else f"{name}: note refused as {code!r}"
    if note.status_code != 201:
        return f"{name}: note answered {note.status_code}"
    stored = sam.get(f"{P}/tickets/{ticket}/notes").json()["notes"]
    if [n["body"] for n in stored] != [clean_text(text.strip())]:
        return f"{name}: the note came back changed"
    return None


def test_every_hostile_text_as_a_macro_and_as_a_note(login: LoginFn, session: Session) -> None:
    sam = login("sam.lead")
    world = World(session)
    problems = []
    for name, text in sorted(HOSTILE.items()):
        problems.append(_as_macro(sam, name, text))
        problems.append(_as_note(sam, world.ticket("sam.lead"), name, text))
    assert len(HOSTILE) >= 90
    assert [p for p in problems if p] == []
