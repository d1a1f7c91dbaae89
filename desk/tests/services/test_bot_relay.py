"""The bot relay: once the shopper's message is stored, its answer is stored and announced,
whatever happens to the socket (or the task) that asked for it."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
import respx
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.utils.desk import RASA_URL
from tierline_desk import rasa_client
from tierline_desk.db import run_in_session
from tierline_desk.models import Conversation, utcnow
from tierline_desk.services import bot_relay, chat
from tierline_desk.services.chat_hub import get_hub


class SlowRasa:
    """Rasa's REST channel, answering only once the test opens the gate."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.asked = asyncio.Event()
        self.gate = asyncio.Event()
        self.received: list[str] = []
        router.post("/webhooks/rest/webhook").mock(side_effect=self._webhook)

    async def _webhook(self, request: httpx.Request) -> httpx.Response:
        self.received.append(json.loads(request.content)["message"])
        self.asked.set()
        await self.gate.wait()
        return httpx.Response(200, json=[{"recipient_id": "x", "text": "It ships today."}])


@pytest.fixture(autouse=True)
async def own_rasa_client() -> AsyncIterator[None]:
    """The desk's pooled client belongs to one event loop; each test has its own loop."""
    yield
    await rasa_client.close()


@pytest.fixture
def rasa(db: str) -> Iterator[SlowRasa]:
    with respx.mock(base_url=RASA_URL, assert_all_called=False) as router:
        yield SlowRasa(router)


@pytest.fixture
def conversation_id(session: Session) -> str:
    conversation, _ = chat.create_conversation(session, None)
    chat.append(session, conversation.conversation_id, "shopper", "where is it?", client_id="c1")
    return conversation.conversation_id


async def lines(conversation_id: str) -> list[tuple[str, str]]:
    rows = await run_in_session(lambda s: chat.messages_after(s, conversation_id, 0))
    return [(m.sender, m.text) for m in rows]


async def no_typing(_on: bool) -> None:
    return None


async def test_the_answer_is_stored_and_announced_even_if_the_asker_is_cancelled(
    rasa: SlowRasa, conversation_id: str
) -> None:
    woken = get_hub().subscribe(conversation_id)
    asker = asyncio.create_task(bot_relay.relay(conversation_id, None, "where is it?", no_typing))
    await asyncio.wait_for(rasa.asked.wait(), 5)
    asker.cancel()  # the socket's handler goes away while the bot is thinking
    with pytest.raises(asyncio.CancelledError):
        await asker
    assert bot_relay.in_flight() == 1
    rasa.gate.set()
    assert await bot_relay.finish(timeout=5) == 0
    assert await lines(conversation_id) == [("shopper", "where is it?"), ("bot", "It ships today.")]
    assert woken.is_set()  # every socket of the conversation, on every replica, looks again


async def test_finish_reports_answers_that_did_not_come_in_time(
    rasa: SlowRasa, conversation_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    asker = asyncio.create_task(bot_relay.relay(conversation_id, None, "where is it?", no_typing))
    await asyncio.wait_for(rasa.asked.wait(), 5)
    with caplog.at_level(logging.ERROR, logger="tierline_desk.bot_relay"):
        assert await bot_relay.finish(timeout=0.05) == 1
    assert "1 bot answer(s) not stored" in caplog.text
    rasa.gate.set()
    await asker
    assert bot_relay.in_flight() == 0
    assert await bot_relay.finish(timeout=0.05) == 0


async def test_typing_is_shown_while_the_bot_thinks_and_cleared_after(
    rasa: SlowRasa, conversation_id: str
) -> None:
    shown: list[bool] = []

    async def typing(on: bool) -> None:
        shown.append(on)

    rasa.gate.set()
    await bot_relay.relay(conversation_id, None, "where is it?", typing)
    assert shown == [True, False]


async def test_answers_to_one_conversation_are_stored_in_the_order_asked(
    db: str, session: Session
) -> None:
    conversation, _ = chat.create_conversation(session, None)
    session.commit()
    cid = conversation.conversation_id
    first_may_answer = asyncio.Event()

    async def webhook(request: httpx.Request) -> httpx.Response:
        text = json.loads(request.content)["message"]
        if text == "first":
            await first_may_answer.wait()
        return httpx.Response(200, json=[{"recipient_id": "x", "text": f"answer to {text}"}])

    with respx.mock(base_url=RASA_URL, assert_all_called=False) as router:
        router.post("/webhooks/rest/webhook").mock(side_effect=webhook)
        first = asyncio.create_task(bot_relay.relay(cid, None, "first", no_typing))
        second = asyncio.create_task(bot_relay.relay(cid, None, "second", no_typing))
        await asyncio.sleep(0.1)
        first_may_answer.set()
        await asyncio.gather(first, second)
    assert [text for _, text in await lines(cid)] == ["answer to first", "answer to second"]


# ---------------------------------------------------------------- answers owed after a crash


def backdate(session: Session, conversation_id: str, seconds: float) -> None:
    """As if the conversation's last line had been stored ``seconds`` ago."""
    session.execute(
        update(Conversation)
        .where(Conversation.conversation_id == conversation_id)
        .values(last_activity_at=utcnow() - timedelta(seconds=seconds))
    )
    session.commit()


async def test_a_message_a_crashed_desk_never_answered_gets_one_apology(
    session: Session, conversation_id: str
) -> None:
    backdate(session, conversation_id, 60)
    woken = get_hub().subscribe(conversation_id)
    # Two desks looking at once: exactly one apologises.
    done = await asyncio.gather(
        bot_relay.apologise_for_owed_answers(), bot_relay.apologise_for_owed_answers()
    )
    assert sorted(done) == [0, 1]
    assert await lines(conversation_id) == [
        ("shopper", "where is it?"),
        ("bot", bot_relay.APOLOGY),
    ]
    assert woken.is_set()
    assert await bot_relay.apologise_for_owed_answers() == 0  # answered now: nothing owed


@pytest.mark.parametrize(
    ("seconds_ago", "mode"),
    [
        (5, "bot"),  # a live relay may still be answering
        (2 * 3600, "bot"),  # the shopper has long gone
        (60, "agent"),  # a person has the conversation: the bot owes nothing
    ],
)
async def test_no_apology_while_an_answer_may_come_or_is_not_the_bots_to_give(
    session: Session, conversation_id: str, seconds_ago: float, mode: str
) -> None:
    session.execute(
        update(Conversation)
        .where(Conversation.conversation_id == conversation_id)
        .values(mode=mode)
    )
    backdate(session, conversation_id, seconds_ago)
    assert await bot_relay.apologise_for_owed_answers() == 0
    assert [sender for sender, _ in await lines(conversation_id)] == ["shopper"]


async def test_no_apology_where_the_last_line_is_already_an_answer(
    session: Session, conversation_id: str
) -> None:
    chat.append(session, conversation_id, "bot", "It ships today.")
    backdate(session, conversation_id, 60)
    assert await bot_relay.apologise_for_owed_answers() == 0


async def test_no_apology_while_this_desk_is_still_relaying(
    rasa: SlowRasa, session: Session, conversation_id: str
) -> None:
    backdate(session, conversation_id, 60)
    asker = asyncio.create_task(bot_relay.relay(conversation_id, None, "where is it?", no_typing))
    await asyncio.wait_for(rasa.asked.wait(), 5)
    assert await bot_relay.apologise_for_owed_answers() == 0
    rasa.gate.set()
    await asker
    assert [sender for sender, _ in await lines(conversation_id)] == ["shopper", "bot"]


def test_append_if_last_stores_nothing_when_another_line_came_first(
    session: Session, conversation_id: str
) -> None:
    chat.append(session, conversation_id, "bot", "It ships today.")
    assert chat.append_if_last(session, conversation_id, 1, "bot", "late") is None
    stored = chat.append_if_last(session, conversation_id, 2, "bot", "and more")
    assert stored is not None and stored.seq == 3


def test_a_desk_that_starts_after_a_crash_apologises_for_the_answer_lost_with_it(
    session: Session, conversation_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from tierline_desk.main import create_app

    backdate(session, conversation_id, 60)  # the desk that stored it died before answering
    monkeypatch.setattr(bot_relay, "LOOK_EVERY_SECONDS", 0.05)
    with TestClient(create_app()):
        deadline = time.monotonic() + 10
        while len(chat_lines(session, conversation_id)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert chat_lines(session, conversation_id) == [
        ("shopper", "where is it?"),
        ("bot", bot_relay.APOLOGY),
    ]


def chat_lines(session: Session, conversation_id: str) -> list[tuple[str, str]]:
    session.expire_all()
    return [(m.sender, m.text) for m in chat.messages_after(session, conversation_id, 0)]
