"""Policy files the desk reads at start-up (authority.toml, sla.toml): TOML, with clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..settings import SettingsError


def read_toml(
    path: Path, variable: str, default: str, error: type[SettingsError]
) -> dict[str, Any]:
    """The file's tables; ``error`` naming ``variable`` (and its ``default``) when the file is
    missing, unreadable or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{variable} {path} does not exist (the default is {default})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {variable} {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from exc


def validated[M: BaseModel](
    model: type[M], section: object, table: str, problems: list[str]
) -> M | None:
    """``section`` (the file's ``[table]``) as ``model``; None after adding each problem, named
    ``table.key: message``, to ``problems``."""
    if section is None:
        problems.append(f"[{table}] is missing")
        return None
    if not isinstance(section, dict):
        problems.append(f"[{table}] must be a table")
        return None
    try:
        return model.model_validate(section)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"{table}{'.' + where if where else ''}: {err['msg']}")
        return None
