from tests.mail.catcher_fixture import catcher, dead_smtp

__all__ = ["catcher", "dead_smtp"]
