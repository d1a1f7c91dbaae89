"""The generated nginx config: valid for nginx, and its own refusals in the desk's JSON shape."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tierline_common.ports import free_port

from tierline_harness import distributed
from tierline_harness.shopper import shopper_address
from tierline_harness.stack import Service


@pytest.fixture
def conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(distributed, "NGINX_DIR", tmp_path)
    monkeypatch.setattr(distributed, "LOGS", tmp_path)
    monkeypatch.setattr(distributed, "shared_dir", lambda: tmp_path)
    (tmp_path / "nginx-tmp").mkdir()
    return distributed.write_nginx_conf(distributed.Ports()).read_text()


@pytest.mark.services
def test_nginx_accepts_the_generated_config(conf: str, tmp_path: Path) -> None:
    nginx = shutil.which("nginx")
    assert nginx, "nginx is not installed: run `make scaled-deps`"
    checked = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_nginx_refusals_carry_a_code_and_a_message(conf: str) -> None:
    bodies = [line.split("'")[1] for line in conf.splitlines() if "return 4" in line]
    bodies += [line.split("'")[1] for line in conf.splitlines() if "return 503" in line]
    assert len(bodies) == 5  # 400, 413, 413 for the file upload, 414, 503
    for body in bodies:
        detail = json.loads(body)["detail"]
        assert detail["code"] and detail["message"].strip()
    assert "error_page 502 503 504 =503" in conf


def test_services_outlive_nginx_idle_connections() -> None:
    env = distributed.Stack.__new__(distributed.Stack)  # app_env needs no running process
    env.ports = distributed.Ports()
    env.secrets = {"SCALED_DB_PASSWORD": "pw"}
    values = env.app_env()
    assert int(values["SANIC_KEEP_ALIVE_TIMEOUT"]) > distributed.UPSTREAM_IDLE_SECONDS


def test_each_simulated_shopper_has_its_own_benchmark_range_address() -> None:
    addresses = {shopper_address() for _ in range(600)}
    assert len(addresses) == 600
    assert all(a.startswith(("198.18.", "198.19.")) for a in addresses)


def test_a_checkout_closed_to_other_users_is_not_reachable(tmp_path: Path) -> None:
    private = tmp_path / "private"
    (private / "repo").mkdir(parents=True)
    private.chmod(0o700)
    assert not distributed.reachable_by_others(private / "repo" / "var")
    private.chmod(0o755)
    assert distributed.reachable_by_others(
        private / "repo" / "var"
    ) == distributed.reachable_by_others(tmp_path)


def test_a_niced_start_serves_at_normal_priority_once_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replica loads its model at low priority and serves at normal priority (as root; a
    user who could not raise it again starts it at normal priority)."""
    port = free_port()
    script = (
        "import os, socket, time\n"
        "print('nice at start', os.nice(0), flush=True)\n"
        f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(30)\n"
    )
    service = Service(
        "niced", [sys.executable, "-c", script], {}, tmp_path, ready_port=port, startup_nice=10
    )
    try:
        service.start()
        service.wait_ready(20)
        assert service.process is not None
        assert os.getpriority(os.PRIO_PROCESS, service.process.pid) == 0
    finally:
        service.stop()
    # `nice -n 10` adds to the niceness the harness itself runs at (capped at 19).
    own = os.nice(0)
    started_at = min(own + 10, 19) if os.geteuid() == 0 else own
    assert f"nice at start {started_at}" in (tmp_path / "niced.log").read_text()
