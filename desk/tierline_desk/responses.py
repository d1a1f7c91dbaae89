"""Building a door's response models (api/, console/ schemas) from the database rows they show."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def from_row[M: BaseModel](model: type[M], row: object, **given: Any) -> M:
    """``model.model_validate(row, from_attributes=True)``, but for the fields ``given`` here
    (computed, renamed or joined): the others are the row's attributes of the same names, and a
    field neither has is an AttributeError. Nested models are read from attributes too (an
    ``items: list[ItemOut]`` field takes the row's ``items`` rows as they are)."""
    copied = {name: getattr(row, name) for name in model.model_fields.keys() - given.keys()}
    return model.model_validate({**copied, **given}, from_attributes=True)
