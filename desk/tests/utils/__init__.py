"""Helpers shared by the desk's tests, so that no test module imports another: the test
secrets and demo customers, the console and web chat kits, the mail catcher, races (threads),
rows for the migration tests (old_schema), and the real services (Redis, Medusa, the desk over
HTTP) started for them."""
