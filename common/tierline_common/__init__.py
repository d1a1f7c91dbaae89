"""Code the bot (Python 3.10) and the desk (Python 3.12) share; both environments install it."""
