"""Helpers shared by the bot's tests, so that no test module imports another: trackers built
in code, the desk's data and answers, and the real services (PostgreSQL, Redis) started for them."""
