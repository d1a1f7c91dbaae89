"""rasa-sdk's plugin hook; the hooks themselves live in rasa_extensions/sdk_plugins.py.

It stays at the root: rasa_sdk/plugin.py imports a top-level package of exactly this name.
"""

from rasa_extensions.sdk_plugins import init_hooks as init_hooks
