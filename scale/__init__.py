"""Checks of Tierline through its public door (the desk): hostile input, RBAC (docs/security.md).

Plain Python 3.12, no Rasa imports: run against a live desk (``python -m scale.hostile --url``)
or, in the desk's tests, against a FastAPI TestClient.
"""
