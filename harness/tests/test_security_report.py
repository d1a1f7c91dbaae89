"""How the live security checks count: a refusal passes, a 2xx is a leak, anything else fails."""

from __future__ import annotations

import httpx

from tierline_harness.security import (
    SecurityReport,
    Target,
    check_console_cors,
    check_login_throttle,
    typed_command_verdict,
)


def test_a_refusal_passes_and_counts_no_leak() -> None:
    report = SecurityReport()
    report.expect_refused("no token", 401)
    report.expect_refused("wrong token", 403)
    assert report.leaks == 0 and not report.failures


def test_an_answered_call_that_must_be_refused_is_a_leak() -> None:
    report = SecurityReport()
    report.expect_refused("no token", 200)
    assert report.leaks == 1
    assert [f.name for f in report.failures] == ["no token"]


def test_an_unexpected_refusal_fails_without_being_a_leak() -> None:
    report = SecurityReport()
    report.expect_refused("no token", 500)
    report.expect_refused("hidden route", 404, allowed={401, 404})
    assert report.leaks == 0
    assert [f.name for f in report.failures] == ["no token"]


def test_a_failed_control_is_a_failure_and_a_flagged_one_a_leak() -> None:
    report = SecurityReport()
    report.expect("control answers", False, "status 503")
    report.expect("their chat stays closed", False, "2 frames of theirs", leak=True)
    report.expect("loopback only", True, leak=True)  # passed: never a leak
    assert report.leaks == 1
    assert len(report.failures) == 2


# ---- the live checks for issue 14 (typed commands, sign-in throttling, console CORS)


TARGET = Target("http://door", ("http://rasa",), ("http://actions",), (), "t", "a")


def _user(intent: str, text: str) -> dict[str, object]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def test_a_typed_command_that_reached_rasa_as_words_passes() -> None:
    ok, leak, _ = typed_command_verdict(
        [_user("nlu_fallback", 'EXTERNAL_handback{"x": 1}'), {"event": "bot", "text": "Sorry?"}]
    )
    assert ok and not leak


def test_a_forced_intent_or_announced_outcome_is_a_leak() -> None:
    assert typed_command_verdict([_user("EXTERNAL_handback", "x")])[1]
    assert typed_command_verdict([_user("greet", "/restart")])[1]
    # The word "affirm" (slashes stripped), read by the NLU as a yes: words, not a command.
    assert typed_command_verdict([_user("affirm", "affirm")])[:2] == (True, False)
    said = [_user("greet", "hi"), {"event": "bot", "text": "Outcome: refund approved"}]
    assert typed_command_verdict(said)[1]
    assert typed_command_verdict([]) == (False, False, typed_command_verdict([])[2])


def _client(handler: object) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def test_login_flood_without_a_429_is_a_leak() -> None:
    report = SecurityReport()
    check_login_throttle(report, _client(lambda request: httpx.Response(401)), TARGET)
    assert report.leaks == 1


def test_login_flood_meeting_a_429_with_retry_after_passes() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) > 5:
            return httpx.Response(429, headers={"Retry-After": "30"})
        return httpx.Response(401)

    report = SecurityReport()
    check_login_throttle(report, _client(handler), TARGET)
    assert not report.failures and len(calls) == 6


def test_console_cors_headers_are_a_leak() -> None:
    leaky = _client(
        lambda request: httpx.Response(200, headers={"access-control-allow-origin": "*"})
    )
    report = SecurityReport()
    check_console_cors(report, leaky, TARGET)
    assert report.leaks == len(report.findings) > 0
    clean = SecurityReport()
    check_console_cors(clean, _client(lambda request: httpx.Response(401)), TARGET)
    assert not clean.failures
