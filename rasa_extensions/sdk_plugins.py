"""The action server's start-up hooks, registered with rasa-sdk's plugin manager.

``rasa_sdk/plugin.py`` imports the top-level ``rasa_sdk_plugins`` package (a shim at the repo
root, where the action server starts: Procfile) when the action server starts and calls
:func:`init_hooks`. It registers log masking (actions/logging_setup.py) and the shared secret
Rasa must send (actions/server_auth.py).
"""

from __future__ import annotations

from typing import Any

from actions import logging_setup, server_auth


def init_hooks(manager: Any) -> None:
    """Called once by rasa-sdk's plugin manager with its pluggy PluginManager."""
    manager.register(logging_setup)
    manager.register(server_auth)
