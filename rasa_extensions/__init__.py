"""Tierline's extensions to Rasa and rasa-sdk, each named by a class path in the bot's config.

- ``channels``: the signed REST input channel (credentials.yml)
- ``tracker_stores``: session-bounded and guarded SQL tracker stores (endpoints*.yml)
- ``runtime``: the Rasa launcher, the off-loop Redis lock store, start-up speed-ups
- ``nlp``: the offline spaCy pipeline and the promo-code extractor (config.yml)
- ``sdk_plugins``: the action server's start-up hooks (through ``rasa_sdk_plugins``)
"""
