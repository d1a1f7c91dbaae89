"""The desk's safety net under Medusa's order events: a pass every ``STORE_POLL_SECONDS``.

Started by main.py's lifespan when STORE=medusa. Each pass (``MedusaStore.poll_once``, in a
worker thread: it is blocking HTTP and database work) reads the orders Medusa changed since the
previous pass into the index, the first one every order. Events bring a change in seconds;
a pass brings what an event missed: one lost on the way, or sent while the desk was down.
"""

from __future__ import annotations

import asyncio
import logging
import time

from ..port import StorePort, StoreRefused, StoreUnavailable

log = logging.getLogger("tierline_desk.store.medusa.poller")


async def poll_forever(store: StorePort, seconds: float) -> None:
    poll = getattr(store, "poll_once", None)
    if poll is None:
        return
    while True:
        start = time.monotonic()
        try:
            written = await asyncio.to_thread(poll)
            if written:
                log.info("store poll: %s order(s) refreshed", written)
        except (StoreUnavailable, StoreRefused) as exc:
            log.warning("store poll: %s", exc.message)
        except Exception:  # never let the loop die: the next pass tries again
            log.exception("store poll failed")
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - start)))
