"""The agents' door: the console's JSON API (``/console/api``, session cookie + CSRF, agent_auth.py)
and its web page (``/desk``).

Its routes are gathered in ``console/router.py``; the models are in ``console/schemas.py``.
"""
