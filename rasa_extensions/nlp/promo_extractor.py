"""A Rasa NLU component that finds the ``promo_code`` entity (see :mod:`.promo_codes`).

A promo code is read from the whole message (is it shouted? is it beside the word "code"?),
which token patterns in the spaCy EntityRuler cannot see.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_extensions.nlp.patterns import PROMO_CODE
from rasa_extensions.nlp.promo_codes import find_promo_code


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PromoCodeExtractor(GraphComponent, EntityExtractorMixin):
    """Adds at most one ``promo_code`` entity per message, its value in capitals."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PromoCodeExtractor:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = find_promo_code(message.get(TEXT) or "")
            if found is None:
                continue
            entity = {
                "entity": PROMO_CODE,
                "value": found.code,
                "start": found.start,
                "end": found.end,
                "confidence": None,
            }
            extracted = self.add_extractor_name([entity])
            message.set(ENTITIES, message.get(ENTITIES, []) + extracted, add_to_output=True)
        return messages
