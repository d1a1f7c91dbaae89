"""Tierline's offline spaCy pipeline: rule-based entities for the Rasa NLU pipeline."""
