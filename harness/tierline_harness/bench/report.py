"""The bench's results.md (docs/bench-runs/latest/), the plots, and the summary line, from
var/bench/results.json."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

Results = dict[str, Any]
MISSING = "n/a"


def machine() -> dict[str, str]:
    """Cores, CPU model, memory and OS of this machine."""
    cpu = ""
    memory_gb = 0.0
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal"):
                memory_gb = int(line.split()[1]) / 1e6
    return {
        "cores": str(os.cpu_count() or 0),
        "cpu": cpu,
        "memory_gb": f"{memory_gb:.0f}",
        "os": platform.platform(terse=True),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _get(results: Results, *keys: str) -> Any:
    value: Any = results
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def figures(results: Results) -> dict[str, float | None]:
    """The summary figures; None where the phase that measures it did not run."""
    project_20 = _get(results, "load", "project", "rest", "20", "throughput")
    default_20 = _get(results, "load", "default", "rest", "20", "throughput")
    ratio = project_20 / default_20 if project_20 is not None and default_20 else None
    return {
        "throughput_ratio": ratio,
        "accuracy": _get(results, "test_split", "project", "accuracy"),
        "default_accuracy": _get(results, "test_split", "default", "accuracy"),
        "outsider_accuracy": _get(results, "outsider_split", "project", "accuracy"),
        "turn300_ratio": _get(results, "load", "project", "long", "ratio"),
        "rss_mb": _get(results, "load", "project", "rss_mb"),
        "train_s": _get(results, "train_s", "project"),
        "stack_p95_ms": _get(results, "load", "project", "stack", "p95_ms"),
        "medusa_p95_ratio": _get(results, "stores", "medusa_p95_ratio"),
    }


def _fmt(value: float | None, digits: int) -> str:
    return MISSING if value is None else f"{value:.{digits}f}"


def summary_line(results: Results) -> str:
    """bench: throughput_ratio=X accuracy=A ... (n/a for what was not measured)."""
    f = figures(results)
    return (
        f"bench: throughput_ratio={_fmt(f['throughput_ratio'], 2)}"
        f" accuracy={_fmt(f['accuracy'], 3)} default_accuracy={_fmt(f['default_accuracy'], 3)}"
        f" outsider_accuracy={_fmt(f['outsider_accuracy'], 3)}"
        f" turn300_ratio={_fmt(f['turn300_ratio'], 2)} rss_mb={_fmt(f['rss_mb'], 0)}"
        f" train_s={_fmt(f['train_s'], 1)} stack_p95_ms={_fmt(f['stack_p95_ms'], 0)}"
        f" medusa_p95_ratio={_fmt(f['medusa_p95_ratio'], 2)}"
    )


def _targets(results: Results) -> list[str]:
    f = figures(results)

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "**not met**")

    ratio, acc, dacc = f["throughput_ratio"], f["accuracy"], f["default_accuracy"]
    rows = [
        ("throughput_ratio ≥ 4", _fmt(ratio, 2), None if ratio is None else ratio >= 4),
        (
            "accuracy ≥ default_accuracy",
            f"{_fmt(acc, 3)} vs {_fmt(dacc, 3)}",
            None if acc is None or dacc is None else acc >= dacc,
        ),
        (
            "outsider_accuracy ≥ 0.9",
            _fmt(f["outsider_accuracy"], 3),
            None if f["outsider_accuracy"] is None else f["outsider_accuracy"] >= 0.9,
        ),
    ]
    for key, limit, digits in (
        ("turn300_ratio", 1.2, 2),
        ("rss_mb", 600.0, 0),
        ("train_s", 60.0, 1),
        ("stack_p95_ms", 150.0, 0),
        ("medusa_p95_ratio", 1.3, 2),
    ):
        value = f[key]
        rows.append(
            (f"{key} ≤ {limit:g}", _fmt(value, digits), None if value is None else value <= limit)
        )
    lines = ["| Target | Measured | |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {verdict(ok)} |" for name, value, ok in rows]
    return lines


def _nlu_tables(results: Results, key: str, title: str) -> list[str]:
    block = _get(results, key)
    if not block:
        return [f"### {title}", "", "Not run in this report (see Missing).", ""]
    lines = [
        f"### {title}",
        "",
        "| Pipeline | Accuracy | Macro-F1 | Messages | Most frequent confusions |",
        "|---|---|---|---|---|",
    ]
    for name, row in block.items():
        confusions = ", ".join(f"{pair} ({count})" for pair, count in row["top_confusions"][:4])
        extra = f" ({row['folds']} folds, {row['seconds']:.0f} s)" if "folds" in row else ""
        lines.append(
            f"| {name}{extra} | {row['accuracy']:.3f} | {row['macro_f1']:.3f} | {row['messages']} "
            f"| {confusions or '—'} |"
        )
    names = list(block)
    intents = sorted({i for row in block.values() for i in row["per_intent"]})
    lines += [
        "",
        "<details><summary>F1 per intent</summary>",
        "",
        "| Intent | " + " | ".join(f"F1 {n}" for n in names) + " | Support |",
        "|---|" + "---|" * len(names) + "---|",
    ]
    for intent in intents:
        cells = [
            f"{block[n]['per_intent'][intent]['f1']:.3f}"
            if intent in block[n]["per_intent"]
            else MISSING
            for n in names
        ]
        support = block[names[0]]["per_intent"].get(intent, {}).get("support", "")
        lines.append(f"| {intent} | " + " | ".join(cells) + f" | {support} |")
    lines += ["", "</details>", ""]
    return lines


def _pipelines_table(results: Results) -> list[str]:
    """The pipelines phase: one row per candidate config."""
    block = _get(results, "pipelines")
    if not block:
        return []
    lines = [
        "## Candidate NLU pipelines",
        "",
        "Each candidate (config.yml and harness/pipelines/*.yml) trained from scratch (full "
        "`rasa train`, timed), cross-validated on data/nlu, and scored on both held-out splits. "
        "Choose by cross-validation, test_split and training time (≤ 60 s); the outsiders' "
        "split is reported, never used to choose. Parse time: `Agent.parse_message` per "
        "message of both splits, after a warm-up.",
        "",
        "| Config | Train s | CV accuracy | CV macro-F1 | test_split accuracy | test_split "
        "macro-F1 | outsider accuracy | outsider macro-F1 | Parse ms p50 / p95 | Load before |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, row in block.items():
        cv, test, outsider = row["cross_validation"], row["test_split"], row["outsider_split"]
        parse = row.get("parse") or {}
        lines.append(
            f"| {label} | {row['train_s']:.1f} | {cv['accuracy']:.3f} | {cv['macro_f1']:.3f} "
            f"| {test['accuracy']:.3f} | {test['macro_f1']:.3f} | {outsider['accuracy']:.3f} "
            f"| {outsider['macro_f1']:.3f} "
            f"| {_fmt(parse.get('p50_ms'), 1)} / {_fmt(parse.get('p95_ms'), 1)} "
            f"| {row['load_average_before']:.2f} |"
        )
    lines.append("")
    for label, row in block.items():
        confusions = ", ".join(
            f"{pair} ({count})" for pair, count in row["cross_validation"]["top_confusions"][:4]
        )
        lines.append(f"- {label} (`{row['config']}`), most frequent CV confusions: {confusions}")
    lines.append("")
    return lines


def _load_tables(results: Results) -> list[str]:
    load = _get(results, "load")
    if not load:
        return ["Not run in this report (see Missing).", ""]
    lines = [
        "| Pipeline | Shoppers | Turns | Sensible replies/s | p50 ms | p95 ms | p99 ms | Errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in load.items():
        for users, row in entry["rest"].items():
            lines.append(
                f"| {name} | {users} | {row['turns']} | {row['throughput']:.1f} "
                f"| {row['p50_ms']:.0f} "
                f"| {row['p95_ms']:.0f} | {row['p99_ms']:.0f} | {row['error_rate']:.1%} |"
            )
    lines.append("")
    errors = [
        f"- {name} at {users}: "
        + "; ".join(f"{reason} (×{count})" for reason, count in row["errors"])
        for name, entry in load.items()
        for users, row in entry["rest"].items()
        if row["errors"]
    ]
    if errors:
        lines += ["Replies that were not sensible (most frequent reasons):", "", *errors, ""]
    return lines + _cpu_lines(results)


NLU_PART = "NLU pipeline (parse_message)"
POLICY_PART = "policies (_predict_next_with_tracker)"


def _cpu_lines(results: Results) -> list[str]:
    """CPU per turn of each process at 20 shoppers, and what bounds the throughput ratio."""
    rows = {
        name: _get(results, "load", name, "rest", "20", "cpu_ms_per_turn")
        for name in ("project", "default")
    }
    if not all(rows.values()):
        return []
    labels = list(dict.fromkeys(label for row in rows.values() for label in row))
    lines = [
        "CPU milliseconds per turn at 20 shoppers, by process (the Rasa server is the one that "
        "saturates: it runs on one core):",
        "",
        "| Pipeline | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | " + " | ".join(_fmt(row.get(label), 1) for label in labels) + " |"
        )
    lines.append("")
    profile = _get(results, "load", "project", "rest", "20", "profile") or {}
    project_ms, default_ms = rows["project"].get("rasa"), rows["default"].get("rasa")
    if profile and project_ms and default_ms:
        model_share = profile.get(NLU_PART, 0.0) + profile.get(POLICY_PART, 0.0)
        model_ms = project_ms * model_share
        floor_ms = project_ms - model_ms
        lines += [
            "What bounds `throughput_ratio`: of the project's "
            f"{project_ms:.1f} ms of Rasa CPU per turn, NLU and policies take {model_share:.0%} "
            f"({model_ms:.1f} ms, py-spy). The other {floor_ms:.1f} ms are Rasa's own work per "
            "message whatever the pipeline (HTTP, locks, tracker store, events, action calls). "
            f"Even a pipeline that cost nothing would give at most {default_ms:.1f} / "
            f"{floor_ms:.1f} = {default_ms / floor_ms:.2f}× the default's throughput on the same "
            "Rasa server.",
            "",
        ]
    return lines


def _save(fig: Figure, outdir: Path, name: str) -> str:
    """Writes the figure to outdir/name and closes it; the name, for the report's link."""
    fig.tight_layout()
    fig.savefig(outdir / name, dpi=100)
    plt.close(fig)
    return name


def _plot_throughput(results: Results, outdir: Path) -> str | None:
    load = _get(results, "load")
    if not load:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, entry in load.items():
        users = [int(u) for u in entry["rest"]]
        left.plot(users, [r["throughput"] for r in entry["rest"].values()], marker="o", label=name)
        right.plot(users, [r["p95_ms"] for r in entry["rest"].values()], marker="o", label=name)
    left.set(xlabel="concurrent shoppers", ylabel="sensible replies / s", title="Throughput")
    left.set_ylim(bottom=0)
    right.set(
        xlabel="concurrent shoppers", ylabel="p95 latency (ms)", title="p95 latency", yscale="log"
    )
    for axis in (left, right):
        axis.set_xscale("log")
        axis.legend()
        axis.grid(alpha=0.3)
    return _save(fig, outdir, "load.png")


def _plot_turns(results: Results, outdir: Path) -> str | None:
    by_turn = _get(results, "load", "project", "long", "median_by_turn")
    if not by_turn:
        return None
    fig, axis = plt.subplots(figsize=(8, 3.5))
    axis.plot([int(t) for t in by_turn], list(by_turn.values()), linewidth=1)
    axis.set(
        xlabel="turn", ylabel="median latency (ms)", title="Latency by turn, long conversations"
    )
    axis.grid(alpha=0.3)
    return _save(fig, outdir, "turns.png")


def _plot_f1(results: Results, outdir: Path) -> str | None:
    block = _get(results, "test_split")
    if not block or len(block) < 2:
        return None
    intents = sorted({i for row in block.values() for i in row["per_intent"]})
    fig, axis = plt.subplots(figsize=(8, max(4, len(intents) * 0.28)))
    height = 0.8 / len(block)
    for index, (name, row) in enumerate(block.items()):
        values = [row["per_intent"].get(i, {}).get("f1", 0.0) for i in intents]
        axis.barh([y + index * height for y in range(len(intents))], values, height, label=name)
    axis.set_yticks([y + 0.4 - height / 2 for y in range(len(intents))], intents, fontsize=7)
    axis.set(xlabel="F1 on the held-out split", xlim=(0, 1))
    axis.legend(loc="lower left")
    return _save(fig, outdir, "f1.png")


def write(results: Results, outdir: Path, workdir: Path, raw: str = "") -> None:
    """Writes results.md and the plots into outdir; raw names the results file, if not the usual."""
    m = results.get("machine") or machine()
    raw = raw or f"var/{workdir.name}/results.json"
    lines = [
        "# Tierline benchmarks",
        "",
        f"Written by `make bench` on {m['date']}: {m['cores']} cores ({m['cpu']}), "
        f"{m['memory_gb']} GB, {m['os']}. Raw figures: `{raw}`.",
        "",
        "`project` is config.yml (spaCy EntityRuler + count vectors + logistic regression, "
        "RulePolicy); `default` is Rasa 3.6's default pipeline and policies "
        "(harness/default-config.yml), trained on the same data in the same run. The default "
        "pipeline has no rule-based extractor: DIET learns order numbers and promo codes from the "
        "annotations in data/nlu.",
        "",
        "## Summary",
        "",
        "```",
        summary_line(results),
        "```",
        "",
        *_targets(results),
        "",
    ]
    phases = results.get("phases", {})
    lines += [
        "Phases in this report: "
        + ", ".join(
            f"{name} ({row['seconds']} s, finished {row['finished']}, load average before "
            f"{row.get('load_average_before', MISSING)})"
            for name, row in phases.items()
        )
        or "none",
        "",
    ]
    missing = [
        p
        for p in ("train", "nlu", "load", "stores", "cv")
        if not any(k.split(" ")[0] == p for k in phases)
    ]
    if missing:
        lines += [f"**Missing:** phases not run for this report: {', '.join(missing)}.", ""]

    lines += ["## NLU quality", ""]
    lines += _nlu_tables(results, "test_split", "Held-out split (tests/nlu/test_split.yml)")
    lines += _nlu_tables(
        results,
        "outsider_split",
        "Outsiders' held-out split (tests/nlu/outsider_split.yml, never tuned on)",
    )
    lines += _nlu_tables(results, "cross_validation", "Cross-validation on data/nlu")
    for name in ("project", "default"):
        for split, suffix, label in (
            ("test_split", "", "held-out split"),
            ("outsider_split", "-outsider", "outsiders' split"),
        ):
            matrix = workdir / "nlu" / f"{name}-{split}" / "intent_confusion_matrix.png"
            if matrix.exists():
                shutil.copyfile(matrix, outdir / f"confusion-{name}{suffix}.png")
            if (outdir / f"confusion-{name}{suffix}.png").exists():
                lines += [
                    f"Confusion matrix, {name}, {label}: ![{name}](confusion-{name}{suffix}.png)",
                    "",
                ]
    f1_plot = _plot_f1(results, outdir)
    if f1_plot:
        lines += [f"![F1 per intent]({f1_plot})", ""]
    lines += _pipelines_table(results)

    lines += [
        "## Speed: Rasa's REST channel under Locust",
        "",
        "Each shopper replays scripted conversations (greeting, order lookup by the action "
        "server through the desk, email verification, refund status, promo codes, thanks) with "
        "a new sender id each time, no think time (so the server saturates and throughput is "
        "its capacity). A turn counts only if the reply contains "
        "what a correct answer says. Throughput counts sensible replies per second.",
        "",
    ]
    lines += _load_tables(results)
    profiles = {
        f"{name}, 20 shoppers": _get(results, "load", name, "rest", "20", "profile") or {}
        for name in ("project", "default")
    }
    profiles["project, 300-turn conversations"] = (
        _get(results, "load", "project", "long", "profile") or {}
    )
    parts = list(dict.fromkeys(p for profile in profiles.values() for p in profile))
    if parts:
        lines += [
            "Where Rasa spends its CPU (py-spy samples of the Rasa process, share with that frame "
            "on the stack; parts overlap):",
            "",
            "| Part | " + " | ".join(profiles) + " |",
            "|---|" + "---|" * len(profiles),
        ]
        for part in parts:
            cells = [
                f"{profile[part]:.0%}" if part in profile else MISSING
                for profile in profiles.values()
            ]
            lines.append(f"| {part} | " + " | ".join(cells) + " |")
        lines.append("")
    plot = _plot_throughput(results, outdir)
    if plot:
        lines += [f"![throughput and latency]({plot})", ""]

    stack = _get(results, "load", "project", "stack")
    long = _get(results, "load", "project", "long")
    lines += ["## Whole stack and long conversations", ""]
    if stack:
        lines += [
            "Web chat → desk → Rasa → actions → desk → database, 20 shoppers over the websocket, "
            "each reading the answer and typing the next message "
            f"({stack.get('think_s', '1-3')} s of think time between turns, as a person would); "
            "latency is the time from sending the message frame to the first bot message frame:",
            "",
            f"- turns {stack['turns']}, {stack['throughput']:.1f} sensible replies/s, "
            f"p50 {stack['p50_ms']:.0f} ms, p95 {stack['p95_ms']:.0f} ms, "
            f"p99 {stack['p99_ms']:.0f} ms, "
            f"errors {stack['error_rate']:.1%}",
            "",
        ]
    stores = _get(results, "stores")
    if stores:
        lines += [
            "The same web-chat shoppers on each store adapter (`STORE`), one run after the "
            "other; the Medusa run includes Medusa and its PostgreSQL on the same machine:",
            "",
            "| Store | Turns | p50 | p95 | p99 | Errors |",
            "|---|---|---|---|---|---|",
        ]
        for name in ("builtin", "medusa"):
            run = stores.get(name)
            if run:
                lines.append(
                    f"| {name} | {run['turns']} | {run['p50_ms']:.0f} ms | {run['p95_ms']:.0f} ms"
                    f" | {run['p99_ms']:.0f} ms | {run['error_rate']:.1%} |"
                )
        lines.append("")
    if long:
        lines += [
            f"{long['shoppers']} concurrent signed-in conversations of {long['turns']} turns each: "
            f"p95 of turns 1–10 {long['first_p95_ms']:.0f} ms, of the last 11 turns "
            f"{long['late_p95_ms']:.0f} ms, ratio {long['ratio']:.2f}.",
            "",
        ]
        tracker = long.get("tracker_at_end") or {}
        if tracker and "session_events" in tracker:
            lines += [
                f"At the last turn one conversation has {tracker['events']} events in Rasa's "
                f"store ({tracker['bytes'] / 1e6:.2f} MB of JSON) in {tracker['sessions']} "
                f"sessions; the current session, which Rasa loads on each message and sends "
                f"with each action call, holds {tracker['session_events']} events "
                f"({tracker['session_bytes'] / 1e3:.0f} kB). The tracker store starts a new "
                "session when one passes max_session_events (endpoints.yml), carrying the "
                "slots and the last messages over "
                "(rasa_extensions/tracker_stores/session_bounded.py).",
                "",
            ]
        elif tracker:
            lines += [
                f"At the last turn one conversation's tracker holds {tracker['events']} events "
                f"({tracker['bytes'] / 1e6:.2f} MB of JSON).",
                "",
            ]
        turns_plot = _plot_turns(results, outdir)
        if turns_plot:
            lines += [f"![latency by turn]({turns_plot})", ""]

    lines += [
        "## Cost",
        "",
        "| Pipeline | Full training (s) | Start-up (s) | Peak RSS of Rasa (MB) |",
        "|---|---|---|---|",
    ]
    for name in ("project", "default"):
        train_s = _get(results, "train_s", name)
        startup = _get(results, "load", name, "startup_s")
        rss = _get(results, "load", name, "rss_mb")
        lines.append(f"| {name} | {_fmt(train_s, 1)} | {_fmt(startup, 1)} | {_fmt(rss, 0)} |")
    lines.append("")
    imports = results.get("import_rss_mb") or {}
    if imports:
        lines += [
            "Resident memory of a fresh Python (the bot's venv) after a single import, before "
            "any model is loaded: "
            + ", ".join(f"`{name}` {mb:.0f} MB" for name, mb in imports.items())
            + ". Rasa 3.6 imports TensorFlow whatever the pipeline (rasa.core.agent → "
            "rasa.utils.tensorflow), and so does thinc under spaCy when TensorFlow is installed; "
            "Rasa depends on it, so it cannot be left out of the venv.",
            "",
        ]
    steps = results.get("train_steps", {})
    if steps:
        lines += ["Where full training time goes (seconds, from Rasa's log):", ""]
        for name, parts in steps.items():
            lines.append(
                f"- {name}: " + ", ".join(f"{part} {sec:.0f}" for part, sec in parts.items())
            )
        lines.append("")
    notes = results.get("notes")
    if notes:
        lines += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    (outdir / "results.md").write_text("\n".join(lines))
