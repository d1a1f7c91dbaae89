"""The bot's door: the JSON API under ``/api/v1``, behind the shared bearer token (auth.py).

Its routes are gathered in ``api/router.py``; the request and response models are in
``api/schemas.py`` (the contract in docs/backend-api.md).
"""
