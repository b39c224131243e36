"""NLU: rule-based entities, the emergency guard and their Rasa components."""

# Rasa parses at most this many characters of a message: the gateway forwards no more (and tells the
# resident so), and the trainer's inbox matches stored messages to Rasa's events cut the same way.
RASA_MAX_TEXT = 5000
