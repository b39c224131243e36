"""Account roles, and which desk each role may use: the one table of who may do what.

- ``agent``: the agent console (``/agent``, ``/api/agent/*``, ``/ws/agent``): claims, answers,
  hands back and resolves residents' conversations.
- ``trainer``: the trainer desk (``/trainer``, ``/api/trainer/*``): labels residents' texts,
  retrains and releases models. A trainer never answers residents (issue 10: a trainer account
  could claim and answer residents while the agent API checked only the session).
- ``manager``: supervises the agents (the dashboard, ``/manager``) and administers the company
  (``/admin``, ``/api/admin/*``: accounts and roles, communities and their answers, issue 13); in
  the console a manager may do everything an agent may. Model releases stay with trainers.

Why the manager and not a fourth role for administration: the company's manager is the one who
hires, moves and lets go its agents and answers for what residents are told (DOMAIN §6, seed 004's
supervision); a separate role would be a second name for the same person. :data:`ADMIN_ROLES`
names the administration's roles apart from the dashboard's, so the two can part later in one line.
A manager never administers their own account (bot.gateway.agents): one manager cannot lock the
company out, and a change of a manager's account always has a second person behind it.

Every account may log out. The stored value is the enum's value; a CHECK constraint (migration
0004) keeps the column to these three.
"""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    AGENT = "agent"
    TRAINER = "trainer"
    MANAGER = "manager"

    def __str__(self) -> str:
        return self.value


CONSOLE_ROLES = frozenset({Role.AGENT, Role.MANAGER})  # the agent console
TRAINER_ROLES = frozenset({Role.TRAINER})  # the trainer desk
MANAGER_ROLES = frozenset({Role.MANAGER})  # the manager's dashboard and reports (issue 14)
ADMIN_ROLES = frozenset({Role.MANAGER})  # the company's administration: accounts, communities (issue 13)
EVERY_ROLE = frozenset(Role)  # what any logged-in account may do (log out)
