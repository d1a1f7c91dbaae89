"""Tierline's custom actions: the automated tier's logic, backed by the desk API."""
