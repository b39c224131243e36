"""Callbacks (回访): the service loop after a ticket is resolved (DOMAIN §6, seed
003_3768b4f8dd5fe83d.txt 「客户回访」, seed 001_845d2214acddefe2.txt 回访管理制度 and 前台接待's 回访反馈,
seed 002_5ac8522a3e6f9142.txt §5.5).

- :mod:`.rules`: when a callback is due, who makes it, by which channel, the target rates, and what
  an unhappy answer leads to — the one place these rules live.
- :mod:`.status`: the stored status, channel and method, and the state a list shows (due, overdue …).
- :mod:`.schedule`: resolving a ticket schedules its callback; a re-resolved ticket re-times the one
  still open.
- :mod:`.desk`: what happens to a callback: sent in the chat (claimed by one gateway process),
  claimed and recorded by an agent, answered by the resident; an unhappy answer's follow-up;
  unanswered chat callbacks moving to the phone list; the agents' list.

Lifecycle (``status``, each change a conditional UPDATE)::

    scheduled --send in the chat (one gateway process)-->  sent
    sent      --no answer within the set time---------->  scheduled (channel phone: the agents' list)
    scheduled | sent --an agent claims----------------->  claimed   (one of racing agents)
    sent | scheduled | claimed --the resident answers-->  done      (method chat)
    claimed   --the agent records the call or visit---->  done
"""
