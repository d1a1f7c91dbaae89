"""A real Dovecot IMAP server (Debian ``dovecot-imapd``, ``make imap-deps``) from a temp config.

It runs as an unprivileged user: the current one, or ``nobody`` when the tests run as root
(Dovecot's own processes then never hold root). One mailbox user, plain login on loopback
(no TLS: IMAP_TLS=none), Maildir storage under the temp directory.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tierline_common.ports import free_port

DOVECOT = "/usr/sbin/dovecot"
USER = "desk-inbox"
PASSWORD = "imap-test-password"


def _runs_as() -> pwd.struct_passwd:
    return pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())


def _config(root: Path, port: int, user: pwd.struct_passwd) -> str:
    group = grp.getgrgid(user.pw_gid).gr_name
    return f"""
base_dir = {root}/run
state_dir = {root}/run/state
instance_name = tierline-test-{port}
protocols = imap
listen = 127.0.0.1
default_internal_user = {user.pw_name}
default_internal_group = {group}
default_login_user = {user.pw_name}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {root}/dovecot.log
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={user.pw_uid} gid={user.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@contextmanager
def dovecot() -> Iterator[int]:
    """A running Dovecot on a free loopback port (yielded); stopped and waited for after.

    Its files live in a directory of its own under the system temp dir: the unprivileged
    user must reach them, and pytest keeps its own temp tree private to the test's user."""
    if not Path(DOVECOT).exists():
        pytest.fail(
            "dovecot is not installed: run `make imap-deps` (apt-get install dovecot-imapd); "
            "the IMAP tests need a real server"
        )
    user = _runs_as()
    root = Path(tempfile.mkdtemp(prefix="tierline-dovecot-"))
    root.chmod(0o755)
    (root / "run").mkdir()
    (root / "mail").mkdir()
    port = free_port()
    (root / "dovecot.conf").write_text(_config(root, port, user), encoding="utf-8")
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
    for path in [root, *root.rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid)
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        user=user.pw_uid if os.getuid() == 0 else None,
        group=user.pw_gid if os.getuid() == 0 else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, process, root)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot exited ({process.returncode}): {err}{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail("dovecot did not answer within 15 s")
