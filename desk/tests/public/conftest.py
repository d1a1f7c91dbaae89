"""Fixtures for the web chat's tests: the app with identity secrets, a client on it, and the fake
Rasa, all from tests/utils/web_chat.py."""

from __future__ import annotations

from tests.utils.web_chat import app, rasa, web

__all__ = ["app", "rasa", "web"]
