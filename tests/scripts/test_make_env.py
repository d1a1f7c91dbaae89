""".env: created 0600 atomically, existing values kept, loose permissions tightened."""

from __future__ import annotations

import os
import runpy
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
make_env: dict[str, Any] = runpy.run_path(str(ROOT / "scripts" / "make_env.py"))


def run(path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["make_env.py", str(path)])
    return int(make_env["main"]())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_env_is_0600_even_with_a_permissive_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    old = os.umask(0)
    try:
        assert run(path, monkeypatch) == 0
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    assert "RASA_TOKEN=" in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == [".env"]  # no temporary file left


def test_the_file_is_never_written_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Created with O_EXCL and mode 0600 from the first byte, then moved over .env."""
    opened: list[tuple[int, int]] = []
    real_open = os.open

    def spy(path: Any, flags: int, mode: int = 0o777, *a: Any, **kw: Any) -> int:
        opened.append((flags, mode))
        return real_open(path, flags, mode, *a, **kw)

    monkeypatch.setattr(os, "open", spy)
    path = tmp_path / ".env"
    run(path, monkeypatch)
    assert opened and all(f & os.O_CREAT and f & os.O_EXCL and m == 0o600 for f, m in opened)


def test_an_existing_loose_env_is_tightened_and_its_values_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    path.write_text("RASA_TOKEN=keep-me\n")
    path.chmod(0o644)
    run(path, monkeypatch)
    assert mode(path) == 0o600
    text = path.read_text()
    assert "RASA_TOKEN=keep-me" in text and "DESK_API_TOKEN=" in text


def test_a_complete_but_loose_env_is_tightened_without_rewriting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    run(path, monkeypatch)
    before = path.read_text()
    path.chmod(0o664)
    run(path, monkeypatch)
    assert mode(path) == 0o600 and path.read_text() == before


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        run(tmp_path / ".env", monkeypatch)
    assert list(tmp_path.iterdir()) == []


def test_an_env_from_before_medusa_gets_its_keys_and_keeps_its_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    old = "".join(
        f"{key}=old-{key.lower()}\n"
        for key in ("DESK_API_TOKEN", "RASA_TOKEN", "SCALED_DB_PASSWORD")
    )
    path.write_text(old)
    path.chmod(0o600)
    run(path, monkeypatch)
    text = path.read_text()
    assert text.startswith(old)
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    for key in ("MEDUSA_ADMIN_PASSWORD", "MEDUSA_JWT_SECRET", "MEDUSA_COOKIE_SECRET"):
        assert len(values[key]) >= 32
    assert values["TIERLINE_EVENTS_SECRET"] != values["MEDUSA_JWT_SECRET"]
    assert values["MEDUSA_ADMIN_EMAIL"] == "admin@tierline.example"
    assert values["MEDUSA_URL"] == "http://127.0.0.1:9000"
    run(path, monkeypatch)
    assert path.read_text() == text  # a second run adds nothing
