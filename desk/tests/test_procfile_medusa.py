"""Procfile.medusa (make run STORE=medusa) is Procfile plus Medusa, never a drifting copy."""

from __future__ import annotations

from pathlib import Path

from tierline_desk.settings import REPO_ROOT

EVENTS_URL = "http://127.0.0.1:8000/store/events/medusa"
SEED_FIRST = ".venv/bin/python -m tierline_desk.cli seed-medusa --wait 900 && "


def processes(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split(": ", 1) for line in lines)


def test_procfile_medusa_is_procfile_with_medusa_and_a_seeding_desk() -> None:
    plain = processes(REPO_ROOT / "Procfile")
    medusa = processes(REPO_ROOT / "Procfile.medusa")
    assert list(medusa) == ["medusa", *plain]
    assert medusa["medusa"] == (
        'cd desk && TIERLINE_EVENTS_URL="${TIERLINE_EVENTS_URL:-' + EVENTS_URL + '}" '
        "exec .venv/bin/python -m tierline_desk.cli medusa-up"
    )
    # Medusa posts its order events to the desk's route, on the desk's port.
    assert "--port 8000" in plain["desk"]
    assert medusa["desk"] == plain["desk"].replace("cd desk && ", "cd desk && " + SEED_FIRST, 1)
    assert SEED_FIRST in medusa["desk"]
    for name in plain.keys() - {"desk"}:
        assert medusa[name] == plain[name], name
