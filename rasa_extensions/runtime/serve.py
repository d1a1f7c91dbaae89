"""Start ``rasa`` with its API token from the environment, never from the command line.

``rasa run --auth-token TOKEN`` puts the token in ``/proc/<pid>/cmdline``, which any local user can
read (``ps``). Run ``python -m rasa_extensions.runtime.serve run --enable-api ...`` instead: this
module reads ``RASA_TOKEN`` and hands it to Rasa's own command line parser in this process
(``sys.argv`` is the interpreter's copy; the kernel's cmdline stays as it was exec'd).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

TOKEN_VARIABLE = "RASA_TOKEN"
TOKEN_FLAG = "--auth-token"


class LaunchError(RuntimeError):
    """The launcher was asked to do something unsafe, or the token is missing."""


def rasa_argv(args: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """The argv Rasa's parser gets: ``args``, plus the token when the HTTP API is enabled.

    Refuses a token on the command line, and an API without a token.
    """
    if any(arg == TOKEN_FLAG or arg.startswith(f"{TOKEN_FLAG}=") for arg in args):
        raise LaunchError(
            f"do not pass {TOKEN_FLAG} on the command line (any local user can read it); "
            f"export {TOKEN_VARIABLE} instead"
        )
    argv = ["rasa", *args]
    if "--enable-api" in args:
        token = environ.get(TOKEN_VARIABLE, "")
        if not token:
            raise LaunchError(
                f"{TOKEN_VARIABLE} is not set: Rasa's HTTP API must not run without a token "
                "(run `make .env`, or export it)"
            )
        argv += [TOKEN_FLAG, token]
    return argv


def main(args: Sequence[str] | None = None) -> None:
    """Run Rasa's command line in this process with the token added."""
    try:
        argv = rasa_argv(sys.argv[1:] if args is None else args, os.environ)
    except LaunchError as error:
        raise SystemExit(f"rasa_extensions.runtime.serve: {error}") from None
    from rasa.__main__ import main as rasa_main  # heavy: only once the arguments are checked

    sys.argv = argv
    rasa_main()


if __name__ == "__main__":
    main()
