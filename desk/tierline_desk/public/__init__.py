"""The public door: what anyone on the internet reaches without a desk credential.

The shopper's web chat (``/chat/...``), the demo shop (``/``) and the store's signed order
events (``/store/events/...``). Its routes are gathered in ``public/router.py``; the web chat's
models are in ``public/schemas.py``.
"""
