"""``python -m tierline_desk.cli mail-catcher`` as a real process, fed by stdlib smtplib."""

from __future__ import annotations

import mailbox
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from tierline_common.ports import free_port

from tierline_desk.settings import DESK_DIR


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "MAIL"))}
    env["AIOSMTPD_CONTROLLER_TIMEOUT"] = "2"
    return env


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tierline_desk.cli", "mail-catcher", *args],
        cwd=DESK_DIR,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    maildir = tmp_path / "var" / "mail"  # parents are created
    proc = _start("--port", "0", "--maildir", str(maildir))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once it is listening
        match = re.search(r"smtp://127\.0\.0\.1:(\d+) -> Maildir (.+)$", line.strip())
        assert match, (line, proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        assert Path(match[2]) == maildir.resolve()
        yield proc, int(match[1]), maildir
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)  # reaps it and closes the pipes


def test_catcher_stores_what_smtplib_sends_and_stops_on_sigterm(
    running: tuple[subprocess.Popen[str], int, Path],
) -> None:
    proc, port, maildir = running
    msg = EmailMessage()
    msg["From"] = "Tierline Support <support@tierline.example>"
    msg["To"] = "maya.chen@example.com"
    msg["Subject"] = "Caught? ✓"
    msg["Message-ID"] = "<test-1@tierline.example>"
    msg.set_content("Hello from the test.\n")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        refused = smtp.send_message(msg, to_addrs=["maya.chen@example.com", "bcc@example.com"])
    assert refused == {}

    box = mailbox.Maildir(str(maildir), create=False)
    stored = [
        message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.iterkeys()
    ]
    assert len(stored) == 1
    assert stored[0]["Subject"] == "Caught? ✓"
    assert stored[0]["Message-ID"] == "<test-1@tierline.example>"
    assert stored[0].get_all("Delivered-To") == ["maya.chen@example.com", "bcc@example.com"]
    assert stored[0].get_content() == "Hello from the test.\n"

    proc.send_signal(signal.SIGTERM)
    out, _err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "mail catcher: stopped" in out


def test_catcher_reports_a_busy_port(tmp_path: Path) -> None:
    port = free_port()
    first = _start("--port", str(port), "--maildir", str(tmp_path / "a"))
    try:
        assert first.stdout is not None
        assert "smtp://" in first.stdout.readline()
        second = _start("--port", str(port), "--maildir", str(tmp_path / "b"))
        started = time.monotonic()
        _out, err = second.communicate(timeout=20)
        assert second.returncode == 3
        assert f"could not listen on 127.0.0.1:{port}" in err
        assert time.monotonic() - started < 20
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=10)
    assert first.returncode == 0
