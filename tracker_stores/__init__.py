"""Tracker stores Tierline configures in endpoints.yml."""
