"""rasa-sdk's plugin package: ``rasa_sdk/plugin.py`` imports it when the action server starts.

It registers Tierline's start-up hooks: log masking (actions/logging_setup.py) and the shared
secret Rasa must send (actions/server_auth.py). It must be
importable from the directory the action server starts in (the repo root: Procfile).
"""

from __future__ import annotations

from typing import Any

from actions import logging_setup, server_auth


def init_hooks(manager: Any) -> None:
    """Called once by rasa-sdk's plugin manager with its pluggy PluginManager."""
    manager.register(logging_setup)
    manager.register(server_auth)
