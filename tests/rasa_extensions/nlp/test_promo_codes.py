from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_extensions.nlp.promo_codes import PromoCode, find_promo_code
from rasa_extensions.nlp.promo_extractor import PromoCodeExtractor


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("why isn't FREESHIP working", "FREESHIP"),
        ("can i use SAVE50 on a $250 order?", "SAVE50"),
        ("is welcome10 still valid", "WELCOME10"),
        ("my code Spring15 doesn't work", "SPRING15"),
        ("does 10OFF work on sale items", "10OFF"),
        ("B2G1FREE isn't applying", "B2G1FREE"),
        ("the code freeship says invalid", "FREESHIP"),
        ("my coupon is FreeShip, does it work?", "FREESHIP"),
        ("the FreeShip code won't go through", "FREESHIP"),
        ("i typed 'freeship' at checkout", "FREESHIP"),
        ("PLEASE CHECK WELCOME10", "WELCOME10"),
        ("WHY IS THE CODE FREESHIP NOT WORKING", "FREESHIP"),
        ("hi, please check HOLIDAY25 for me", "HOLIDAY25"),
    ],
)
def test_codes_are_found(text: str, code: str) -> None:
    found = find_promo_code(text)
    assert found is not None
    assert found.code == code
    assert text[found.start : found.end].upper() == code


@pytest.mark.parametrize(
    "text",
    [
        "why isn't my promo code working",
        "do you have any discount codes?",
        "WHY IS MY ORDER STILL NOT HERE",
        "THIS IS RIDICULOUS",
        "is the code still valid",
        "the code given by the agent expired",
        "what's the zip code for returns",
        "I need this ASAP, please",
        "it shipped with UPS and USPS",
        "track 112-4839201-5573910 for maya.chen@example.com",
        "can I use a coupon on a $250 order?",
        "the code doesnt work",
        "hi",
        "freeship",
        "",
    ],
)
def test_ordinary_words_are_not_codes(text: str) -> None:
    assert find_promo_code(text) is None


def test_a_lone_word_is_a_code_only_when_one_was_asked_for() -> None:
    assert find_promo_code("freeship", expecting_code=True) == PromoCode("FREESHIP", 0, 8)
    assert find_promo_code("thanks", expecting_code=True) is None
    assert find_promo_code("hey", expecting_code=True) is None
    assert find_promo_code("what about it", expecting_code=True) is None


def test_the_extractor_adds_one_promo_code_entity() -> None:
    message = Message(data={TEXT: "can i use SAVE50 on a $250 order?"})
    PromoCodeExtractor().process([message])
    assert message.get(ENTITIES) == [
        {
            "entity": "promo_code",
            "value": "SAVE50",
            "start": 10,
            "end": 16,
            "confidence": None,
            "extractor": "PromoCodeExtractor",
        }
    ]
    nothing = Message(data={TEXT: "how do promo codes work?"})
    PromoCodeExtractor().process([nothing])
    assert nothing.get(ENTITIES) in (None, [])
