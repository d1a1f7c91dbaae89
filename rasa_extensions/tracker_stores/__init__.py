"""Tracker stores Tierline configures in endpoints.yml and endpoints-scaled.yml."""
