"""Procfile.medusa (make run STORE=medusa) is Procfile plus Medusa, never a drifting copy."""

from __future__ import annotations

from pathlib import Path

from tierline_desk.settings import REPO_ROOT

SEED_FIRST = ".venv/bin/python -m tierline_desk.cli seed-medusa --wait 900 && "


def processes(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split(": ", 1) for line in lines)


def test_procfile_medusa_is_procfile_with_medusa_and_a_seeding_desk() -> None:
    plain = processes(REPO_ROOT / "Procfile")
    medusa = processes(REPO_ROOT / "Procfile.medusa")
    assert list(medusa) == ["medusa", *plain]
    assert medusa["medusa"] == "cd desk && exec .venv/bin/python -m tierline_desk.cli medusa-up"
    assert medusa["desk"] == plain["desk"].replace("cd desk && ", "cd desk && " + SEED_FIRST, 1)
    assert SEED_FIRST in medusa["desk"]
    for name in plain.keys() - {"desk"}:
        assert medusa[name] == plain[name], name
