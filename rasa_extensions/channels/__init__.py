"""Rasa input channels for Tierline."""
