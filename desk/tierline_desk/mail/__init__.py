"""Email to shoppers: templates, SMTP sending, the local mail catcher and its outbox.

- :mod:`.templates` builds each mail (what happened, reference numbers, what happens next),
- :mod:`.sender` turns it into an RFC 5322 message and sends it over SMTP, never raising,
- :mod:`.notify` is what the routers call after their transaction committed,
- :mod:`.transcripts` fetches a conversation from Rasa and mails it,
- :mod:`.catcher` is the development SMTP server that stores everything in a Maildir,
- :mod:`.outbox` reads that Maildir for ``GET /api/v1/outbox``.
"""
