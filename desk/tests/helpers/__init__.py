"""Helpers shared by the desk's tests: real services started for them."""
