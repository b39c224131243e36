"""The trainer workflow's core: export labels, retrain in the background, evaluate, promote, roll back.

Modules: ``export`` (annotations → ``nlu_data/annotated.yml``, ``rasa data validate``), ``jobs``
(background ``rasa train`` with progress), ``evaluation`` (held-out and external metrics, confusion
pictures), ``registry`` (model versions, the guardrail, promotion through Rasa's ``PUT /model``).
"""
