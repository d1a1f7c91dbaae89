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


async def accept(ws: WebSocket, *, origin_allowed: bool) -> bool:
    """Accept the socket, or refuse it (close 1008) when its origin is not allowed; True when
    accepted."""
    if not origin_allowed:
        await ws.close(code=1008, reason="origin not allowed")
        return False
    await ws.accept()
    return True
