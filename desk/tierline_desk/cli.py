"""Command line: ``python -m tierline_desk.cli {migrate,seed-demo,seed-agents,seed-history,
import-orders FILE,create-user,capacity,auto-assign,mail-catcher,send-transcripts,medusa-up,
seed-medusa}``."""

from __future__ import annotations

import argparse
import getpass
import logging
import smtplib
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from tierline_common import log_masking

from .db import get_session_factory
from .importer import ImportFailed, import_file, seed_demo
from .migrate import upgrade_head
from .models import AGENT_ROLES, Agent, utcnow
from .services import assignment
from .services.agents import AgentError, create_agent, seed_demo_agents
from .services.macros import seed_demo_macros
from .settings import SettingsError, get_settings


def _cmd_migrate(_args: argparse.Namespace) -> int:
    upgrade_head()
    print(f"database at head: {_safe_url()}")
    return 0


def _seed_console(session: Session) -> None:
    """The demo agents and their macros (idempotent), reported."""
    added_agents = seed_demo_agents(session)
    added_macros = seed_demo_macros(session)
    print(f"demo agents added: {', '.join(added_agents) or 'none (already there)'}")
    print(f"demo macros added: {len(added_macros)}")


def _cmd_seed_demo(_args: argparse.Namespace) -> int:
    with get_session_factory()() as session:
        result = seed_demo(session)
        print(f"demo data: {result.summary()}")
        _seed_console(session)
    return 0


def _cmd_seed_agents(_args: argparse.Namespace) -> int:
    with get_session_factory()() as session:
        _seed_console(session)
    return 0


def _cmd_seed_history(args: argparse.Namespace) -> int:
    from .services import demo_history

    with get_session_factory()() as session:
        if args.remove:
            why = demo_history.not_a_demo_database(session)
            if why is not None:
                print(f"error: {why}", file=sys.stderr)
                return 2
            counts = demo_history.remove(session)
            print("demo history removed: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
            return 0
        try:
            summary = demo_history.seed(
                session, days=args.days, seed_value=args.seed, force=args.force
            )
        except demo_history.HistoryRefused as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    print(f"demo history for the last {args.days} days: {summary.text()}")
    return 0


def _cmd_medusa_up(args: argparse.Namespace) -> int:
    from tierline_common.local_servers import LocalServerError

    from .store.medusa.devserver import LocalMedusa, config_from_settings

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    settings = get_settings()
    local = LocalMedusa(
        Path(args.workdir) if args.workdir else settings.medusa_workdir,
        config_from_settings(settings, args.port),
        pg_port=args.pg_port or settings.medusa_pg_port,
    )
    try:
        return local.serve(
            lambda: print(
                f"medusa: ready at {local.url} ({local.timings.summary()}); Ctrl-C stops it"
            )
        )
    except LocalServerError as exc:  # Medusa's or its PostgreSQL's
        print(f"error: {exc}", file=sys.stderr)
        return 6


def _cmd_seed_medusa(args: argparse.Namespace) -> int:
    from .store.medusa.client import MedusaClient
    from .store.medusa.devserver import wait_for_health
    from .store.medusa.seed import SeedError, seed
    from .store.port import StoreRefused, StoreUnavailable

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    settings = get_settings()
    url = args.url or settings.medusa_base_url()
    if args.wait and not wait_for_health(url, args.wait):
        print(f"error: Medusa did not answer {url}/health within {args.wait} s", file=sys.stderr)
        return 6
    client = MedusaClient.from_settings(settings, url=url, timeout=args.timeout)
    try:
        result = seed(client, progress=lambda msg: print(f"seed-medusa: {msg}"))
    except (StoreUnavailable, StoreRefused) as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 6
    except SeedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 6
    finally:
        client.close()
    print(f"medusa demo data: {result.summary()}")
    return 0


def _cmd_medusa_order(args: argparse.Namespace) -> int:
    from .store.medusa.adapter import MedusaStore
    from .store.medusa.inspect import describe
    from .store.port import StoreRefused, StoreUnavailable

    store = MedusaStore.from_settings(get_settings())
    try:
        snap = store.snapshot(args.number)
    except (StoreUnavailable, StoreRefused) as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 6
    finally:
        store.close()
    if snap is None:
        print(f"error: no Medusa order carries the Tierline number {args.number}", file=sys.stderr)
        return 1
    print("\n".join(describe(snap)))
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {args.username}: ")
    if getpass.getpass("again: ") != first:
        raise AgentError("the two passwords differ")
    return first


def _cmd_create_user(args: argparse.Namespace) -> int:
    try:
        password = _read_password(args)
        with get_session_factory()() as session:
            agent = create_agent(
                session, args.username, password, role=args.role, display_name=args.name
            )
            session.commit()
    except AgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 5
    print(f"created {agent.role} {agent.username} ({agent.display_name})")
    return 0


def _cmd_capacity(args: argparse.Namespace) -> int:
    capacity = None if args.capacity == "default" else int(args.capacity)
    if capacity is not None and not 1 <= capacity <= 50:
        print("error: capacity is a whole number from 1 to 50, or 'default'", file=sys.stderr)
        return 5
    with get_session_factory()() as session:
        agent = session.scalar(select(Agent).where(Agent.username == args.username.lower()))
        if agent is None:
            print(f"error: no agent {args.username!r}", file=sys.stderr)
            return 5
        assignment.set_capacity(session, agent, capacity, "cli")
        session.commit()
        print(
            f"{agent.username}: capacity {assignment.capacity_of(agent)}"
            + (" (AGENT_CAPACITY)" if capacity is None else "")
        )
    return 0


def _cmd_auto_assign(args: argparse.Namespace) -> int:
    with get_session_factory()() as session:
        if args.state is not None:
            assignment.set_auto_assign(session, args.tier, args.state == "on", "cli", utcnow())
            session.commit()
        state = "on" if assignment.auto_assign(session, args.tier) else "off"
    print(f"tier {args.tier}: automatic assignment {state}")
    return 0


def _cmd_import_orders(args: argparse.Namespace) -> int:
    with get_session_factory()() as session:
        result = import_file(session, Path(args.file))
    print(f"{args.file}: {result.summary()}")
    if result.skipped_orders:
        print(f"left alone (already in the database): {', '.join(result.skipped_orders)}")
    return 0


def _cmd_mail_catcher(args: argparse.Namespace) -> int:
    from .mail.catcher import serve  # aiosmtpd only loads for this command

    # On stdout, line-buffered: a supervisor (honcho, the scaled stack, tests) reads "listening".
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stdout
    )
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    settings = get_settings()
    maildir = Path(args.maildir) if args.maildir else settings.maildir
    port = settings.smtp_port if args.port is None else args.port
    try:
        serve(maildir.resolve(), args.host, port)
    except OSError as exc:
        print(f"error: mail catcher could not listen on {args.host}:{port}: {exc}", file=sys.stderr)
        return 3
    return 0


def _cmd_imap_poll(_args: argparse.Namespace) -> int:
    from .mail.imap_poller import poll_once

    if not get_settings().imap_host:
        print("error: IMAP_HOST is not set (docs/email.md)", file=sys.stderr)
        return 2
    try:
        result = poll_once()
    except Exception as exc:
        print(f"error: the IMAP pass failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(
        f"imap: {result.count('threaded')} threaded, {result.count('quarantined')} "
        f"quarantined, {result.count('duplicate')} already taken"
    )
    return 0


def _cmd_reply_as_shopper(args: argparse.Namespace) -> int:
    from .mail.shopper_reply import build_reply, latest_case_mail, send

    number = args.case_number.strip().upper()
    mail = latest_case_mail(get_settings().maildir, number)
    if mail is None:
        print(f"error: no mail about {number} in {get_settings().maildir}", file=sys.stderr)
        return 2
    missing = [a for a in args.attach if not Path(a).is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    reply = build_reply(mail, args.text, [Path(a) for a in args.attach])
    try:
        send(reply)
    except (OSError, smtplib.SMTPException) as exc:
        print(f"error: the mail server refused it: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"sent {reply['Message-ID']} to {reply['To']} (answering {mail['Message-ID']})")
    return 0


def _cmd_send_transcripts(_args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from .mail.transcripts import PENDING, deliver
    from .models import TranscriptRequest

    sent = pending = 0
    with get_session_factory()() as session:
        stmt = select(TranscriptRequest).where(TranscriptRequest.status == PENDING)
        for req in session.scalars(stmt.order_by(TranscriptRequest.created_at)).all():
            outcome = deliver(session, req, actor="cli")
            sent, pending = (sent + 1, pending) if outcome.sent else (sent, pending + 1)
            print(f"{req.request_id}: {'sent' if outcome.sent else 'pending'}: {outcome.message}")
    print(f"transcripts: {sent} sent, {pending} still pending")
    return 0 if pending == 0 else 4


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
    history = sub.add_parser(
        "seed-history",
        help="30 days of demo support history through the desk's own services (demo databases "
        "only; docs/analytics.md)",
    )
    history.add_argument("--days", type=int, default=30, choices=range(1, 91), metavar="1-90")
    history.add_argument(
        "--seed", type=int, default=1, help="random seed (same seed, same history)"
    )
    history.add_argument("--force", action="store_true", help="remove earlier demo history first")
    history.add_argument("--remove", action="store_true", help="only delete the demo history")
    history.set_defaults(func=_cmd_seed_history)
    user = sub.add_parser("create-user", help="add a console agent (password hashed, Argon2id)")
    user.add_argument("username", help="login name: lower-case letters, digits, '_.-'")
    user.add_argument("--role", required=True, help=f"one of {', '.join(AGENT_ROLES)}")
    user.add_argument("--name", default=None, help='display name, e.g. "Alex Rivera"')
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (else: prompt)",
    )
    user.set_defaults(func=_cmd_create_user)
    cap = sub.add_parser(
        "capacity", help="set how many tickets the desk assigns an agent at once (audited)"
    )
    cap.add_argument("username")
    cap.add_argument("capacity", help="1-50, or 'default' for AGENT_CAPACITY")
    cap.set_defaults(func=_cmd_capacity)
    auto = sub.add_parser(
        "auto-assign", help="show or switch a tier's automatic assignment (audited)"
    )
    auto.add_argument("tier", type=int, choices=(1, 2))
    auto.add_argument("state", nargs="?", choices=("on", "off"), help="omit to show it")
    auto.set_defaults(func=_cmd_auto_assign)
    imp = sub.add_parser(
        "import-orders", help="import customers, orders and promo codes from a JSON file"
    )
    imp.add_argument("file", help="path to the JSON file (format: desk/README.md)")
    imp.set_defaults(func=_cmd_import_orders)
    catcher = sub.add_parser(
        "mail-catcher",
        help="run a local SMTP server that stores every message in a Maildir (for development)",
    )
    catcher.add_argument("--host", default="127.0.0.1", help="address to listen on")
    catcher.add_argument(
        "--port", type=int, default=None, help="port to listen on (default: SMTP_PORT, 8025)"
    )
    catcher.add_argument(
        "--maildir", default=None, help="Maildir to store messages in (default: MAILDIR)"
    )
    catcher.set_defaults(func=_cmd_mail_catcher)
    shopper = sub.add_parser(
        "reply-as-shopper",
        help="answer a case's latest caught mail as its shopper, over SMTP (try inbound mail)",
    )
    shopper.add_argument("case_number", help="e.g. CASE-100001")
    shopper.add_argument("text", help="what the shopper writes")
    shopper.add_argument("--attach", action="append", default=[], help="a file to attach")
    shopper.set_defaults(func=_cmd_reply_as_shopper)
    sub.add_parser(
        "imap-poll", help="read the IMAP mailbox's unseen mail into the cases once (IMAP_*)"
    ).set_defaults(func=_cmd_imap_poll)
    sub.add_parser(
        "seed-agents",
        help="add the demo console agents only (a Medusa store brings its own orders)",
    ).set_defaults(func=_cmd_seed_agents)
    up = sub.add_parser(
        "medusa-up",
        help="run a local Medusa store and its PostgreSQL in the foreground (Ctrl-C stops both)",
    )
    up.add_argument("--port", type=int, default=None, help="Medusa's port (default: MEDUSA_URL's)")
    up.add_argument(
        "--pg-port", type=int, default=None, help="its PostgreSQL's port (default: MEDUSA_PG_PORT)"
    )
    up.add_argument(
        "--workdir", default=None, help="data and logs (default: MEDUSA_WORKDIR, var/medusa)"
    )
    up.set_defaults(func=_cmd_medusa_up)
    show = sub.add_parser(
        "medusa-order",
        help="what Medusa itself holds for an order (status, tracking, refunds, returns, claims)",
    )
    show.add_argument("number", help="the order's 17-digit Tierline number, 112-4839201-5573910")
    show.set_defaults(func=_cmd_medusa_order)
    seed_medusa = sub.add_parser(
        "seed-medusa",
        help="load the demo data into a Medusa store through its API (idempotent)",
    )
    seed_medusa.add_argument("--url", default=None, help="Medusa's URL (default: MEDUSA_URL)")
    seed_medusa.add_argument(
        "--wait",
        type=float,
        default=0,
        metavar="SECONDS",
        help="wait this long for Medusa's /health first (default: do not wait)",
    )
    seed_medusa.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="per request (default: 120; completing a checkout is slow on a busy machine)",
    )
    seed_medusa.set_defaults(func=_cmd_seed_medusa)
    sub.add_parser(
        "send-transcripts",
        help="retry mailing every pending transcript request (Rasa or SMTP was down)",
    ).set_defaults(func=_cmd_send_transcripts)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    log_masking.install()  # no raw email, phone or order number in any log line
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
