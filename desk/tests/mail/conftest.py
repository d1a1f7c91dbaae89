from tests.utils.mail_catcher import catcher, dead_smtp

__all__ = ["catcher", "dead_smtp"]
