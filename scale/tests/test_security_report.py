"""How the live security checks count: a refusal passes, a 2xx is a leak, anything else fails."""

from __future__ import annotations

from security import SecurityReport


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
