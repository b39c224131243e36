"""Conversations and the agents' queue: the one place that knows a conversation's lifecycle.

After Chatwoot's conversation model (``app/models/conversation.rb``): the status is declared once
(:mod:`.status`); the transitions are atomic conditional UPDATEs that return an event, or ``None``
when they did not happen (:mod:`.lifecycle`, :mod:`.events`); who may act is decided once
(:mod:`.capabilities`); the queue's response deadline once (:mod:`.sla`); and an emergency is
queued by one function only (:func:`.alerts.raise_alert`). Nobody else compares status strings.

Transitions (``bot`` is the assistant steering, not the message role)::

    bot | resolved  --request_handoff / raise_alert-->  pending     Queued
    pending         --claim------------------------->  assigned    Claimed   (one of racing agents)
    pending | assigned --hand_back------------------>  bot         HandedBack
    pending | assigned --resolve-------------------->  resolved    Resolved
    resolved        --a new resident message-------->  bot         Reopened

A request for a conversation already waiting or assigned raises its priority instead of
starting a new wait (``Queued`` still reports the new request, or, for an emergency that joins
the open one, ``raise_alert`` returns ``None``). The gateway turns events into frames in one place,
:mod:`bot.gateway.notifier`.
"""
