"""Command line: ``python -m tierline_desk.cli {migrate,seed-demo,import-orders FILE}``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .db import get_session_factory
from .importer import ImportFailed, import_file, seed_demo
from .migrate import upgrade_head
from .settings import SettingsError, get_settings


def _cmd_migrate(_args: argparse.Namespace) -> int:
    upgrade_head()
    print(f"database at head: {_safe_url()}")
    return 0


def _cmd_seed_demo(_args: argparse.Namespace) -> int:
    with get_session_factory()() as session:
        result = seed_demo(session)
    print(f"demo data: {result.summary()}")
    return 0


def _cmd_import_orders(args: argparse.Namespace) -> int:
    with get_session_factory()() as session:
        result = import_file(session, Path(args.file))
    print(f"{args.file}: {result.summary()}")
    if result.skipped_orders:
        print(f"left alone (already in the database): {', '.join(result.skipped_orders)}")
    return 0


def _safe_url() -> str:
    url = get_settings().resolved_database_url()
    scheme, sep, rest = url.partition("://")
    if "@" in rest:  # hide credentials
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tierline_desk.cli", description="Tierline desk administration."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations (alembic upgrade head)").set_defaults(
        func=_cmd_migrate
    )
    sub.add_parser(
        "seed-demo", help="load the demo customers, orders and promo codes (idempotent)"
    ).set_defaults(func=_cmd_seed_demo)
    imp = sub.add_parser(
        "import-orders", help="import customers, orders and promo codes from a JSON file"
    )
    imp.add_argument("file", help="path to the JSON file (format: desk/README.md)")
    imp.set_defaults(func=_cmd_import_orders)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ImportFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
