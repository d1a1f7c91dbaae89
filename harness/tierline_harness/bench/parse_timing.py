"""Milliseconds per message of one trained model, for the bench's pipelines phase (run.py).

Runs in the bot's venv (it imports Rasa), by path:
`.venv/bin/python harness/tierline_harness/bench/parse_timing.py MODEL SPLIT...`. Parses every
message of the given NLU files once with ``Agent.parse_message`` (what the Rasa server calls for
each incoming message), after one warm-up parse, and prints the durations in milliseconds as one
JSON list on the last line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data


async def durations_ms(model: str, paths: list[str]) -> list[float]:
    """One parse per message of the files at paths, in milliseconds."""
    agent = Agent.load(model)
    texts: list[str] = [m.get("text") for path in paths for m in load_data(path).intent_examples]
    await agent.parse_message(texts[0])
    durations = []
    for text in texts:
        began = time.perf_counter()
        await agent.parse_message(text)
        durations.append((time.perf_counter() - began) * 1000)
    return durations


if __name__ == "__main__":
    print(json.dumps([round(ms, 3) for ms in asyncio.run(durations_ms(sys.argv[1], sys.argv[2:]))]))
