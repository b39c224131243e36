"""rasa_sdk custom actions: thin wrappers that call into the ``bot`` package."""
