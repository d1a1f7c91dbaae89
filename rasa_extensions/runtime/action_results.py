"""Checks action-server responses as strictly as Rasa does, about ten times faster.

Rasa 3.6 checks every response of the action server with ``jsonschema.validate`` against
``RemoteAction.action_response_format_spec()``. That call re-checks the schema itself against
the JSON Schema meta-schema each time and then tries each event against the 23 branches of a
``oneOf``: about 22 ms per action call on this machine, more than half of the Rasa server's CPU
under load (docs/bench-runs/latest/results.md has the profile).

Every ``oneOf`` branch of Rasa's event schema pins ``event`` to a different constant, so an event
satisfies the ``oneOf`` exactly when it satisfies the branch named by its ``event``. The fast
check uses that: the schema is checked once, and each event is tried against its own branch.
When the fast check fails, Rasa's full validation runs, so an invalid response fails with the
same ``ValidationError`` and the same message as before.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.protocols import Validator
from rasa.core.actions.action import RemoteAction

_installed_original: Any = None


@dataclass(frozen=True)
class ActionResultChecker:
    """Compiled validators for an action response and for each kind of event."""

    envelope: Validator
    by_event: dict[str, Validator]
    full: Validator

    @classmethod
    def for_schema(cls, schema: dict[str, Any]) -> ActionResultChecker:
        """Compiles Rasa's response schema (its ``events`` items hold the ``oneOf``)."""
        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)
        event_schema = schema["properties"]["events"]["items"]
        shared = {key: value for key, value in event_schema.items() if key != "oneOf"}
        by_event = {
            branch["properties"]["event"]["const"]: validator_class(
                {**copy.deepcopy(shared), "allOf": [branch]}
            )
            for branch in event_schema["oneOf"]
        }
        if len(by_event) != len(event_schema["oneOf"]):
            raise ValueError("two oneOf branches of the event schema share an event name")
        envelope_schema = copy.deepcopy(schema)
        envelope_schema["properties"]["events"] = {"type": "array"}
        return cls(
            envelope=validator_class(envelope_schema),
            by_event=by_event,
            full=validator_class(schema),
        )

    def is_valid(self, result: Any) -> bool:
        """The fast check: True exactly when the full schema accepts ``result``."""
        if not self.envelope.is_valid(result):
            return False
        for event in result.get("events") or []:
            name = event.get("event") if isinstance(event, dict) else None
            branch = self.by_event.get(name) if isinstance(name, str) else None
            if branch is None or not branch.is_valid(event):
                return False
        return True

    def validate(self, result: Any) -> None:
        """Raises Rasa's ``ValidationError`` when ``result`` does not fit the schema."""
        if not self.is_valid(result):
            self.full.validate(result)


def install() -> None:
    """Makes every ``RemoteAction`` use the compiled checker (once per process)."""
    global _installed_original
    if _installed_original is not None:
        return
    checker = ActionResultChecker.for_schema(RemoteAction.action_response_format_spec())
    original = RemoteAction._validate_action_result

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            checker.validate(result)
        except ValidationError:
            # Rasa's own method adds its explanation to the message and re-raises.
            return bool(original(self, result))
        return True

    RemoteAction._validate_action_result = _validate_action_result
    _installed_original = original


def uninstall() -> None:
    """Puts Rasa's own check back (tests)."""
    global _installed_original
    if _installed_original is not None:
        RemoteAction._validate_action_result = _installed_original
        _installed_original = None
