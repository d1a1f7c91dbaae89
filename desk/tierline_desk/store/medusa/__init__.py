"""Tierline on a Medusa v2 store: the local dev server, the Admin API client, the seeder."""
