from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.utils.schemas.events import EVENT_SCHEMA

from rasa_extensions.runtime import action_results
from rasa_extensions.runtime.action_results import ActionResultChecker

SCHEMA = RemoteAction.action_response_format_spec()

VALID_EVENTS: list[dict[str, Any]] = [
    {"event": "slot", "name": "order_number", "value": "112-4839201-5573910", "timestamp": None},
    {"event": "slot", "name": "bot_log", "value": ["looked up the order"], "metadata": {}},
    {"event": "slot", "name": "requested_slot", "value": None},
    {"event": "active_loop", "name": None},
    {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
    {"event": "followup", "name": "utter_greet"},
    {"event": "bot", "text": "Hi!", "data": {}},
    {"event": "pause"},
    {"event": "resume", "timestamp": 1.5},
    {"event": "session_started"},
    {"event": "reset_slots"},
    {"event": "restart"},
    {"event": "rewind"},
    {"event": "undo"},
    {"event": "entities", "entities": [{"entity": "order_number", "value": "1"}]},
    {
        "event": "user",
        "text": "hi",
        "parse_data": {
            "intent": {"name": "greet", "confidence": 0.9},
            "entities": [{"entity": "x", "value": 1, "start": 0, "end": 1}],
            "intent_ranking": [{"name": "greet", "confidence": 0.9}],
        },
    },
]

INVALID_EVENTS: list[Any] = [
    {},
    {"event": "nonsense"},
    {"event": 3},
    {"event": None},
    {"event": "slot"},
    {"event": "slot", "name": 4, "value": 1},
    {"event": "slot", "value": 1},
    {"event": "slot", "name": "x", "value": 1, "timestamp": "yesterday"},
    {"event": "slot", "name": "x", "value": 1, "metadata": "not an object"},
    {"event": "action", "name": 7},
    {"event": "action", "name": "x", "hide_rule_turn": "yes"},
    {"event": "entities"},
    {"event": "entities", "entities": [{"entity": "x"}]},
    {"event": "user", "text": 5},
    {"event": "user", "parse_data": {"intent": {"name": 1}}},
    {"event": "user", "parse_data": {"entities": [{"value": 1}]}},
    "slot",
    ["slot"],
    None,
]

INVALID_RESPONSES: list[Any] = [
    [],
    "events",
    {"events": "slot"},
    {"events": None},
    {"events": {}},
    {"events": [], "responses": "hi"},
    {"events": [], "responses": ["hi"]},
]


def responses() -> Iterator[Any]:
    yield {}
    yield {"events": [], "responses": []}
    yield {"events": VALID_EVENTS, "responses": [{"text": "hi", "buttons": []}]}
    for event in VALID_EVENTS:
        yield {"events": [event], "responses": []}
    for event in INVALID_EVENTS:
        yield {"events": [event]}
        yield {"events": [*VALID_EVENTS, event], "responses": []}
    yield from INVALID_RESPONSES


def rasa_accepts(result: Any) -> bool:
    try:
        jsonschema.validate(result, SCHEMA)
    except jsonschema.ValidationError:
        return False
    return True


@pytest.fixture
def checker() -> ActionResultChecker:
    return ActionResultChecker.for_schema(SCHEMA)


@pytest.mark.parametrize("result", list(responses()))
def test_fast_check_agrees_with_rasas_schema(checker: ActionResultChecker, result: Any) -> None:
    assert checker.is_valid(result) == rasa_accepts(result)


def test_every_event_kind_has_its_own_branch(checker: ActionResultChecker) -> None:
    names = {branch["properties"]["event"]["const"] for branch in EVENT_SCHEMA["oneOf"]}
    assert set(checker.by_event) == names


def test_invalid_result_raises_rasas_error(checker: ActionResultChecker) -> None:
    with pytest.raises(jsonschema.ValidationError):
        checker.validate({"events": [{"event": "slot"}]})


@pytest.fixture
def installed() -> Iterator[None]:
    action_results.install()
    yield
    action_results.uninstall()


def test_installed_check_accepts_valid_and_explains_invalid(installed: None) -> None:
    action = RemoteAction("action_lookup_order", None)
    assert action._validate_action_result({"events": VALID_EVENTS, "responses": []})
    with pytest.raises(jsonschema.ValidationError) as raised:
        action._validate_action_result({"events": [{"event": "slot", "value": 1}]})
    assert "Failed to validate Action server response" in raised.value.message


def test_install_is_idempotent_and_uninstall_restores_rasa() -> None:
    original = RemoteAction._validate_action_result
    action_results.install()
    patched = RemoteAction._validate_action_result
    action_results.install()
    assert RemoteAction._validate_action_result is patched is not original
    action_results.uninstall()
    assert RemoteAction._validate_action_result is original
