"""NLU: rule-based entities, the emergency guard and their Rasa components."""
