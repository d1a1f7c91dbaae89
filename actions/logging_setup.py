"""The action server's log masking (tierline_common.log_masking), installed at start-up.

rasa-sdk 3.6 has one start-up hook, its plugin manager (``rasa_sdk/plugin.py``), which imports
a top-level ``rasa_sdk_plugins`` package when ``python -m rasa_sdk`` starts and calls
``attach_sanic_app_extensions(app)`` once, before the server runs. The plugin package registers
this module (see ``rasa_sdk_plugins``), so every record of the process (rasa-sdk's,
Sanic's access log, ours) is masked. Importing ``actions`` does no work (CONVENTIONS.md).
"""

from __future__ import annotations

from typing import Any

import pluggy
from tierline_common import log_masking

hookimpl = pluggy.HookimplMarker("rasa_sdk")


@hookimpl  # type: ignore[misc]
def attach_sanic_app_extensions(app: Any) -> None:
    """rasa-sdk's start-up hook (once, before the server runs): mask every log record."""
    log_masking.install()
