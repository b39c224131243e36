"""Satisfaction surveys (seed 003_3768b4f8dd5fe83d.txt 「客户满意度调查」, DOMAIN §6): the seed's form
(:mod:`.form`: six areas and their items, the overall question, the free-text questions) and the
periodic surveys a manager opens (:mod:`.periodic`). Every answer is a ``satisfaction_ratings`` row
on the one scale of :mod:`bot.satisfaction`, with its area and item."""
