"""``make test-scaled``: the distributed stack under load, with faults, judged per conversation.

1. Starts the stack (tierline_harness/distributed.py) unless ``--reuse`` says it is already
   running.
2. Logs an associate in through the public door and keeps the heartbeat going, so handoffs
   find someone online.
3. Runs Locust headless (locustfile.py, ``ScaledShopper``): ``--shoppers`` concurrent shoppers
   with think time, each going through multi-turn conversations, some handed off.
4. Meanwhile injects the faults asked for (``--faults``), one after another, and checks what
   each must not break.
5. On the same stack, once the load is over: a count of the messages nobody answered (bot
   conversations ending with the shopper's line), the hostile-input corpus through the public door
   (hostile.py), the live security checks (security.py), and the desk's whole test
   suite on this PostgreSQL, whose RBAC matrix reports its leaks.
6. Prints what it measured and, as its last line, exactly (one line)::

       scaled: shoppers=N lost=L reordered=O duplicated=D empty=E hostile=H
       server_errors=X rbac_leaks=Z

Exit status 0 only when every measured count is 0 and every fault check passed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

from tierline_harness import cpu, hostile, security
from tierline_harness.distributed import LOGS, VAR, Stack
from tierline_harness.stack import DESK_PYTHON, ROOT

HARNESS = ROOT / "harness"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
AGENT = ("alex", "alex-demo-pass")  # the demo associate: the hostile corpus logs in as them
SHIFT_ROLE = "associate"
# An associate gives the shopper this long to read their line before handing the chat back.
A_MOMENT_SECONDS = 3.0
# An associate whose button fails presses it again, a little later each time (2 s, then 4 s).
PRESSES = 3
PRESS_AGAIN_SECONDS = 2.0
# A hand-back asks Rasa twice (each up to the desk's 20 s reply timeout); a console waits for it.
PRESS_TIMEOUT_SECONDS = 60.0


def log(message: str) -> None:
    """A progress line with its UTC time, to be read against the services' logs."""
    now = time.time()
    stamp = time.strftime("%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}"
    print(f"{stamp} UTC {message}", flush=True)


def shift_password(stack: Stack, username: str) -> str:
    """A load-test associate's password: stable on this machine, derived from a .env secret."""
    key = stack.db_password().encode()
    return hmac.new(key, username.encode(), hashlib.sha256).hexdigest()[:24]


def staff_the_shift(stack: Stack, size: int) -> list[tuple[str, str]]:
    """Console accounts for ``size`` associates, created on the first run (afterwards the CLI
    refuses the duplicate, and the same password still logs in)."""
    staffed = []
    for i in range(1, size + 1):
        username = f"load.associate{i}"
        password = shift_password(stack, username)
        cli = [str(DESK_PYTHON), "-m", "tierline_desk.cli"]
        flags = ["--role", SHIFT_ROLE, "--name", f"Load associate {i}", "--password-stdin"]
        subprocess.run(
            [*cli, "create-user", username, *flags],
            input=password + "\n",
            text=True,
            cwd=ROOT / "desk",
            env=stack.app_env(),
            capture_output=True,
            check=False,
        )
        staffed.append((username, password))
    return staffed


def set_auto_assignment(stack: Stack, on: bool) -> None:
    """Automatic assignment on or off for both tiers, through the desk CLI (audited), as a
    supervisor would. The setting lives in the database, so a run starts the shift itself
    rather than inherit how the previous run left it."""
    for tier in ("1", "2"):
        subprocess.run(
            [
                str(DESK_PYTHON),
                "-m",
                "tierline_desk.cli",
                "auto-assign",
                tier,
                "on" if on else "off",
            ],
            cwd=ROOT / "desk",
            env=stack.app_env(),
            capture_output=True,
            check=True,
        )


def end_the_shift(stack: Stack) -> None:
    """The shift has stopped working: automatic assignment goes off. What the hostile corpus
    hands over then waits in the queue while the bot keeps answering, instead of going to an
    associate who has gone home (or to the corpus's own console login)."""
    set_auto_assignment(stack, on=False)
    log("end of the shift: automatic assignment off for tiers 1 and 2")


# What each fault may cost shoppers (docs/reliability.md): an apology only for a message that
# was in flight when the fault began, or sent while the fault's service was out and refusing
# (``FaultReport.refusing_until``: a database or Redis restarting; a killed replica refuses
# nothing new, its peer takes what is sent after the kill), and no later than this many seconds
# after the later of the message and the service's return. A fault not in this table (a
# graceful desk restart) may cost no apology at all.
APOLOGY_PROMISE_SECONDS = {
    "actions": 3.0,
    "rasa": 3.0,
    "postgres": 3.0,
    "redis": 3.0,
    # An answer lost with a crashed desk is apologised for by the other once no live relay can
    # still bring it: after the REST channel's timeout (20 s) plus 10 s, at the next look
    # (every 5 s); that apology is the only one that may come after the reply timeout.
    "desk-crash": 45.0,
}
OWED_ANSWER_FAULTS = frozenset({"desk-crash"})
REPLY_TIMEOUT_SECONDS = 20.0  # the desk's CHAT_REPLY_TIMEOUT_SECONDS
# Faults are timed by this process, messages by Locust's: a message sent this close to a
# fault's start (or to its service's return) counts as in flight (or refused).
CLOCK_TOLERANCE_SECONDS = 0.5
# The desk suite takes about 12 minutes on PostgreSQL here, half of it starting and seeding a
# real Medusa for the store tests; each test also has its own limit.
DESK_SUITE_TIMEOUT_SECONDS = 2400
LOST_ANSWER_LOG = "apologised for an answer lost with a desk"  # services/bot_relay.py
# Conversations the bot has whose last line is the shopper's: a message nobody answered.
ANSWERS_OWED_SQL = """
    SELECT count(*) FROM conversations c
    JOIN chat_messages m ON m.conversation_id = c.conversation_id AND m.seq = c.last_seq
    WHERE c.mode = 'bot' AND m.sender = 'shopper'
"""


@dataclass
class AfterLoad:
    """What the checks after the load found (step 5)."""

    hostile_failed: int = -1  # -1: not run
    hostile_cases: int = 0
    security: security.SecurityReport | None = None
    matrix: dict[str, Any] = field(default_factory=dict)
    desk_suite_passed: bool = False
    answers_owed: int = -1  # -1: not looked

    @property
    def rbac_leaks(self) -> int:
        live = self.security.leaks if self.security is not None else 0
        return live + int(self.matrix.get("leaks", 0))

    @property
    def passed(self) -> bool:
        return (
            self.hostile_failed == 0
            and self.answers_owed == 0
            and self.security is not None
            and not self.security.failures
            and self.desk_suite_passed
            and bool(self.matrix)
            and self.matrix.get("database") == "postgresql"
            and int(self.matrix.get("wrong", 1)) == 0
            and self.rbac_leaks == 0
        )


@dataclass
class FaultReport:
    name: str
    started: float
    ended: float = 0.0
    # Until when the fault's service was out, so new messages could be refused (0: none could)
    refusing_until: float = 0.0
    checks: list[tuple[str, bool]] = field(default_factory=list)

    def out_until(self) -> float:
        return max(self.started, self.refusing_until)

    def check(self, what: str, ok: bool) -> None:
        self.checks.append((what, ok))
        log(f"  fault {self.name}: {'ok ' if ok else 'FAILED'} {what}")

    @property
    def passed(self) -> bool:
        return all(ok for _, ok in self.checks)


class Agent:
    """An associate with the console open: heartbeat every 20 s, and works the tickets the desk
    assigns them (services/assignment.py: round robin among the agents online, up to each one's
    capacity; nobody claims).

    For each ticket assigned: write to the shopper, give them a moment, hand the chat back to
    the bot. The console calls go through the public door, so they land on either desk while the
    shopper's websocket may be on the other: Redis pub/sub must carry them across. Several agents
    work the tier (a shift); the desks share the tickets out among them.
    """

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.username = username
        self.password = password
        self.http = requests.Session()
        self.csrf = ""
        self.stop = threading.Event()
        self.assigned = 0
        self.handed_back = 0
        self.resolved = 0  # the hand-back kept failing: resolved instead (the chat goes back)
        self.stuck: list[str] = []  # neither worked: the shopper stays with a person
        self.failures: list[str] = []
        self.served: set[str] = set()

    def login(self) -> None:
        resp = self.http.post(
            f"{self.base}/console/api/login",
            json={"username": self.username, "password": self.password},
            timeout=10,
        )
        resp.raise_for_status()
        self.csrf = resp.json()["csrf_token"]
        threading.Thread(target=self._beat, daemon=True).start()
        threading.Thread(target=self._work, daemon=True).start()

    def _post(
        self, path: str, body: dict[str, Any] | None = None, timeout: float = 30
    ) -> requests.Response:
        return self.http.post(
            f"{self.base}/console/api{path}",
            json=body,
            headers={"X-CSRF-Token": self.csrf},
            timeout=timeout,
        )

    def _beat(self) -> None:
        while not self.stop.wait(20):
            try:
                self._post("/heartbeat")
            except requests.RequestException as exc:
                log(f"  agent heartbeat failed: {exc}")

    def _work(self) -> None:
        while not self.stop.wait(1):
            try:
                resp = self.http.get(f"{self.base}/console/api/queues", timeout=30)
                if resp.status_code != 200:
                    continue
                mine = [t["ticket_number"] for t in resp.json()["my_tickets"]]
                for number in mine:
                    if number not in self.served:
                        self.served.add(number)
                        self._serve(number)
            except (requests.RequestException, ValueError, KeyError) as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}"[:200])

    def _serve(self, number: str) -> None:
        self.assigned += 1
        try:
            said = self._post(
                f"/tickets/{number}/messages",
                {"text": "Hi, I'm from customer service. I've looked at your order."},
            )
        except requests.RequestException as exc:  # the chat is still theirs to give back
            self.failures.append(f"message of {number}: {exc}"[:200])
        else:
            if said.status_code != 201:
                self.failures.append(f"message of {number}: {said.status_code}")
        time.sleep(A_MOMENT_SECONDS)
        outcome = {"outcome": f"{self.username} checked the order with the shopper"}
        if self._press(f"/tickets/{number}/handback", outcome, "handback", number):
            self.handed_back += 1
            return
        # What the console's error tells the agent: "Try again, or resolve it." Resolving gives
        # the chat back to the bot even when the bot can't be resumed, with the outcome shown.
        if self._press(f"/tickets/{number}/resolve", outcome, "resolve", number):
            self.resolved += 1
            return
        self.stuck.append(number)

    def _press(self, path: str, body: dict[str, Any], what: str, number: str) -> bool:
        """Press a button as an agent would after an error: again, a little later each time.
        A press the harness stopped waiting for may still have gone through: a later press
        that finds the ticket resolved is done."""
        for attempt in range(PRESSES):
            try:
                resp = self._post(path, body, timeout=PRESS_TIMEOUT_SECONDS)
            except requests.RequestException as exc:
                self.failures.append(f"{what} of {number} (try {attempt + 1}): {exc}"[:200])
            else:
                if resp.status_code == 200 or _already_resolved(resp):
                    return True
                self.failures.append(f"{what} of {number} (try {attempt + 1}): {resp.status_code}")
            time.sleep(PRESS_AGAIN_SECONDS * (attempt + 1))
        return False


def _already_resolved(resp: requests.Response) -> bool:
    if resp.status_code != 409:
        return False
    try:
        return bool(resp.json()["detail"]["status"] == "resolved")
    except (ValueError, KeyError, TypeError):
        return False


def associates_line(shift: list[Agent]) -> str:
    """What the shift did: tickets assigned, handed back, resolved after the hand-back kept
    failing, stuck (neither worked), and the failed calls by kind."""
    failures = [f for agent in shift for f in agent.failures]
    kinds = Counter(f.split(" of ")[0] + " " + f.rsplit(": ", 1)[-1] for f in failures)
    stuck = [n for agent in shift for n in agent.stuck]
    return (
        f"associates ({len(shift)}): assigned {sum(a.assigned for a in shift)}, handed back "
        f"{sum(a.handed_back for a in shift)}, resolved instead {sum(a.resolved for a in shift)}, "
        f"stuck {len(stuck)} {stuck[:5]}; {len(failures)} failed calls "
        f"{dict(kinds.most_common(6))}"
    )


def log_lines(name: str, needle: str) -> int:
    path = LOGS / f"{name}.log"
    if not path.exists():
        return 0
    with path.open(errors="replace") as handle:
        return sum(1 for line in handle if needle in line)


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def rasa_health(port: int) -> dict[str, Any]:
    try:
        resp = requests.get(f"http://127.0.0.1:{port}/webhooks/rest/health", timeout=5)
        body: dict[str, Any] = resp.json()
        return body
    except (requests.RequestException, ValueError):
        return {"status": "unreachable"}


# ---- faults: each runs during load and records what it checked


def fault_actions(stack: Stack, report: FaultReport) -> None:
    """Kill an action server mid-conversation; the other keeps answering; restart it."""
    stack.kill("actions1")
    time.sleep(20)
    report.check("actions2 still serving", stack.services["actions2"].ready())
    stack.start("actions1")
    report.check("actions1 back", stack.services["actions1"].ready())


def rasa_replicas(stack: Stack) -> list[str]:
    return [name for name in stack.services if name.startswith("rasa")]


def fault_rasa(stack: Stack, report: FaultReport) -> None:
    """Kill a Rasa replica; conversations continue on the others; restart it."""
    stack.kill("rasa1")
    time.sleep(20)
    survivors = stack.ports.rasas[1:]
    report.check(
        "the other replicas healthy meanwhile",
        all(rasa_health(port).get("status") == "ok" for port in survivors),
    )
    stack.start("rasa1", 300)
    report.check("rasa1 back", rasa_health(stack.ports.rasas[0]).get("status") == "ok")


def fault_postgres(stack: Stack, report: FaultReport) -> None:
    """Restart PostgreSQL; the guarded tracker store must alert and recover, not reset."""
    alerts_before = sum(log_lines(n, "ALERT tracker_store_down") for n in rasa_replicas(stack))
    stack.services["postgres"].stop()
    detected = wait_until(
        lambda: all(rasa_health(p).get("status") == "down" for p in stack.ports.rasas), 10
    )
    report.check("every Rasa replica reports the tracker store down (health 503)", detected)
    time.sleep(3)
    stack.start("postgres")
    recovered = wait_until(
        lambda: all(rasa_health(p).get("status") == "ok" for p in stack.ports.rasas), 60
    )
    report.refusing_until = time.time()
    report.check("every Rasa replica reports the tracker store healthy again", recovered)
    alerts = sum(log_lines(n, "ALERT tracker_store_down") for n in rasa_replicas(stack))
    report.check(
        f"the outage was alerted ({alerts - alerts_before} alert(s))", alerts > alerts_before
    )


def fault_redis(stack: Stack, report: FaultReport) -> None:
    """Restart Redis; locks and the desks' pub/sub come back without a storm of lock errors."""
    back_before = sum(log_lines(n, "Redis pub/sub is back") for n in ("desk1", "desk2"))
    stack.services["redis"].stop()
    time.sleep(3)
    stack.start("redis")
    report.refusing_until = time.time()
    before = sum(log_lines(n, "LockError") for n in rasa_replicas(stack))
    time.sleep(20)
    after = sum(log_lines(n, "LockError") for n in rasa_replicas(stack))
    report.check(
        f"no lock errors in the 20 s after Redis returned ({after - before})", after == before
    )
    back = sum(log_lines(n, "Redis pub/sub is back") for n in ("desk1", "desk2"))
    report.check("both desks' pub/sub reconnected", back - back_before >= 2)


def fault_desk(stack: Stack, report: FaultReport) -> None:
    """Restart a desk replica: its widgets reconnect to the other, nothing lost or doubled."""
    stack.restart("desk1")
    report.check("desk1 back", stack.services["desk1"].ready())


def fault_desk_crash(stack: Stack, report: FaultReport) -> None:
    """Kill a desk replica (SIGKILL): widgets reconnect to the other; answers it owed come as
    apologies from the other desk."""
    desks = ("desk1", "desk2")  # either may look first, desk2 once it is back
    apologies_before = sum(log_lines(desk, LOST_ANSWER_LOG) for desk in desks)
    stack.kill("desk2")
    time.sleep(5)
    stack.start("desk2")
    report.check("desk2 back", stack.services["desk2"].ready())
    time.sleep(40)  # the answers owed by desk2 are apologised for meanwhile
    apologies = sum(log_lines(desk, LOST_ANSWER_LOG) for desk in desks) - apologies_before
    log(f"  fault desk-crash: the desks apologised for {apologies} answer(s) lost with desk2")


FAULTS: dict[str, Callable[[Stack, FaultReport], None]] = {
    "actions": fault_actions,
    "rasa": fault_rasa,
    "postgres": fault_postgres,
    "redis": fault_redis,
    "desk": fault_desk,
    "desk-crash": fault_desk_crash,
}


def run_faults(
    stack: Stack, names: list[str], first_at: float, gap: float, reports: list[FaultReport]
) -> None:
    time.sleep(first_at)
    for name in names:
        report = FaultReport(name, time.time())
        reports.append(report)
        log(f"fault: {name} ({FAULTS[name].__doc__})")
        try:
            FAULTS[name](stack, report)
        except Exception as exc:
            report.check(f"ran without error ({type(exc).__name__}: {exc})", False)
        report.ended = time.time()
        time.sleep(gap)


def run_locust(
    args: argparse.Namespace, results: Path, base: str, started: Callable[[int], None]
) -> int:
    """Locust headless until it ends; ``started`` gets its pid (the CPU monitor watches it)."""
    env = {**os.environ, **Stack().secrets, "SCALE_RESULTS": str(results)}
    env["SCALE_THINK_MIN"] = str(args.think_min)
    env["SCALE_THINK_MAX"] = str(args.think_max)
    command = [
        str(HARNESS / ".venv/bin/locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.shoppers),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        "240",  # a handed-off chat started just before the end takes up to ~4 minutes
        "--host",
        base,
        "--only-summary",
        "--loglevel",
        "WARNING",
        "ScaledShopper",
    ]
    with subprocess.Popen(command, cwd=HARNESS, env=env) as locust:
        started(locust.pid)
        try:
            return locust.wait()
        except BaseException:  # e.g. SIGTERM: stop now (Locust's own stop waits for shoppers)
            locust.kill()
            raise


def run_hostile(stack: Stack, base: str, after: AfterLoad) -> None:
    """The hostile-input corpus through nginx, against both desks, Rasa and the actions."""
    log("hostile input: the corpus through the public door")
    limits = hostile.Limits()
    runner = hostile.Runner(
        hostile.LiveDoor(base, timeout=30),
        limits=limits,
        api_token=stack.secrets.get("DESK_API_TOKEN") or None,
        console_user=AGENT[0],
        console_password=AGENT[1],
        reply_timeout=30,
    )
    results = runner.run(hostile.corpus(limits))
    after.hostile_cases = len(results)
    after.hostile_failed = hostile.report(results)


def run_security(stack: Stack, base: str, after: AfterLoad) -> None:
    p = stack.ports
    rasa_urls = tuple(f"http://127.0.0.1:{port}" for port in (*p.rasas, p.rasa_lb))
    action_urls = tuple(f"http://127.0.0.1:{port}" for port in (*p.actions, p.actions_lb))
    target = security.Target(
        public_url=base,
        rasa_urls=rasa_urls,
        action_urls=action_urls,
        internal_ports=(
            *p.rasas,
            *p.actions,
            *p.desks,
            p.rasa_lb,
            p.actions_lb,
            p.postgres,
            p.redis,
            p.mail,
        ),
        rasa_token=stack.secrets.get("RASA_TOKEN", ""),
        action_token=stack.secrets.get("ACTION_SERVER_TOKEN", ""),
    )
    after.security = security.run(target)
    security.print_report(after.security)


def run_desk_suite_on_postgres(stack: Stack, after: AfterLoad) -> None:
    """The desk's tests on this PostgreSQL (each test in a database of its own); the RBAC
    matrix among them writes its cell counts to a file we read."""
    log("desk tests on PostgreSQL (the RBAC matrix among them)")
    with tempfile.TemporaryDirectory() as tmp:
        matrix_file = Path(tmp) / "rbac.json"
        env = {
            **os.environ,
            "DESK_TEST_POSTGRES_URL": stack.test_database_url(),
            "RBAC_REPORT": str(matrix_file),
        }
        status = subprocess.run(
            [str(DESK_PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT / "desk",
            env=env,
            check=False,
            timeout=DESK_SUITE_TIMEOUT_SECONDS,
        ).returncode
        after.desk_suite_passed = status == 0
        if matrix_file.exists():
            after.matrix = json.loads(matrix_file.read_text())
    log(
        f"desk tests on PostgreSQL: {'passed' if after.desk_suite_passed else 'FAILED'}; "
        f"RBAC matrix: {after.matrix or 'no report'}"
    )


def count_answers_owed(stack: Stack, base: str, after: AfterLoad) -> None:
    """Every shopper message the bot had to answer was answered (by the database, not by what
    the load's shoppers saw). Before the hostile corpus, whose messages go unanswered on
    purpose when they are refused."""
    # The desks' own DATABASE_URL, without SQLAlchemy's driver name.
    url = stack.app_env()["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute(ANSWERS_OWED_SQL).fetchone()
    after.answers_owed = int(row[0]) if row else -1
    log(
        f"answers owed after the load (bot conversations ending with the shopper's line): "
        f"{after.answers_owed}"
    )


def after_load(stack: Stack, base: str) -> AfterLoad:
    after = AfterLoad()
    for step in (count_answers_owed, run_security, run_hostile):
        try:
            step(stack, base, after)
        except Exception as exc:  # reported as a failed step, never hidden
            log(f"{step.__name__} failed to run: {type(exc).__name__}: {exc}")
    try:
        run_desk_suite_on_postgres(stack, after)
    except Exception as exc:
        log(f"desk tests on PostgreSQL failed to run: {type(exc).__name__}: {exc}")
    return after


def main() -> int:
    parser = argparse.ArgumentParser(description="Load and fault test of the distributed stack")
    parser.add_argument("--shoppers", type=int, default=int(os.environ.get("SCALE_SHOPPERS", 500)))
    parser.add_argument("--duration", type=int, default=int(os.environ.get("SCALE_DURATION", 420)))
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    # A shopper reads the answer and types the next message: 15-45 s between turns.
    parser.add_argument("--think-min", type=float, default=15.0)
    parser.add_argument("--think-max", type=float, default=45.0)
    parser.add_argument("--associates", type=int, default=6, help="associates on the shift")
    parser.add_argument(
        "--faults",
        default=os.environ.get("SCALE_FAULTS", ",".join(FAULTS)),
        help=f"comma-separated, in order, from {', '.join(FAULTS)} (or 'none')",
    )
    parser.add_argument("--reuse", action="store_true", help="the stack is already running")
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="measure the load (and faults) only: the checks after it are NOT RUN, so the "
        "verdict fails (for capacity runs, docs/reliability.md)",
    )
    args = parser.parse_args()
    faults = [] if args.faults in ("", "none") else args.faults.split(",")
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        parser.error(f"unknown faults: {', '.join(unknown)}")

    # A SIGTERM (CI's timeout, `kill`) unwinds through the finally below: the stack stops.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    stack = Stack()
    base = f"http://127.0.0.1:{stack.ports.public}"
    if args.reuse:  # adopt nothing: faults need processes this run started
        faults = []
    reports: list[FaultReport] = []
    after = AfterLoad()
    load_generator: dict[str, int] = {}

    def watched() -> dict[str, int]:
        running = {
            name: service.process.pid
            for name, service in stack.services.items()
            if service.process is not None and service.running()
        }
        return {**running, **load_generator}

    monitor = cpu.CpuMonitor(watched)
    load_window = (0.0, 0.0)
    try:
        if not args.reuse:
            stack.start_all()
        shift = [Agent(base, user, pw) for user, pw in staff_the_shift(stack, args.associates)]
        set_auto_assignment(stack, on=True)
        for agent in shift:
            agent.login()
        # Every conversation's record, kept after the run to look into a verdict.
        results_path = VAR / "results.json"
        results_path.unlink(missing_ok=True)
        ramp = args.shoppers / args.spawn_rate
        injector = threading.Thread(
            target=run_faults,
            args=(stack, faults, ramp + 20, 25, reports),
            daemon=True,
        )
        injector.start()
        monitor.start()
        load_started = time.time()
        locust_status = run_locust(
            args, results_path, base, lambda pid: load_generator.update(locust=pid)
        )
        load_window = (load_started, time.time())
        monitor.stop()
        injector.join(timeout=600)
        for agent in shift:
            agent.stop.set()
        end_the_shift(stack)
        print(associates_line(shift), flush=True)
        results: list[dict[str, Any]] = (
            json.loads(results_path.read_text()) if results_path.exists() else []
        )
        if not args.load_only:
            after = after_load(stack, base)
    finally:
        if not args.reuse:
            stack.stop_all()
    print_cpu(monitor, load_window, reports)
    return report(args, results, reports, locust_status, faults, after)


def print_cpu(
    monitor: cpu.CpuMonitor, load: tuple[float, float], reports: list[FaultReport]
) -> None:
    """Each process's CPU over the whole load, away from faults, and during each fault."""
    print("CPU per process (the load generator is 'locust'):", flush=True)
    print(cpu.format_average("whole load", monitor.average(*load)))
    for fault in reports:
        window = monitor.average(fault.started, fault.ended or time.time())
        print(cpu.format_average(f"during fault {fault.name}", window))


def conversation_problems(done: list[dict[str, Any]], limit: int = 10) -> list[str]:
    """Lines about each conversation with something lost, reordered, duplicated or empty (the
    first ``limit``): a line for the conversation, then one per unanswered turn with what the
    desk stored after it (nothing: the answer never came; lines: it came too late)."""
    broken: list[list[str]] = []
    for item in done:
        counts = {k: int(item.get(k, 0)) for k in ("lost", "reordered", "duplicated", "empty")}
        if not any(counts.values()):
            continue
        found = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        block = [
            f"  {item.get('script')} {item.get('conversation_id')}: {found}"
            + f"; {item.get('reconnects', 0)} reconnect(s), errors {item.get('error_frames', [])}"
        ]
        for turn in item.get("unanswered_turns", []):
            sent = time.strftime("%H:%M:%S", time.gmtime(turn["at"]))
            block.append(
                f"    unanswered {turn['text']!r} (seq {turn['seq']}) sent at {sent} UTC; "
                f"stored after it: {'; '.join(turn['stored_after']) or 'nothing'}"
            )
        broken.append(block)
    lines = [line for block in broken[:limit] for line in block]
    if len(broken) > limit:
        lines.append(f"  ... and {len(broken) - limit} more conversation(s)")
    return lines


@dataclass(frozen=True)
class Apology:
    sent: float  # when the shopper sent the message (wall clock)
    wait: float  # seconds until the apology reached them
    conversation: str

    @property
    def came(self) -> float:
        return self.sent + self.wait


def explaining_fault(apology: Apology, reports: list[FaultReport]) -> int | None:
    """The index of the fault that explains ``apology``, or None.

    A fault explains it when the fault may cost apologies (:data:`APOLOGY_PROMISE_SECONDS`),
    the message was sent before the fault's service was back (in flight at its start, or
    refused while it was out), and the apology came after the fault began; among several, the
    latest to begin. An apology that is a reply timeout (the desk waited for the bot its whole
    timeout) is never explained, except for an answer owed by a crashed desk: the product
    promises that a fault costs what it had in flight, answered fast, not a stalled bot.
    """
    tolerance = CLOCK_TOLERANCE_SECONDS
    candidates = [
        (fault.started, index)
        for index, fault in enumerate(reports)
        if fault.name in APOLOGY_PROMISE_SECONDS
        and apology.sent <= fault.out_until() + tolerance
        and apology.came >= fault.started - tolerance
        and (fault.name in OWED_ANSWER_FAULTS or apology.wait < REPLY_TIMEOUT_SECONDS - tolerance)
    ]
    return max(candidates)[1] if candidates else None


def seconds_past_promise(apology: Apology, fault: FaultReport) -> float:
    """How late the apology came against the fault's promise (<= 0: on time)."""
    promised = max(apology.sent, fault.out_until()) + APOLOGY_PROMISE_SECONDS[fault.name]
    return round(apology.came - promised, 2)


def judge_apologies(
    apologies: list[Apology], reports: list[FaultReport]
) -> tuple[dict[int, list[Apology]], list[Apology]]:
    """The apologies each fault explains (by its index), and those no fault explains."""
    explained: dict[int, list[Apology]] = {}
    unexplained: list[Apology] = []
    for apology in apologies:
        index = explaining_fault(apology, reports)
        if index is None:
            unexplained.append(apology)
        else:
            explained.setdefault(index, []).append(apology)
    return explained, unexplained


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` (0-1) of ``values`` lie (nearest rank); NaN if none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def latency_line(label: str, seconds: list[float]) -> str:
    figures = ", ".join(
        f"p{int(share * 100)} {percentile(seconds, share):.2f}" for share in (0.5, 0.9, 0.95, 0.99)
    )
    return f"turn latency through the public door, {label}: {len(seconds)} turns, {figures} s"


def during_a_fault(at: float, reports: list[FaultReport], after: float = 30.0) -> bool:
    """Whether ``at`` falls in a fault, or within ``after`` seconds of its end."""
    return any(r.started <= at <= (r.ended or time.time()) + after for r in reports)


def report(
    args: argparse.Namespace,
    results: list[dict[str, Any]],
    reports: list[FaultReport],
    locust_status: int,
    faults: list[str],
    after: AfterLoad,
) -> int:
    done = [r for r in results if "lost" in r]
    crashed = [r for r in results if "crashed" in r]
    session_failures = [r for r in results if r.get("session_failed")]
    totals = {
        k: sum(int(r.get(k, 0)) for r in done)
        for k in (
            "lost",
            "reordered",
            "duplicated",
            "empty",
            "apologies",
            "unanswered",
            "reconnects",
            "turns",
        )
    }
    apologies = [
        Apology(sent, wait, str(r.get("conversation_id")))
        for r in done
        for sent, wait in zip(r.get("apology_at", []), r.get("apology_seconds", []), strict=False)
    ]
    explained, unexplained = judge_apologies(apologies, reports)
    server_errors = len(crashed) + len(session_failures) + len(unexplained)
    handoffs = sum(1 for r in done if r.get("handoff"))
    cut_off = [r for r in results if r.get("cut_off")]
    print()
    print(
        f"conversations finished: {len(done)} ({handoffs} handed off), turns {totals['turns']}, "
        f"websocket reconnects {totals['reconnects']}; cut off mid-conversation by the end of "
        f"the run (not judged): {len(cut_off)}"
    )
    met = sorted(float(r["agent_seconds"]) for r in done if r.get("agent_seconds") is not None)
    print(
        f"handed-off shoppers who talked with the associate: {len(met)} of {handoffs}; "
        f"waited for them: max {met[-1] if met else '-'} s"
    )
    turns = [(float(at), float(sec)) for r in done for at, sec in r.get("turn_seconds", [])]
    print(latency_line("all turns", [sec for _, sec in turns]))
    print(
        latency_line(
            "away from faults (none running, none ended in the last 30 s)",
            [sec for at, sec in turns if not during_a_fault(at, reports)],
        )
    )
    waits = sorted(a.wait for a in apologies)
    print(
        f"apologies: {len(apologies)}, {len(apologies) - len(unexplained)} explained by a fault; "
        f"seconds from the shopper's message to the apology: max {waits[-1] if waits else '-'}"
    )
    print(
        f"server errors: {len(session_failures)} session failures, {len(crashed)} crashed "
        f"conversations, {len(unexplained)} apologies no fault explains"
    )
    for item in crashed[:5]:
        print(f"  crashed: {item['script']} {item.get('conversation_id')}: {item['crashed']}")
    for apology in sorted(unexplained, key=lambda a: a.sent)[:10]:
        print(
            f"  unexplained apology in {apology.conversation}: message sent at "
            f"{time.strftime('%H:%M:%S', time.gmtime(apology.sent))} UTC, apology after "
            f"{apology.wait} s"
        )
    for index, fault in enumerate(reports):
        mine = explained.get(index, [])
        window = (
            f"{time.strftime('%H:%M:%S', time.gmtime(fault.started))} to "
            f"{time.strftime('%H:%M:%S', time.gmtime(fault.ended))} UTC"
        )
        if fault.refusing_until:
            window += f", out until {time.strftime('%H:%M:%S', time.gmtime(fault.refusing_until))}"
        print(f"  fault {fault.name} from {window}")
        if mine:
            late = max(mine, key=lambda a: seconds_past_promise(a, fault))
            past = seconds_past_promise(late, fault)
            promise = APOLOGY_PROMISE_SECONDS[fault.name]
            fault.check(
                f"every apology within {promise:.0f} s of the later of its message and the "
                f"service's return (worst: {past:+.2f} s against that, in {late.conversation})",
                past <= 0,
            )
        print(
            f"fault {fault.name}: {'passed' if fault.passed else 'FAILED'}; apologies it "
            f"explains: {len(mine)}, slowest {max((a.wait for a in mine), default='-')} s"
        )
    missing = [f for f in faults if f not in {r.name for r in reports}]
    for name in missing:
        print(f"fault {name}: NOT RUN (the load ended first)")
    # Not run counts every case as failed: the line never shows a 0 that was not measured.
    hostile_count = (
        after.hostile_failed if after.hostile_failed >= 0 else len(hostile.corpus(hostile.Limits()))
    )
    print(
        f"hostile input: {after.hostile_failed if after.hostile_failed >= 0 else 'NOT RUN'} "
        f"failed of {after.hostile_cases} cases through the public door"
    )
    live = after.security
    print(
        f"security: {len(live.findings) if live else 'NOT RUN'} live checks, "
        f"{len(live.failures) if live else '-'} failed, {live.leaks if live else '-'} leaks; "
        f"RBAC matrix on {after.matrix.get('database', '-')}: {after.matrix.get('cells', '-')} "
        f"cells, {after.matrix.get('leaks', '-')} leaks, {after.matrix.get('wrong', '-')} wrong; "
        f"desk suite on PostgreSQL {'passed' if after.desk_suite_passed else 'FAILED'}"
    )
    # Last, next to the verdict (CI shows the end of the output): which conversations broke.
    for line in conversation_problems(done):
        print(line)
    # Locust exits 1 when any request "failed" (apologies and retried sessions are reported to
    # it as failures, for its statistics); anything else means Locust itself broke.
    if locust_status not in (0, 1):
        print(f"locust exited with status {locust_status}")
    # A run where conversations never finish judges nothing: every shopper must have finished
    # at least one conversation on average, and some of them must have been handed off.
    enough = len(done) >= args.shoppers and handoffs > 0
    print(
        f"conversations judged: {len(done)} (needed: at least one per shopper, {args.shoppers}, "
        f"and some handed off: {handoffs}): {'ok' if enough else 'TOO FEW'}"
    )
    ok = (
        locust_status in (0, 1)
        and enough
        and all(f.passed for f in reports)
        and not missing
        and server_errors == 0
        and all(totals[k] == 0 for k in ("lost", "reordered", "duplicated", "empty"))
        and after.passed
    )
    print(
        f"scaled: shoppers={args.shoppers} lost={totals['lost']} "
        f"reordered={totals['reordered']} duplicated={totals['duplicated']} "
        f"empty={totals['empty']} hostile={hostile_count} server_errors={server_errors} "
        f"rbac_leaks={after.rbac_leaks}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
