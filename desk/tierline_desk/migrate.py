"""Programmatic Alembic: upgrade to head from any working directory."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from .settings import DESK_DIR, MIGRATIONS_DIR, get_settings


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(DESK_DIR / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = database_url or get_settings().resolved_database_url()
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_head(database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), "head")
