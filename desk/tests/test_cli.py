from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tierline_desk.cli import main
from tierline_desk.db import get_session_factory
from tierline_desk.models import Order

DESK = Path(__file__).resolve().parent.parent


def order_count() -> int:
    with get_session_factory()() as s:
        return int(s.scalar(select(func.count()).select_from(Order)) or 0)


def test_migrate_seed_import(
    empty_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert main(["seed-demo"]) == 0
    seeded = order_count()
    assert seeded >= 42
    assert main(["seed-demo"]) == 0
    assert order_count() == seeded
    out = capsys.readouterr().out
    assert "orders: 0 added, " in out
    assert "demo macros added: 5" in out and "demo macros added: 0" in out  # idempotent

    good = tmp_path / "more.json"
    good.write_text(
        json.dumps(
            {
                "orders": [
                    {
                        "order_number": "901-0000001-0000001",
                        "customer_id": "C-1001",
                        "status": "processing",
                        "placed_at": "now",
                        "items": [{"sku": "X", "name": "Thing", "unit_price": "1.00"}],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    assert main(["import-orders", str(good)]) == 0
    assert order_count() == seeded + 1


def test_import_error_exit_code_and_message(
    empty_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"orders": [{"order_number": "902-0000001-0000001", "customer_id": "C-1"}]}),
        encoding="utf-8",
    )
    assert main(["import-orders", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "nothing imported" in err
    assert "orders[0] (902-0000001-0000001).status: Field required" in err
    assert order_count() == 0


def test_cli_runs_from_any_directory(empty_db: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tierline_desk.cli", "migrate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "database at head" in proc.stdout
    assert order_count() == 0  # tables exist, nothing seeded
