from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from rasa_extensions.nlp.build import PIPELINE_NAME, build_pipeline
from rasa_extensions.nlp.patterns import ENTITY_LABELS, entity_ruler_patterns


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline()


def entities(nlp: Language, text: str) -> list[tuple[str, str]]:
    return [(ent.text, ent.label_) for ent in nlp(text).ents]


def labelled(nlp: Language, text: str, label: str) -> list[str]:
    return [found for found, kind in entities(nlp, text) if kind == label]


@pytest.mark.parametrize(
    ("text", "order_id"),
    [
        ("112-4839201-5573910", "112-4839201-5573910"),
        ("112 4839201 5573910", "112 4839201 5573910"),
        ("11248392015573910", "11248392015573910"),
        ("#112-4839201-5573910", "112-4839201-5573910"),
        ("#11248392015573910", "11248392015573910"),
        ("my order is 112-4839201-5573910 thanks", "112-4839201-5573910"),
        ("where's order 112 4839201 5573910?", "112 4839201 5573910"),
        ("112-4839201-5573910.", "112-4839201-5573910"),
        ("112–4839201–5573910", "112–4839201–5573910"),
        ("order ١١٢-٤٨٣٩٢٠١-٥٥٧٣٩١٠ please", "١١٢-٤٨٣٩٢٠١-٥٥٧٣٩١٠"),
        # Dots between the groups: spaCy keeps "112.4839201.5573910" as one token and splits
        # it at a dot followed by a space.
        ("112.4839201.5573910", "112.4839201.5573910"),
        ("my order is 112.4839201.5573910.", "112.4839201.5573910"),
        ("ref. 112.4839201.5573910, thanks", "112.4839201.5573910"),
        ("#112.4839201.5573910", "112.4839201.5573910"),
        ("112. 4839201. 5573910", "112. 4839201. 5573910"),
        ("112 . 4839201 . 5573910", "112 . 4839201 . 5573910"),
    ],
)
def test_order_numbers(nlp: Language, text: str, order_id: str) -> None:
    assert entities(nlp, text) == [(order_id, "order_id")]


@pytest.mark.parametrize(
    "text",
    [
        "112-4839201-557391",  # 16 digits, dashed
        "1124839201557391",  # 16 digits together
        "112483920155739100",  # 18 digits together
        "112-48392O1-5573910",  # a letter O
        "112 48392O1 5573910",
        "112.4839201.557391",  # 16 digits, dotted
        "112.48392O1.5573910",
        "112. 48392O1. 5573910",
    ],
)
def test_near_misses_are_still_order_ids(nlp: Language, text: str) -> None:
    # The bot then explains what is wrong instead of ignoring the number.
    assert entities(nlp, text) == [(text, "order_id")]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("call me at 415-555-0123", "415-555-0123"),
        ("(415) 555-0123", "(415) 555-0123"),
        ("+1 415 555 0123", "+1 415 555 0123"),
        ("415 555 0123", "415 555 0123"),
        ("4155550123", "4155550123"),
        ("+14155550123", "+14155550123"),
        ("+44 7911 123456", "+44 7911 123456"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),  # the example utter_phone_invalid gives
    ],
)
def test_phone_numbers(nlp: Language, text: str, phone: str) -> None:
    assert entities(nlp, text) == [(phone, "phone_number")]


@pytest.mark.parametrize(
    "text", ["call me at 415-555-0123", "(415) 555-0123", "4155550123", "+1 415 555 0123"]
)
def test_phone_numbers_are_not_order_ids(nlp: Language, text: str) -> None:
    assert labelled(nlp, text, "order_id") == []


@pytest.mark.parametrize(
    "text",
    ["I want 2 of them", "order 3 items", "my zip is 62704", "year 2024", "I have 12345678 here"],
)
def test_small_numbers_are_not_order_ids(nlp: Language, text: str) -> None:
    assert labelled(nlp, text, "order_id") == []


@pytest.mark.parametrize(
    "text",
    [
        "it cost $49.99",
        "version 2.10.3",
        "delivered on 12.05.2026",
        "my cell is 312.555.0166",
        "the ip is 192.168.10.254",
        "I ordered 2. 1234567 is my account",
    ],
)
def test_dotted_numbers_that_are_not_order_numbers(nlp: Language, text: str) -> None:
    assert labelled(nlp, text, "order_id") == []


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("email is maya.chen@example.com", "maya.chen@example.com"),
        ("Maya.Chen+shop@Example.co.uk", "Maya.Chen+shop@Example.co.uk"),
    ],
)
def test_emails(nlp: Language, text: str, email: str) -> None:
    assert entities(nlp, text) == [(email, "email")]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("it cost $49.99", "$49.99"),
        ("my cart is 49.99 dollars", "49.99 dollars"),
        ("USD 120", "USD 120"),
        ("about 80 bucks", "80 bucks"),
    ],
)
def test_amounts(nlp: Language, text: str, amount: str) -> None:
    assert entities(nlp, text) == [(amount, "amount")]


def test_promo_codes_are_not_the_rulers(nlp: Language) -> None:
    # rasa_extensions.nlp.promo_extractor finds them, reading the whole message.
    assert entities(nlp, "is WELCOME10 valid") == []


def test_mixed_message(nlp: Language) -> None:
    text = "order 112-4839201-5573910, email maya.chen@example.com, call 415-555-0123"
    assert entities(nlp, text) == [
        ("112-4839201-5573910", "order_id"),
        ("maya.chen@example.com", "email"),
        ("415-555-0123", "phone_number"),
    ]


def test_pipeline_is_blank_english_with_only_the_ruler(nlp: Language) -> None:
    assert nlp.lang == "en"
    assert nlp.pipe_names == ["entity_ruler"]
    assert nlp.meta["name"] == PIPELINE_NAME
    labels = {pattern["label"] for pattern in entity_ruler_patterns()}
    assert labels == set(ENTITY_LABELS)


def test_the_rules_can_sit_on_another_pipeline(tmp_path: Path) -> None:
    base = spacy.blank("en")
    base.add_pipe("sentencizer")
    base.to_disk(tmp_path / "base")
    nlp = build_pipeline(str(tmp_path / "base"))
    assert nlp.pipe_names == ["sentencizer", "entity_ruler"]
    doc = nlp("my order is 112-4839201-5573910.")
    assert [(ent.text, ent.label_) for ent in doc.ents] == [("112-4839201-5573910", "order_id")]
