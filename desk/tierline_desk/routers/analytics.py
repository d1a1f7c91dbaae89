"""Placeholder: filled in by the work on issue 3 (see main.py)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
