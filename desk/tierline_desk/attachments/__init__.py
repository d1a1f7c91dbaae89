"""Evidence a shopper attaches in the web chat: photos (JPEG, PNG, HEIC) and PDFs.

- :mod:`.checks`: what a file really is, by its content; refuses what is unsafe; re-encodes
  images without their metadata and makes a thumbnail.
- :mod:`.stores`: where the bytes live (a local directory, or the database's
  ``attachment_blobs`` table that every replica shares): ``ATTACHMENT_STORE``.
- :mod:`.links`: short-lived signed links, the only way a file is served.
- :mod:`.service`: the one entry point for callers (the chat, the console, mail, inbound email):
  ``save``, ``attach_to_message``, ``for_conversation``, ``describe``, ``read``.

docs/evidence.md describes the limits, the signing and the hostile files.
"""
