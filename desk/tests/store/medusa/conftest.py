"""The Medusa-only tests share the session's real Medusa with the contract suite: its fixtures
(``medusa``, ``seeded_medusa``) come from tests/utils/medusa_server.py through
tests/store/conftest.py."""

from __future__ import annotations

from tests.utils.medusa_server import MEDUSA_TIMEOUT

__all__ = ["MEDUSA_TIMEOUT"]
