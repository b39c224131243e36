"""rasa_sdk custom actions: thin wrappers that call into the ``bot`` package."""

from bot.nlu.entities import warm_up

# The action server imports this package once at start: load spaCy and jieba then, not during the
# first resident's form (py-spy showed that first turn spending seconds importing spaCy).
warm_up()
