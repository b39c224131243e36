"""What the actions do: repair, complaint, inquiry, emergency, status, clarify, rating (above the domain rules, below the actions)."""
