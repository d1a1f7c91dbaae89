"""The Rasa launcher takes the API token from the environment, never from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rasa_extensions.runtime import serve

ROOT = Path(__file__).resolve().parents[3]
RUN = ["run", "--enable-api", "--port", "5005", "--model", "models"]


def test_the_token_comes_from_the_environment() -> None:
    argv = serve.rasa_argv(RUN, {"RASA_TOKEN": "s3cret"})
    assert argv == ["rasa", *RUN, "--auth-token", "s3cret"]


def test_without_the_api_no_token_is_needed() -> None:
    assert serve.rasa_argv(["run", "--port", "5005"], {}) == ["rasa", "run", "--port", "5005"]


@pytest.mark.parametrize("args", [[*RUN, "--auth-token", "x"], [*RUN, "--auth-token=x"]])
def test_a_token_on_the_command_line_is_refused(args: list[str]) -> None:
    with pytest.raises(serve.LaunchError, match="command line"):
        serve.rasa_argv(args, {"RASA_TOKEN": "s3cret"})


@pytest.mark.parametrize("environ", [{}, {"RASA_TOKEN": ""}])
def test_the_api_without_a_token_is_refused(environ: dict[str, str]) -> None:
    with pytest.raises(serve.LaunchError, match="RASA_TOKEN"):
        serve.rasa_argv(RUN, environ)


def test_main_hands_the_token_to_rasa_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    import rasa.__main__

    monkeypatch.setattr(rasa.__main__, "main", lambda: seen.update(argv=list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["serve.py", *RUN])
    monkeypatch.setenv("RASA_TOKEN", "s3cret")
    serve.main()
    assert seen["argv"] == ["rasa", *RUN, "--auth-token", "s3cret"]


def test_main_exits_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="RASA_TOKEN is not set"):
        serve.main(RUN)


def rasa_command(text: str) -> str:
    return next(line for line in text.splitlines() if "rasa" in line and "run" in line)


def test_the_procfile_keeps_the_token_off_the_command_line() -> None:
    line = rasa_command((ROOT / "Procfile").read_text())
    assert "rasa_extensions.runtime.serve run" in line
    assert "auth-token" not in line and "RASA_TOKEN" not in line


def test_the_token_is_not_in_the_launched_process_cmdline(tmp_path: Path) -> None:
    """The real thing: a child started like the Procfile does has no token in its cmdline."""
    script = (
        "import sys, rasa.__main__\n"
        "rasa.__main__.main = lambda: print(open('/proc/self/cmdline').read())\n"
        "from rasa_extensions.runtime import serve\n"
        "serve.main()\n"
    )
    env = {**os.environ, "RASA_TOKEN": "token-that-must-not-show", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", script, *RUN], env=env, capture_output=True, text=True, check=True
    )
    assert "run" in out.stdout and "token-that-must-not-show" not in out.stdout
