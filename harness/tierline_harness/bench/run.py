"""`make bench`: Tierline's pipeline against Rasa's default pipeline, on this machine.

Phases (all by default, in this order; --phases picks some):
  train  train both models from scratch (no cache), timed
  nlu    accuracy and macro-F1 per intent on both held-out splits: tests/nlu/test_split.yml
         (ours) and tests/nlu/outsider_split.yml (written by outsiders, never tuned on)
  load   Locust over Rasa's REST channel at 1, 20 and 100 shoppers, both models; long
         conversations (turn 300 against turn 1) and the whole stack through the desk's web
         chat, for the project's model; start-up time and peak RSS of each Rasa server
  stores the same web-chat conversations through the whole stack on each store adapter
         (builtin demo tables, then a local Medusa seeded with the same demo data)
  cv     5-fold cross-validation of both configs on data/nlu (slowest: last)
  pipelines  (only when asked for) candidate NLU pipelines, config.yml and harness/pipelines/*.yml:
         each trained (timed), scored on both held-out splits, cross-validated on data/nlu, and
         its parse time per message measured; chosen by cross-validation, test_split and
         training time, never by the outsiders' split (docs/benchmarks.md)
Figures go to var/bench/results.json (each phase merges its own), then
docs/bench-runs/latest/results.md and its plots are written from it, and the last line printed
is the summary line.
`--smoke` runs the harness end to end in seconds against a fake Rasa (CI), writing to var/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tierline_harness.bench import report
from tierline_harness.bench.conversations import CONVERSATIONS, LONG_LOOP, is_sensible
from tierline_harness.bench.services import Ports, RasaServer, Services
from tierline_harness.cpu import RssSampler, cpu_seconds
from tierline_harness.fake_rasa import FakeRasa, Message
from tierline_harness.stack import BOT_PYTHON, ROOT, read_env

HARNESS = ROOT / "harness"
LOCUST = HARNESS / ".venv" / "bin" / "locust"
LOCUSTFILE = HARNESS / "tierline_harness" / "locustfile.py"
PARSE_TIMING = Path(__file__).with_name("parse_timing.py")
REPORT_DIR = ROOT / "docs" / "bench-runs" / "latest"
RASA = ROOT / ".venv" / "bin" / "rasa"
CONFIGS = {"project": ROOT / "config.yml", "default": HARNESS / "default-config.yml"}
RASA_PORTS = {"project": 5105, "default": 5205}
SHOPPERS = (1, 20, 100)
STACK_SHOPPERS = 20
STACK_MIN_SECONDS = 60
LONG_SHOPPERS = 5
DEFAULT_PHASES = ("train", "nlu", "load", "stores", "cv")
ALL_PHASES = (*DEFAULT_PHASES, "pipelines")
PIPELINES = HARNESS / "pipelines"
STORES = ("builtin", "medusa")

Results = dict[str, Any]


def log(message: str) -> None:
    """Progress on stderr, with the time (stdout ends with the summary line)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rasa_env(cache: Path) -> dict[str, str]:
    """Rasa's environment: no telemetry, and a training cache of our own."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(cache)}


def run_logged(args: list[str], logfile: Path, env: dict[str, str]) -> float:
    """Runs a command from the repo root, output to logfile; wall-clock seconds."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with logfile.open("wb") as sink:
        done = subprocess.run(args, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = logfile.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(args[:3])} failed ({done.returncode}):\n{tail}")
    return time.monotonic() - began


def run_rasa(workdir: Path, log_name: str, cache: Path, *args: str | Path) -> float:
    """``rasa <args>`` with its own training cache, logged to workdir/logs/<log_name>.log."""
    logfile = workdir / "logs" / f"{log_name}.log"
    return run_logged([str(RASA), *map(str, args)], logfile, rasa_env(cache))


# ---------------------------------------------------------------- training and NLU quality


def train(workdir: Path, results: Results, names: list[str]) -> None:
    """Full training of the models: --force and an empty cache, so nothing is reused."""
    for name in names:
        seconds, steps = train_model(workdir, name, CONFIGS[name])
        results.setdefault("train_s", {})[name] = seconds
        results.setdefault("train_steps", {})[name] = steps


def train_model(workdir: Path, name: str, config: Path) -> tuple[float, dict[str, float]]:
    """Trains workdir/models/<name>.tar.gz from scratch; seconds, and seconds per component."""
    cache = workdir / f"cache-{name}"
    shutil.rmtree(cache, ignore_errors=True)
    log(f"training {name} ({config.relative_to(ROOT)})")
    seconds = run_rasa(
        workdir,
        f"train-{name}",
        cache,
        "train",
        "--config",
        config,
        "--domain",
        "domain.yml",
        "--data",
        "data",
        "--out",
        workdir / "models",
        "--fixed-model-name",
        name,
        "--force",
    )
    log(f"trained {name} in {seconds:.1f}s")
    return round(seconds, 1), training_steps(workdir / "logs" / f"train-{name}.log", seconds)


def training_steps(log_path: Path, total_s: float) -> dict[str, float]:
    """Seconds per trained component from Rasa's log; the rest is start-up, loading, saving."""
    stamps: dict[str, dt.datetime] = {}
    steps: dict[str, float] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        for marker in ("Starting to train component '", "Finished training component '"):
            if marker in line and line[:4].isdigit():
                component = line.split(marker, 1)[1].split("'", 1)[0]
                when = dt.datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S")
                if marker.startswith("Starting"):
                    stamps[component] = when
                elif component in stamps:
                    seconds = (when - stamps.pop(component)).total_seconds()
                    steps[component] = steps.get(component, 0.0) + seconds
    steps["everything else (start-up, loading and validating data, featurizing, saving)"] = max(
        0.0, round(total_s - sum(steps.values()), 1)
    )
    return steps


def intent_summary(report_path: Path, errors_path: Path | None) -> Results:
    """Accuracy, macro-F1, per-intent F1 and the most frequent confusions of one NLU report."""
    data: dict[str, Any] = json.loads(report_path.read_text())
    skip = {"accuracy", "macro avg", "weighted avg", "micro avg"}
    per_intent = {
        intent: {
            "f1": round(float(row["f1-score"]), 4),
            "precision": round(float(row["precision"]), 4),
            "recall": round(float(row["recall"]), 4),
            "support": int(row["support"]),
        }
        for intent, row in data.items()
        if intent not in skip and isinstance(row, dict)
    }
    confusions: dict[str, int] = {}
    if errors_path is not None and errors_path.exists():
        for error in json.loads(errors_path.read_text()):
            key = f"{error['intent']} → {error['intent_prediction']['name']}"
            confusions[key] = confusions.get(key, 0) + 1
    top = sorted(confusions.items(), key=lambda item: -item[1])[:8]
    return {
        "accuracy": round(float(data["accuracy"]), 4),
        "macro_f1": round(float(data["macro avg"]["f1-score"]), 4),
        "messages": int(data["macro avg"]["support"]),
        "per_intent": per_intent,
        "top_confusions": top,
    }


HELD_OUT_SPLITS = {
    # ours, written alongside the training data
    "test_split": ROOT / "tests" / "nlu" / "test_split.yml",
    # written by a helper that never saw data/nlu; never used to tune (issue 16)
    "outsider_split": ROOT / "tests" / "nlu" / "outsider_split.yml",
}


def nlu(workdir: Path, results: Results, names: list[str]) -> None:
    """The trained models on both held-out splits (rasa test nlu), with confusion matrices."""
    for name in names:
        for split, summary in test_model(workdir, name).items():
            results.setdefault(split, {})[name] = summary


def test_model(workdir: Path, name: str) -> dict[str, Results]:
    """workdir/models/<name>.tar.gz on each held-out split: split → intent_summary."""
    summaries: dict[str, Results] = {}
    for split, path in HELD_OUT_SPLITS.items():
        out = workdir / "nlu" / f"{name}-{split}"
        shutil.rmtree(out, ignore_errors=True)
        log(f"testing {name} on {path.relative_to(ROOT)}")
        run_rasa(
            workdir,
            f"test-{name}-{split}",
            workdir / f"cache-{name}",
            "test",
            "nlu",
            "--model",
            workdir / "models" / f"{name}.tar.gz",
            "--nlu",
            path,
            "--out",
            out,
        )
        summaries[split] = intent_summary(out / "intent_report.json", out / "intent_errors.json")
    return summaries


def cross_validation(workdir: Path, results: Results, folds: int, names: list[str]) -> None:
    """k-fold cross-validation of the configs on data/nlu (rasa test nlu --cross-validation)."""
    for name in names:
        summary = cross_validate(workdir, name, CONFIGS[name], folds)
        results.setdefault("cross_validation", {})[name] = summary


def cross_validate(workdir: Path, name: str, config: Path, folds: int) -> Results:
    """k-fold cross-validation of one config on data/nlu: intent_summary, folds, seconds."""
    out = workdir / "nlu" / f"{name}-cv"
    shutil.rmtree(out, ignore_errors=True)
    log(f"{folds}-fold cross-validation of {name}")
    seconds = run_rasa(
        workdir,
        f"cv-{name}",
        workdir / f"cache-cv-{name}",
        "test",
        "nlu",
        "--nlu",
        "data/nlu",
        "--config",
        config,
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        out,
    )
    summary = intent_summary(out / "intent_report.json", out / "intent_errors.json")
    summary["folds"] = folds
    summary["seconds"] = round(seconds, 1)
    log(f"cross-validated {name} in {seconds:.0f}s: accuracy {summary['accuracy']:.3f}")
    return summary


def candidates() -> dict[str, Path]:
    """The pipelines the pipelines phase compares: config.yml, then harness/pipelines/*.yml."""
    return {
        "config.yml": ROOT / "config.yml",
        **{p.stem: p for p in sorted(PIPELINES.glob("*.yml"))},
    }


def parse_timing(workdir: Path, name: str) -> Results:
    """Milliseconds per message for workdir/models/<name>.tar.gz on both held-out splits.

    parse_timing.py runs in the bot's venv (it imports Rasa) and prints one duration per
    message, each the model's parse_message as the Rasa server calls it, after a warm-up.
    """
    model = workdir / "models" / f"{name}.tar.gz"
    done = subprocess.run(
        [str(BOT_PYTHON), str(PARSE_TIMING), str(model)]
        + [str(path) for path in HELD_OUT_SPLITS.values()],
        cwd=ROOT,
        env={**rasa_env(workdir / f"cache-{name}"), "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"parse timing of {name} failed:\n{done.stderr[-3000:]}")
    durations = [float(ms) for ms in json.loads(done.stdout.splitlines()[-1])]
    return {
        "messages": len(durations),
        "p50_ms": round(percentile(durations, 50), 2),
        "p95_ms": round(percentile(durations, 95), 2),
    }


def pipelines(workdir: Path, results: Results, folds: int, results_path: Path) -> None:
    """Each candidate pipeline trained, tested on both splits, cross-validated and timed.

    The figures of each candidate are saved as soon as it is done (the phase is long).
    """
    for label, config in candidates().items():
        name = f"pipeline-{Path(label).stem}"
        load_before = os.getloadavg()[0]
        seconds, steps = train_model(workdir, name, config)
        entry: Results = {
            "config": str(config.relative_to(ROOT)),
            "load_average_before": round(load_before, 2),
            "train_s": seconds,
            "train_steps": steps,
            **test_model(workdir, name),
            "cross_validation": cross_validate(workdir, name, config, folds),
            "parse": parse_timing(workdir, name),
        }
        results.setdefault("pipelines", {})[label] = entry
        results_path.write_text(json.dumps(results, indent=1))


# ---------------------------------------------------------------- load


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def load_samples(path: Path) -> list[dict[str, Any]]:
    """The turns Locust recorded (the session POST of the web chat is not a turn)."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [row for row in rows if row["name"] != "session"]


def summarise(samples: list[dict[str, Any]]) -> Results:
    """Throughput of sensible replies, latency percentiles and error rate of one run."""
    if not samples:
        return {
            "turns": 0,
            "throughput": 0.0,
            "p50_ms": 0,
            "p95_ms": 0,
            "p99_ms": 0,
            "error_rate": 1.0,
            "errors": [],
        }
    began = min(s["start"] for s in samples)
    ended = max(s["start"] + s["ms"] / 1000 for s in samples)
    ok = [s for s in samples if s["ok"]]
    latencies = [float(s["ms"]) for s in samples]
    reasons: dict[str, int] = {}
    for sample in samples:
        if not sample["ok"]:
            reasons[sample["reason"]] = reasons.get(sample["reason"], 0) + 1
    return {
        "turns": len(samples),
        "throughput": round(len(ok) / max(ended - began, 1e-9), 2),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "error_rate": round(1 - len(ok) / len(samples), 4),
        "errors": sorted(reasons.items(), key=lambda item: -item[1])[:5],
    }


def locust(
    user_class: str, host: str, users: int, seconds: int, samples: Path, env: dict[str, str]
) -> list[dict[str, Any]]:
    """One headless Locust run; returns its recorded turns."""
    samples.unlink(missing_ok=True)
    run_env = {**env, "BENCH_SAMPLES": str(samples), "BENCH_USERS": str(users)}
    args = [str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
    args += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host]
    args += ["--loglevel", "WARNING", "--exit-code-on-error", "0", user_class]
    with (samples.with_suffix(".log")).open("wb") as sink:
        subprocess.run(args, cwd=ROOT, env=run_env, stdout=sink, stderr=subprocess.STDOUT)
    return load_samples(samples)


def locust_env(secrets: dict[str, str]) -> dict[str, str]:
    """Locust's environment: the secrets it signs identities with."""
    return {
        **os.environ,
        "BENCH_IDENTITY_SECRET": secrets["TIERLINE_IDENTITY_SECRET"],
        "BENCH_SHOP_SECRET": secrets["SHOP_IDENTITY_SECRET"],
    }


PYSPY = HARNESS / ".venv" / "bin" / "py-spy"
# Where a message's CPU time goes: the share of py-spy's samples (active threads only) in which
# these frames are on the stack (they overlap: retrieve and save include JSON).
PROFILE_FRAMES = {
    "NLU pipeline (parse_message)": "parse_message (rasa/core/processor.py",
    "policies (_predict_next_with_tracker)": "_predict_next_with_tracker (rasa/core/processor.py",
    "rule states over the whole history (past_states)": "past_states (rasa/shared/core/trackers.py",
    "tracker store retrieve (SQL + deserialising events)": "retrieve (rasa/core/tracker_store.py",
    "tracker store save": "save (rasa/core/tracker_store.py",
    "tracker serialised for actions": "_action_call_format (rasa/core/actions/action.py",
    "action responses checked with jsonschema": "_validate_action_result (rasa/core/actions/",
    "jsonschema, anywhere": "(jsonschema/",
    "JSON encode/decode": "(json/",
}


def start_profiler(
    pid: int, output: Path, rate: int, seconds: int | None = None
) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` into ``output`` (raw stacks); without seconds, until SIGINT."""
    output.unlink(missing_ok=True)
    args = [str(PYSPY), "record", "--pid", str(pid), "--format", "raw", "--rate", str(rate)]
    if seconds is not None:
        args += ["--duration", str(seconds)]
    args += ["--nonblocking", "--output", str(output)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def profile_summary(path: Path) -> dict[str, float]:
    """Shares (0-1) of py-spy samples per part of the message handling, and the top frames."""
    if not path.exists():
        return {}
    total = 0
    hits = dict.fromkeys(PROFILE_FRAMES, 0)
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        for label, needle in PROFILE_FRAMES.items():
            if needle in stack:
                hits[label] += count
    return {label: round(hit / total, 3) for label, hit in hits.items()} if total else {}


def rest_levels(
    name: str,
    host: str,
    seconds: int,
    workdir: Path,
    env: dict[str, str],
    profile_pid: int | None = None,
    pids: dict[str, int] | None = None,
) -> dict[str, Results]:
    """Warm-up (not recorded), then the REST load at each number of shoppers.

    With profile_pid, py-spy samples that process during the 20-shopper run. With pids
    (name → process id), each level records the CPU milliseconds each process spent per turn.
    """
    locust("RestShopper", host, 1, 5, workdir / f"warmup-{name}.jsonl", env)
    levels: dict[str, Results] = {}
    for users in SHOPPERS:
        log(f"{name}: {users} shoppers for {seconds}s")
        profiler = None
        profile = workdir / f"profile-{name}-{users}.txt"
        if profile_pid is not None and users == STACK_SHOPPERS:
            profiler = start_profiler(profile_pid, profile, rate=50, seconds=max(1, seconds - 5))
        cpu_before = {label: cpu_seconds(pid) for label, pid in (pids or {}).items()}
        samples = locust(
            "RestShopper", host, users, seconds, workdir / f"rest-{name}-{users}.jsonl", env
        )
        levels[str(users)] = summarise(samples)
        turns = max(len(samples), 1)
        levels[str(users)]["cpu_ms_per_turn"] = {
            label: round((cpu_seconds(pid) - cpu_before[label]) * 1000 / turns, 1)
            for label, pid in (pids or {}).items()
        }
        if profiler is not None:
            profiler.wait(timeout=60)
            levels[str(users)]["profile"] = profile_summary(profile)
        log(f"{name} at {users}: {levels[str(users)]}")
    return levels


def tracker_size(host: str, sender: str, token: str) -> dict[str, int]:
    """Events and bytes of a conversation in Rasa's store, and of its current session.

    The current session is what Rasa loads on each message and sends with each action call.
    """
    response = httpx.get(
        f"{host}/conversations/{sender}/tracker", params={"token": token}, timeout=30
    )
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json().get("events", [])
    starts = [i for i, event in enumerate(events) if event.get("event") == "session_started"]
    session = events[starts[-1] :] if starts else events
    return {
        "events": len(events),
        "bytes": len(response.content),
        "sessions": len(starts),
        "session_events": len(session),
        "session_bytes": len(json.dumps(session)),
    }


def long_conversations(
    host: str,
    workdir: Path,
    env: dict[str, str],
    token: str | None = None,
    profile_pid: int | None = None,
) -> Results:
    """LONG_SHOPPERS conversations of LONG_TURNS turns: latency by turn, first vs last turns."""
    log(f"long conversations: {LONG_SHOPPERS} shoppers")
    profile = workdir / "profile-project-long.txt"
    profiler = None
    if profile_pid is not None:
        profiler = start_profiler(profile_pid, profile, rate=20)
    samples = locust("LongShopper", host, LONG_SHOPPERS, 900, workdir / "long.jsonl", env)
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
        profiler.wait(timeout=60)
    last = max((s["turn"] for s in samples), default=0)
    first = [float(s["ms"]) for s in samples if 1 <= s["turn"] <= 10]
    late = [float(s["ms"]) for s in samples if last - 10 <= s["turn"] <= last]
    by_turn: dict[int, list[float]] = {}
    for sample in samples:
        by_turn.setdefault(int(sample["turn"]), []).append(float(sample["ms"]))
    first_p95, late_p95 = percentile(first, 95), percentile(late, 95)
    senders = sorted({s["sender"] for s in samples if s.get("sender")})
    tracker = tracker_size(host, senders[0], token) if token and senders else {}
    return {
        "tracker_at_end": tracker,
        "profile": profile_summary(workdir / "profile-project-long.txt") if profiler else {},
        "shoppers": LONG_SHOPPERS,
        "turns": last,
        "first_p95_ms": round(first_p95, 1),
        "late_p95_ms": round(late_p95, 1),
        "ratio": round(late_p95 / first_p95, 2) if first_p95 else 0.0,
        "median_by_turn": {str(t): round(percentile(v, 50), 1) for t, v in sorted(by_turn.items())},
        "summary": summarise(samples),
    }


IMPORT_PROBES = {
    "python": "pass",
    "tensorflow": "import tensorflow",
    "rasa.core.agent": "import rasa.core.agent",
}


def import_rss_mb() -> dict[str, float]:
    """Resident memory of a fresh Python of the bot's venv after one import (MB)."""
    sizes: dict[str, float] = {}
    for label, statement in IMPORT_PROBES.items():
        code = statement + "\nprint(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])"
        done = subprocess.run(
            [str(BOT_PYTHON), "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        if done.returncode == 0:
            sizes[label] = round(int(done.stdout.split()[-1]) / 1000, 1)
    return sizes


def load(workdir: Path, results: Results, seconds: int) -> None:
    """Both models under the same load; the project's also through the whole stack."""
    secrets = read_env()
    env = locust_env(secrets)
    ports = Ports()
    results["import_rss_mb"] = import_rss_mb()
    services = Services.create(workdir / "stack", ports, rasa_port=RASA_PORTS["project"])
    log("starting desk, mail catcher and action server")
    services.start()
    try:
        for name in CONFIGS:
            server = RasaServer(
                name=name,
                model=workdir / "models" / f"{name}.tar.gz",
                port=RASA_PORTS[name],
                services=services,
            )
            log(f"starting Rasa ({name}) on :{server.port}")
            server.start()
            sampler = RssSampler(server.pid())
            sampler.begin()
            try:
                host = f"http://127.0.0.1:{server.port}"
                entry: Results = {"startup_s": round(server.startup_s, 1)}
                pids = {"rasa": server.pid(), **services.pids()}
                entry["rest"] = rest_levels(name, host, seconds, workdir, env, server.pid(), pids)
                if name == "project":
                    entry["long"] = long_conversations(
                        host, workdir, env, secrets["RASA_TOKEN"], server.pid()
                    )
                    log(f"web chat through the desk: {STACK_SHOPPERS} shoppers")
                    samples = locust(
                        "WebChatShopper",
                        f"http://127.0.0.1:{ports.desk}",
                        STACK_SHOPPERS,
                        max(seconds, STACK_MIN_SECONDS),  # think time: fewer turns per second
                        workdir / "webchat.jsonl",
                        env,
                    )
                    entry["stack"] = summarise(samples)
                    entry["stack"]["think_s"] = env.get("BENCH_THINK_S", "1-3")
                    log(f"stack: {entry['stack']}")
            finally:
                entry["rss_mb"] = round(sampler.end(), 1)
                server.stop()
            results.setdefault("load", {})[name] = entry
    finally:
        services.stop()


def stores(workdir: Path, results: Results, seconds: int) -> None:
    """The web-chat shoppers through the whole stack on each store adapter, one after the other.

    Same model, same conversations, same shoppers; only ``STORE`` differs. The Medusa run
    includes the store's own work (Medusa and its PostgreSQL share the machine).
    """
    secrets = read_env()
    env = locust_env(secrets)
    model = workdir / "models" / "project.tar.gz"
    if not model.exists():  # the stores phase alone: the project's model from `make train`
        trained = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
        if not trained:
            raise RuntimeError("no trained model: run `make train` or the train phase first")
        model = trained[-1]
    figures: Results = {}
    for store in STORES:
        ports = Ports()
        services = Services.create(
            workdir / f"stores-{store}", ports, rasa_port=RASA_PORTS["project"], store=store
        )
        log(f"stores: desk on the {store} store")
        services.start()
        server = RasaServer(
            name="project", model=model, port=RASA_PORTS["project"], services=services
        )
        try:
            server.start()
            samples = locust(
                "WebChatShopper",
                f"http://127.0.0.1:{ports.desk}",
                STACK_SHOPPERS,
                max(seconds, STACK_MIN_SECONDS),
                workdir / f"webchat-{store}.jsonl",
                env,
            )
            figures[store] = summarise(samples)
            log(f"stores: {store}: {figures[store]}")
        finally:
            server.stop()
            services.stop()
    builtin_p95, medusa_p95 = figures["builtin"]["p95_ms"], figures["medusa"]["p95_ms"]
    figures["medusa_p95_ratio"] = round(medusa_p95 / builtin_p95, 2) if builtin_p95 else None
    results["stores"] = figures


# ---------------------------------------------------------------- smoke (CI)


def scripted_answers(text: str) -> list[Message]:
    """The fake Rasa's reply to a scripted turn: every word a correct answer to it contains."""
    turns = [*(t for c in CONVERSATIONS for t in c.turns), *LONG_LOOP]
    answer = " ".join(t.expect_any[0] for t in turns if t.text == text)
    return [{"recipient_id": "bench", "text": answer}]


def smoke(workdir: Path) -> Results:
    """The harness end to end against a fake Rasa: Locust, samples, summary, report, plots."""
    env = {
        **locust_env({"TIERLINE_IDENTITY_SECRET": "smoke", "SHOP_IDENTITY_SECRET": "smoke"}),
        "BENCH_LONG_TURNS": "24",
    }
    with FakeRasa(replies=scripted_answers).serving() as host:
        rest = summarise(locust("RestShopper", host, 2, 3, workdir / "rest.jsonl", env))
        long = long_conversations(host, workdir, env)
    assert rest["turns"] > 0 and rest["error_rate"] == 0, rest
    assert long["turns"] == 24 and long["summary"]["error_rate"] == 0, long
    assert is_sensible(LONG_LOOP[0], ["on its way"])[0]
    fake_nlu = {
        "accuracy": 1.0,
        "macro_f1": 1.0,
        "messages": 1,
        "per_intent": {"greet": {"f1": 1.0, "precision": 1.0, "recall": 1.0, "support": 1}},
        "top_confusions": [],
    }
    for label, config in candidates().items():
        parsed = yaml.safe_load(config.read_text())
        assert parsed.get("pipeline") and parsed.get("policies"), f"{label}: not a full config"
    level = {str(users): rest for users in SHOPPERS}
    fake_candidate = {
        "load_average_before": 0.0,
        "train_s": 0.0,
        "train_steps": {},
        "test_split": fake_nlu,
        "outsider_split": fake_nlu,
        "cross_validation": {**fake_nlu, "folds": 5, "seconds": 0.0},
        "parse": {"messages": 1, "p50_ms": 0.0, "p95_ms": 0.0},
    }
    return {
        "pipelines": {
            label: {**fake_candidate, "config": str(config.relative_to(ROOT))}
            for label, config in candidates().items()
        },
        "train_s": {"project": 0.0, "default": 0.0},
        "test_split": {"project": fake_nlu, "default": fake_nlu},
        "outsider_split": {"project": fake_nlu, "default": fake_nlu},
        "load": {
            "project": {
                "startup_s": 0.0,
                "rss_mb": 0.0,
                "rest": level,
                "long": long,
                "stack": rest,
            },
            "default": {"startup_s": 0.0, "rss_mb": 0.0, "rest": level},
        },
    }


# ---------------------------------------------------------------- main


def refresh_profiles(workdir: Path, results: Results) -> None:
    """Re-reads the py-spy profiles of the last load phase (so PROFILE_FRAMES can change)."""
    for name, entry in results.get("load", {}).items():
        level = entry.get("rest", {}).get(str(STACK_SHOPPERS))
        path = workdir / f"profile-{name}-{STACK_SHOPPERS}.txt"
        if level is not None and path.exists():
            level["profile"] = profile_summary(path)
        long_path = workdir / "profile-project-long.txt"
        if "long" in entry and long_path.exists():
            entry["long"]["profile"] = profile_summary(long_path)


def merge(into: Results, other: Results) -> None:
    """Adds other's figures to into, section by section (into's own figures win)."""
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = [*into[key], *(v for v in value if v not in into[key])]
        else:
            into.setdefault(key, value)


def main() -> int:
    """Runs the phases asked for, then writes the report and prints the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--phases",
        default=",".join(DEFAULT_PHASES),
        help=f"comma-separated, from {','.join(ALL_PHASES)} (pipelines only when named)",
    )
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "30")))
    parser.add_argument("--folds", type=int, default=int(os.environ.get("BENCH_FOLDS", "5")))
    parser.add_argument("--models", default=",".join(CONFIGS), help="for train, nlu and cv")
    parser.add_argument("--note", action="append", default=[], help="a line for results.md")
    parser.add_argument("--results", type=Path, default=ROOT / "var" / "bench" / "results.json")
    parser.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        help="also take the figures of another results file (phases run separately)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=REPORT_DIR,
        help="where results.md and the plots go (a partial run can report elsewhere)",
    )
    parser.add_argument("--smoke", action="store_true")
    options = parser.parse_args()
    # `kill` stops the bench like Ctrl-C: the finally blocks stop every process it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if options.smoke:
        workdir = Path(tempfile.mkdtemp(prefix="bench-smoke-", dir=ROOT / "var"))
        figures = smoke(workdir)
        report.write(figures, workdir, workdir)
        written = (workdir / "results.md").read_text()
        assert all(f"| {label} |" in written for label in candidates()), "pipelines table"
        print(report.summary_line(figures))
        shutil.rmtree(workdir)
        return 0

    workdir = ROOT / "var" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    results_path: Path = options.results
    phases = [p for p in options.phases.split(",") if p]
    unknown = set(phases) - set(ALL_PHASES)
    if unknown:
        parser.error(f"unknown phases {sorted(unknown)}; choose from {ALL_PHASES}")
    names = [n for n in options.models.split(",") if n in CONFIGS]
    full_run = phases == list(DEFAULT_PHASES) and names == list(CONFIGS)
    # A full run starts from nothing; a partial one adds to the results file.
    results: Results = {}
    if results_path.exists() and not full_run:
        results = json.loads(results_path.read_text())
    for other in options.merge:
        merge(results, json.loads(other.read_text()))
    for name, seconds in results.get("train_s", {}).items():
        log_path = workdir / "logs" / f"train-{name}.log"
        if name not in results.get("train_steps", {}) and log_path.exists():
            results.setdefault("train_steps", {})[name] = training_steps(log_path, seconds)
    refresh_profiles(workdir, results)
    results["machine"] = report.machine()
    results["notes"] = [*results.get("notes", []), *options.note]
    results.setdefault("phases", {})

    steps = {
        "train": lambda: train(workdir, results, names),
        "nlu": lambda: nlu(workdir, results, names),
        "load": lambda: load(workdir, results, options.seconds),
        "stores": lambda: stores(workdir, results, options.seconds),
        "cv": lambda: cross_validation(workdir, results, options.folds, names),
        "pipelines": lambda: pipelines(workdir, results, options.folds, results_path),
    }
    for phase in ALL_PHASES:
        if phase in phases:
            began, load_before = time.monotonic(), os.getloadavg()[0]
            steps[phase]()
            key = (
                phase
                if names == list(CONFIGS) or phase in ("load", "stores", "pipelines")
                else f"{phase} ({','.join(names)})"
            )
            results["phases"][key] = {
                "load_average_before": round(load_before, 2),
                "finished": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "seconds": round(time.monotonic() - began),
            }
            results_path.write_text(json.dumps(results, indent=1))
    results_path.write_text(json.dumps(results, indent=1))
    options.report_dir.mkdir(parents=True, exist_ok=True)
    raw = results_path.resolve()
    report.write(
        results,
        options.report_dir,
        workdir,
        str(raw.relative_to(ROOT) if raw.is_relative_to(ROOT) else raw),
    )
    print(report.summary_line(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
