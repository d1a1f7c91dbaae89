"""The local Medusa launcher and the CLI commands around it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tierline_common.ports import free_port

from tests.utils.medusa_server import ADMIN_EMAIL, MEDUSA_TIMEOUT, MedusaServer
from tierline_desk.cli import main
from tierline_desk.settings import get_settings
from tierline_desk.store.medusa import devserver

pytestmark = [pytest.mark.services, pytest.mark.timeout(MEDUSA_TIMEOUT)]


@pytest.fixture
def medusa_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("MEDUSA_", "TIERLINE_EVENTS_")):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_missing_packages_say_to_run_make_medusa_deps(tmp_path: Path) -> None:
    with pytest.raises(devserver.MedusaSetupError, match=r"make medusa-deps"):
        devserver.medusa_program(tmp_path)


def test_the_cluster_stays_in_the_workdir_when_postgres_can_reach_it(tmp_path: Path) -> None:
    workdir = tmp_path / "medusa"
    workdir.mkdir()
    found = devserver.cluster_dir(workdir)
    if os.geteuid() == 0 and not devserver.reachable_by_others(workdir):
        assert found.parent == Path(devserver.tempfile.gettempdir())
        assert found == devserver.cluster_dir(workdir)  # the same one every time
    else:
        assert found == workdir.resolve() / "pg"


def test_medusa_up_names_the_missing_secret(
    medusa_env: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDUSA_ADMIN_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("MEDUSA_ADMIN_PASSWORD", "pw")
    assert main(["medusa-up", "--port", str(free_port())]) == 2
    assert "MEDUSA_JWT_SECRET is not set" in capsys.readouterr().err


def test_seed_medusa_on_a_store_that_is_down(
    medusa_env: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDUSA_ADMIN_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("MEDUSA_ADMIN_PASSWORD", "pw")
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["seed-medusa", "--url", url]) == 6
    assert "not answering" in capsys.readouterr().err
    assert main(["seed-medusa", "--url", url, "--wait", "1"]) == 6
    assert "did not answer" in capsys.readouterr().err


def test_seed_medusa_on_a_seeded_store_adds_nothing(
    seeded_medusa: MedusaServer,
    medusa_env: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDUSA_URL", seeded_medusa.url)
    monkeypatch.setenv("MEDUSA_ADMIN_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("MEDUSA_ADMIN_PASSWORD", seeded_medusa.admin_password)
    assert main(["seed-medusa", "--wait", "30"]) == 0
    out = capsys.readouterr().out
    assert "orders: 0 added, 44 already there" in out
    assert "customers: 0 added, 5 already there" in out
    assert seeded_medusa.admin_password not in out
