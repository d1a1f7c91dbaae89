"""Tracker stores for Tierline's distributed mode."""
