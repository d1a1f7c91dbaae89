"""Reading a websocket's frames the same way on every door (the web chat, the live console)."""

from __future__ import annotations

from fastapi import WebSocket, WebSocketDisconnect


async def receive_text(ws: WebSocket) -> str | None:
    """The next text frame; None for a binary one (``receive_text`` would raise KeyError)."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    return text if isinstance(text, str) else None
