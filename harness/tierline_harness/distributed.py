"""The distributed-mode stack on one machine: PostgreSQL, Redis, nginx and every app replica.

``python -m tierline_harness.distributed run`` (what ``make run-scaled`` calls) starts it all and
stops it all on Ctrl-C; ``make test-scaled`` (tierline_harness/scaled.py) uses :class:`Stack` to
start the same processes and to kill and restart single ones during load.

Every process gets its settings from environment variables (the names a retailer sets when the
services run on separate machines; README "Distributed deployment"). For this demo they all
point at loopback ports:

    nginx          127.0.0.1:8080  the public door: /chat/ws, /console/ws, /desk, /console/api
                   127.0.0.1:5300  internal: Rasa's REST channel and HTTP API -> Rasa replicas
                   127.0.0.1:5350  internal: action calls -> action servers
    desk           127.0.0.1:8201, :8202     Rasa 127.0.0.1:5301, :5302, :5303
    actions        127.0.0.1:5351, :5352     PostgreSQL 127.0.0.1:5433, Redis 127.0.0.1:6380
    mail catcher   127.0.0.1:8225

PostgreSQL runs from the Debian package's binaries as the ``postgres`` user (it refuses root)
with its own cluster in var/scaled/pg (or, when the checkout is closed to other users, in a
directory of the system temp dir: see shared_dir); Redis and nginx run with generated configs from
var/scaled. Nothing is installed as a system service.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import glob
import hashlib
import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tierline_harness.stack import (
    DESK_PYTHON,
    ROOT,
    Service,
    action_server,
    desk_server,
    mail_catcher,
    rasa_server,
    read_env,
)

VAR = ROOT / "var" / "scaled"
LOGS = VAR / "logs"
NGINX_DIR = VAR / "nginx"
TEST_ROLE = "tierline_tests"
UPSTREAM_IDLE_SECONDS = 60  # nginx closes idle connections to the services after this
APT_PACKAGES = {"postgresql": "initdb", "redis-server": "redis-server", "nginx-light": "nginx"}


def reachable_by_others(path: Path) -> bool:
    """Whether other users can get to ``path``: every existing ancestor lets them through."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents) if p.exists())


@functools.cache
def shared_dir() -> Path:
    """Where processes running as another user keep their files (PostgreSQL as ``postgres``,
    nginx's workers as ``nobody``): var/scaled when they can reach it, else a directory for this
    checkout in the system's temp dir (a clone inside ``mktemp -d`` is closed to them)."""
    if os.geteuid() != 0 or reachable_by_others(VAR):
        return VAR
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"tierline-scaled-{digest}"
    path.mkdir(mode=0o755, exist_ok=True)
    return path


def pg_data() -> Path:
    return shared_dir() / "pg"


def pg_sockets() -> Path:
    return shared_dir() / "pg-run"


def nginx_tmp() -> Path:
    return shared_dir() / "nginx-tmp"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Ports:
    """Every port of the demo; :meth:`from_env` lets each be moved with a variable."""

    public: int = 8080
    rasa_lb: int = 5300
    actions_lb: int = 5350
    desks: tuple[int, ...] = (8201, 8202)
    # Three Rasa replicas: when one dies, two share its load. A replica serves on one event loop
    # (one core at most): a lone survivor on this 2-core machine was at capacity under 500
    # shoppers while its peer restarted, and queued messages past the reply timeout.
    rasas: tuple[int, ...] = (5301, 5302, 5303)
    actions: tuple[int, ...] = (5351, 5352)
    postgres: int = 5433
    redis: int = 6380
    mail: int = 8225

    @classmethod
    def from_env(cls) -> Ports:
        d = cls()
        return cls(
            public=env_int("SCALED_PUBLIC_PORT", d.public),
            rasa_lb=env_int("SCALED_RASA_LB_PORT", d.rasa_lb),
            actions_lb=env_int("SCALED_ACTIONS_LB_PORT", d.actions_lb),
            desks=tuple(env_int(f"SCALED_DESK{i}_PORT", p) for i, p in enumerate(d.desks, 1)),
            rasas=tuple(env_int(f"SCALED_RASA{i}_PORT", p) for i, p in enumerate(d.rasas, 1)),
            actions=tuple(
                env_int(f"SCALED_ACTIONS{i}_PORT", p) for i, p in enumerate(d.actions, 1)
            ),
            postgres=env_int("SCALED_PG_PORT", d.postgres),
            redis=env_int("SCALED_REDIS_PORT", d.redis),
            mail=env_int("SCALED_MAIL_PORT", d.mail),
        )


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise SystemExit(f"{name} not found under /usr/lib/postgresql: run `make scaled-deps`")
    return found[-1]


def install_missing() -> None:
    """apt-get install PostgreSQL, Redis and nginx when their programs are missing."""
    missing = [
        pkg
        for pkg, program in APT_PACKAGES.items()
        if not (shutil.which(program) or glob.glob(f"/usr/lib/postgresql/*/bin/{program}"))
    ]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print(f"installing from Debian: {' '.join(missing)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )


class Stack:
    """Starts, kills and restarts the demo's processes by name."""

    def __init__(self, ports: Ports | None = None) -> None:
        self.ports = ports or Ports.from_env()
        self.secrets = read_env()
        self.services: dict[str, Service] = {}
        self._define()

    # ---- configuration

    def base_env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
        return {
            **keep,
            **self.secrets,
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
            # Libraries' deprecation notices at import are printed by Python's warnings module,
            # not logged: untimestamped noise in the services' logs.
            "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::PendingDeprecationWarning",
        }

    def db_password(self) -> str:
        password = self.secrets.get("SCALED_DB_PASSWORD")
        if not password:
            raise SystemExit("SCALED_DB_PASSWORD missing from .env: run `make install`")
        return password

    def app_env(self) -> dict[str, str]:
        """What a retailer would set on each machine, here pointing at loopback."""
        p = self.ports
        password = self.db_password()
        return {
            **self.base_env(),
            # desk
            "DATABASE_URL": (
                f"postgresql+psycopg://tierline:{password}@127.0.0.1:{p.postgres}/tierline_desk"
            ),
            "REDIS_URL": f"redis://127.0.0.1:{p.redis}/0",
            # Shoppers' files in PostgreSQL, which every desk replica reads (docs/evidence.md),
            # not in a directory of one machine.
            "ATTACHMENT_STORE": "database",
            "RASA_URL": f"http://127.0.0.1:{p.rasa_lb}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(p.mail),
            "MAILDIR": str(VAR / "mail"),
            # actions
            "DESK_URL": f"http://127.0.0.1:{p.public}",
            # Rasa (endpoints-scaled.yml)
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{p.actions_lb}/webhook",
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": str(p.postgres),
            "TRACKER_DB_NAME": "tierline_rasa",
            "TRACKER_DB_USER": "tierline",
            "TRACKER_DB_PASSWORD": password,
            "LOCK_STORE_REDIS_HOST": "127.0.0.1",
            "LOCK_STORE_REDIS_PORT": str(p.redis),
            "LOCK_STORE_REDIS_DB": "1",
            # A conversation's lock in Redis outlives a killed replica by this much (Rasa's
            # default is 60 s); it must stay below the desk's 20 s reply timeout, so the next
            # message, on the other replica, is answered rather than apologised for.
            "TICKET_LOCK_LIFETIME": "15",
            # Rasa and the action servers (Sanic) keep an idle connection longer than nginx
            # (keepalive_timeout 60 s in each upstream): the balancer always closes first, so
            # it never sends a request on a connection the server is closing, which it could
            # not retry for a POST (a shopper's message) and would answer with 502.
            "SANIC_KEEP_ALIVE_TIMEOUT": str(UPSTREAM_IDLE_SECONDS + 15),
            # Rasa's SQL pool per replica (its default is 50 + 100 overflow)
            "SQL_POOL_SIZE": "10",
            "SQL_MAX_OVERFLOW": "20",
        }

    def _define(self) -> None:
        p = self.ports
        env = self.app_env()
        self.add(
            Service(
                "postgres",
                [
                    pg_bin("postgres"),
                    "-D",
                    str(pg_data()),
                    "-p",
                    str(p.postgres),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={pg_sockets()}",
                    "-c",
                    "max_connections=300",
                ],
                self.base_env(),
                LOGS,
                ready_port=p.postgres,
                user="postgres",
                stop_signal=signal.SIGINT,  # fast shutdown; SIGTERM waits for every client
            )
        )
        self.add(
            Service(
                "redis",
                [
                    "redis-server",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(p.redis),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(VAR / "redis"),
                    "--maxclients",
                    "2000",
                ],
                self.base_env(),
                LOGS,
                ready_port=p.redis,
            )
        )
        self.add(
            Service(
                "mail",
                mail_catcher(p.mail, VAR / "mail"),
                env,
                LOGS,
                ready_port=p.mail,
                cwd=ROOT / "desk",
            )
        )
        for i, port in enumerate(p.actions, 1):
            self.add(
                Service(
                    f"actions{i}",
                    action_server(port),
                    {**env, "SANIC_HOST": "127.0.0.1"},
                    LOGS,
                    ready_url=f"http://127.0.0.1:{port}/health",
                )
            )
        for i, port in enumerate(p.rasas, 1):
            self.add(
                Service(
                    f"rasa{i}",
                    rasa_server(port, "endpoints-scaled.yml", "models"),
                    env,
                    LOGS,
                    ready_url=f"http://127.0.0.1:{port}/webhooks/rest/health",
                    startup_nice=10,
                )
            )
        for i, port in enumerate(p.desks, 1):
            self.add(
                Service(
                    f"desk{i}",
                    desk_server(
                        port,
                        "--proxy-headers",
                        "--timeout-keep-alive",
                        str(UPSTREAM_IDLE_SECONDS + 15),  # as SANIC_KEEP_ALIVE_TIMEOUT
                        "--no-access-log",
                        "--log-config",
                        "logging.json",  # desk/logging.json: a timestamp on every line
                    ),
                    {**env, "DESK_REPLICA": f"desk{i}"},
                    LOGS,
                    ready_url=f"http://127.0.0.1:{port}/healthz",
                    cwd=ROOT / "desk",
                )
            )
        self.add(
            Service(
                "nginx",
                ["nginx", "-c", str(NGINX_DIR / "nginx.conf"), "-g", "daemon off;"],
                self.base_env(),
                LOGS,
                ready_url=f"http://127.0.0.1:{p.public}/healthz",
            )
        )

    def add(self, service: Service) -> None:
        self.services[service.name] = service

    # ---- one-time preparation

    def prepare(self) -> None:
        """Create the PostgreSQL cluster, roles and databases, Redis's dir, nginx's config."""
        for path in (VAR, LOGS, VAR / "redis", VAR / "mail", nginx_tmp()):
            path.mkdir(parents=True, exist_ok=True)
        self._init_postgres()
        write_nginx_conf(self.ports)
        if os.geteuid() == 0:  # nginx's workers run as nobody and buffer into its tmp dir
            nobody = pwd.getpwnam("nobody")
            os.chown(nginx_tmp(), nobody.pw_uid, nobody.pw_gid)

    def _init_postgres(self) -> None:
        sockets, data = pg_sockets(), pg_data()
        sockets.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(sockets, pg.pw_uid, pg.pw_gid)
        if (data / "PG_VERSION").exists():
            return
        data.mkdir(parents=True, exist_ok=True)
        as_pg: list[str] = []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(data, pg.pw_uid, pg.pw_gid)
            data.chmod(0o700)
            as_pg = ["runuser", "-u", "postgres", "--"]
        subprocess.run(
            [
                *as_pg,
                pg_bin("initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def _create_databases(self) -> None:
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        psql = [*as_pg, pg_bin("psql"), "-h", str(pg_sockets()), "-p", str(self.ports.postgres)]
        password = self.db_password().replace("'", "''")

        def found(query: str) -> bool:
            """Whether ``query`` (``SELECT 1 ...`` in the postgres database) finds a row."""
            rows = subprocess.run(
                [*psql, "-tAc", query, "postgres"], check=True, capture_output=True, text=True
            )
            return rows.stdout.strip() == "1"

        verb = "ALTER" if found("SELECT 1 FROM pg_roles WHERE rolname = 'tierline'") else "CREATE"
        subprocess.run(
            [*psql, "-qc", f"{verb} ROLE tierline LOGIN PASSWORD '{password}'", "postgres"],
            check=True,
        )
        # The desk's test suite makes a database per test (scaled.py); the services' own role
        # cannot create databases.
        tests_exist = found(f"SELECT 1 FROM pg_roles WHERE rolname = '{TEST_ROLE}'")
        verb = "ALTER" if tests_exist else "CREATE"
        subprocess.run(
            [
                *psql,
                "-qc",
                f"{verb} ROLE {TEST_ROLE} LOGIN CREATEDB PASSWORD '{password}'",
                "postgres",
            ],
            check=True,
        )
        for db in ("tierline_desk", "tierline_rasa"):
            if not found(f"SELECT 1 FROM pg_database WHERE datname = '{db}'"):
                subprocess.run([*psql, "-qc", f"CREATE DATABASE {db} OWNER tierline", "postgres"])

    def test_database_url(self) -> str:
        """Where the desk's tests may create and drop their databases (DESK_TEST_POSTGRES_URL)."""
        return (
            f"postgresql+psycopg://{TEST_ROLE}:{self.db_password()}@127.0.0.1:"
            f"{self.ports.postgres}/postgres"
        )

    def migrate_desk(self) -> None:
        env = self.app_env()
        python = str(DESK_PYTHON)
        for command in ("migrate", "seed-demo"):
            subprocess.run(
                [python, "-m", "tierline_desk.cli", command], cwd=ROOT / "desk", env=env, check=True
            )

    # ---- running

    def start(self, name: str, timeout: float = 180.0) -> None:
        service = self.services[name]
        if service.running():
            return
        service.start()
        self.wait_ready(name, timeout)

    def wait_ready(self, name: str, timeout: float = 180.0) -> None:
        self.services[name].wait_ready(timeout)

    def start_all(self) -> None:
        self.prepare()
        for name in ("postgres", "redis", "mail"):
            self.start(name)
        self._create_databases()
        self.migrate_desk()
        slow = [name for name in self.services if name.startswith(("actions", "rasa", "desk"))]
        for name in slow:  # start together, then wait: Rasa takes a while to load its model
            self.services[name].start()
        for name in slow:
            self.wait_ready(name, 300)
        self.start("nginx")

    def kill(self, name: str) -> None:
        self.services[name].kill()

    def restart(self, name: str, timeout: float = 300.0) -> None:
        self.services[name].stop()
        self.start(name, timeout)

    def stop_all(self) -> None:
        for name in reversed(list(self.services)):
            self.services[name].stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[Stack]:
        try:
            self.start_all()
            yield self
        finally:
            self.stop_all()


def refusal(code: str, message: str) -> str:
    """A body in the desk's error shape (docs/backend-api.md) for nginx's own refusals."""
    return json.dumps({"detail": {"code": code, "message": message}})


def write_nginx_conf(ports: Ports) -> Path:
    """nginx's config: the public door and two loopback-only balancers.

    ``least_conn`` everywhere: a websocket holds its connection for the whole chat, so counting
    open connections spreads them; ``ip_hash`` would pin every shopper behind one corporate NAT
    (or every load-test shopper on 127.0.0.1) to one replica. No stickiness is needed: the
    desks share PostgreSQL and Redis pub/sub, and Rasa's replicas share the tracker store and
    the Redis lock store. ``proxy_next_upstream error timeout`` moves a request whose connection
    failed to the next server; nginx never resends a POST that reached a server
    (``non_idempotent`` is not set), so a message is never processed twice.
    """
    tmp = nginx_tmp()
    bad_request = refusal("bad_request", "That request could not be read.")
    too_large = refusal("too_large", "That request is too large: the limit is 1 MB.")
    too_long = refusal("too_long", "That address is too long.")
    file_too_large = refusal(
        "file_too_large", "That file is too large: photos and PDFs can be up to 10 MB."
    )
    # A location that sets a proxy header inherits none, so each location to the desks says all.
    to_desks = """proxy_pass http://desks;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Connection "";
            proxy_read_timeout 60s;"""
    unavailable = refusal(
        "unavailable", "Support chat is restarting. Please try again in a few seconds."
    )

    def servers(items: tuple[int, ...]) -> str:
        return "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in items
        )

    conf = f"""# Generated by tierline_harness/distributed.py; edit that, not this.
worker_processes 1;
pid {NGINX_DIR / "nginx.pid"};
error_log {LOGS / "nginx-error.log"} warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}

    upstream desks {{
        least_conn;
{servers(ports.desks)}
        keepalive 64;
        keepalive_timeout {UPSTREAM_IDLE_SECONDS}s;
    }}
    upstream rasas {{
        least_conn;
{servers(ports.rasas)}
        keepalive 64;
        keepalive_timeout {UPSTREAM_IDLE_SECONDS}s;
    }}
    upstream action_servers {{
        least_conn;
{servers(ports.actions)}
        keepalive 32;
        keepalive_timeout {UPSTREAM_IDLE_SECONDS}s;
    }}

    # The public door: the shop, the widget and its websocket, the console, the desk API.
    # (proxy_set_header is not inherited by a location that sets its own, so each sets all.)
    server {{
        listen 127.0.0.1:{ports.public};
        client_max_body_size 1m;
        proxy_http_version 1.1;
        proxy_next_upstream error timeout;
        # nginx's own refusals speak the desk's error shape (docs/backend-api.md), not HTML.
        default_type application/json;
        error_page 400 /.errors/400.json;
        error_page 413 /.errors/413.json;
        error_page 414 /.errors/414.json;
        error_page 502 503 504 =503 /.errors/503.json;
        location = /.errors/400.json {{ internal; return 400 '{bad_request}'; }}
        location = /.errors/413.json {{ internal; return 413 '{too_large}'; }}
        location = /.errors/414.json {{ internal; return 414 '{too_long}'; }}
        location = /.errors/503.json {{
            internal;
            add_header Retry-After 5 always;
            return 503 '{unavailable}';
        }}
        # The websockets: the shopper's chat and the agents' live console.
        location ~ ^/(chat|console)/ws$ {{
            proxy_pass http://desks;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
        }}
        # The widget's file upload: the desk streams the body and stops at its own limit
        # (ATTACHMENT_MAX_BYTES, 10 MB by default); nginx passes it on unbuffered.
        location = /chat/api/attachments {{
            client_max_body_size 11m;
            proxy_request_buffering off;
            error_page 413 /.errors/413-file.json;
            {to_desks}
        }}
        location = /.errors/413-file.json {{ internal; return 413 '{file_too_large}'; }}
        location / {{
            {to_desks}
        }}
    }}

    # Loopback only: the desks reach Rasa's REST channel and HTTP API here.
    server {{
        listen 127.0.0.1:{ports.rasa_lb};
        client_body_buffer_size 1m;  # in memory: no temp file per message
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_next_upstream error timeout;
        proxy_read_timeout 60s;
        location / {{ proxy_pass http://rasas; }}
    }}

    # Loopback only: the Rasa replicas call actions here.
    server {{
        listen 127.0.0.1:{ports.actions_lb};
        # An action call carries the whole tracker (tens of kB): kept in memory, not written to
        # a temp file for every call.
        client_body_buffer_size 1m;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_next_upstream error timeout;
        proxy_read_timeout 30s;
        location / {{ proxy_pass http://action_servers; }}
    }}
}}
"""
    NGINX_DIR.mkdir(parents=True, exist_ok=True)
    path = NGINX_DIR / "nginx.conf"
    path.write_text(conf)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("deps", help="apt-get install PostgreSQL, Redis and nginx when missing")
    sub.add_parser("run", help="start everything; Ctrl-C stops it all")
    args = parser.parse_args()
    if args.command == "deps":
        install_missing()
        return 0
    stack = Stack()
    stop = False

    def on_signal(_sig: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with stack.running():
        print(
            f"Tierline (distributed demo) is up: http://127.0.0.1:{stack.ports.public}/ and "
            f"/desk. Logs: {LOGS}. Ctrl-C stops everything.",
            flush=True,
        )
        while not stop:
            for service in stack.services.values():
                if not service.running():
                    print(f"{service.name} exited; see {LOGS / (service.name + '.log')}")
                    stop = True
            time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
