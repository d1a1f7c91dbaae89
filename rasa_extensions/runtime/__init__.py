"""Tierline's changes to how the Rasa server runs (installed by the tracker store at start-up)."""
