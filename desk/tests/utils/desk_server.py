"""The desk served over real HTTP (uvicorn on a free port, in a thread), for a test that needs
something outside the test process to reach it: Medusa's subscriber posting order events (through
tests/utils/medusa_server.py's receiver), with the desk's lifespan (the store poller) running."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI
from tierline_common.ports import free_port


@contextlib.contextmanager
def serving(app: FastAPI, timeout: float = 60.0) -> Iterator[str]:
    """``app`` on 127.0.0.1 until the block ends; its base URL."""
    port = free_port()
    # log_config and log_level None, the access log on (uvicorn's default): uvicorn then leaves
    # the process's logging as it is. Its dictConfig, a level, or access_log=False would stop
    # uvicorn.access records reaching pytest's capture in every later test.
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="on",
            log_config=None,
            log_level=None,
        )
    )
    thread = threading.Thread(target=server.run, name="desk-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the desk under test did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
