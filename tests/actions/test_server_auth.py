"""Only callers with the shared secret (Rasa) may run actions on the action server."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from actions.server_auth import TOKEN_HEADER, refusal, token_middleware
from actions.settings import SettingsError

SECRET = "s3cret-action-token"


@pytest.mark.parametrize("path", ["/webhook", "/actions"])
@pytest.mark.parametrize("given", [None, "", "wrong", SECRET + "x"])
def test_action_calls_without_the_token_are_refused(path: str, given: str | None) -> None:
    headers = {} if given is None else {TOKEN_HEADER: given}
    refused = refusal(path, headers, SECRET)
    assert refused is not None and refused.status == 401
    assert b"only Rasa may call" in refused.body


def test_the_token_lets_the_call_through_and_health_stays_open() -> None:
    assert refusal("/webhook", {TOKEN_HEADER: SECRET}, SECRET) is None
    assert refusal("/health", {}, SECRET) is None


def test_the_middleware_checks_each_request_and_needs_a_secret() -> None:
    middleware = token_middleware(SECRET)
    bad = asyncio.run(middleware(SimpleNamespace(path="/webhook", headers={})))
    good = asyncio.run(middleware(SimpleNamespace(path="/webhook", headers={TOKEN_HEADER: SECRET})))
    assert bad is not None and bad.status == 401 and good is None
    with pytest.raises(SettingsError, match="ACTION_SERVER_TOKEN"):
        token_middleware("")
