"""When a callback (回访) is due, who makes it, how, and what an unhappy answer leads to.

The one place of these rules (DOMAIN §6):

- **When** (seed 003_3768b4f8dd5fe83d.txt 「回访时间安排」): a complaint 投诉处理完毕后的三天内; a repair
  完成维修工程一周后，十天内. A complaint's window opens the day after it was handled, so the resident
  has seen the result before being asked (the seed sets only the end); a repair's opens on day 7
  and closes after day 10.
- **Which**: complaints and repairs. 特约 services do not exist in this product; inquiries and
  emergencies (求助) are "other work, as the supervisor plans" (seed 003 「回访时间安排」4): no
  automatic callback. A complaint nobody can be reached for — no phone and no chat — needs none
  (seed 003 回访管理制度 第十九条: 投诉人没留下姓名 … 可不进行回访), and is not counted in the rate.
  A ticket closed without being resolved (a duplicate, not a valid complaint) is not called back.
- **Who** (seed 003 「回访人员的安排」): 重大 complaints by the manager (公司主管经理); other complaints
  and repairs by customer service (seed 001_845d2214acddefe2.txt 前台接待: 回访反馈 … 及时对业主进行电话回访;
  seed 003: 专人负责) — the agents' role. A follow-up after an unhappy answer goes to the manager
  (seed 003 「回访工作操作要求」4: 回访内容反馈不合格的事件应上报主管经理).
- **How** (seed 003 「回访方式」, seed 002_5ac8522a3e6f9142.txt §5.5.4 网络拜访): the first callback in
  the resident's own chat when they wrote to us there, else by phone; a resident who does not
  answer in the chat within ``CALLBACK_CHAT_TIMEOUT_HOURS`` moves to the phone list; second and
  later callbacks by phone or visit (seed 003 回访管理制度 第十五条: 第二次以后 … 可采用电话回访形式).
- **Unhappy** (不满意/很不满意, or not fixed): the ticket is reopened (or, when it was closed, a
  follow-up ticket opened), the agents are alerted, and the next callback is scheduled — a second,
  third … (第十五条: 必须进行第二次、第三次甚至更多次的回访). A re-resolved ticket re-times it.
- **Rates** (seed 003 「回访率」, seed 002 §5.5.1): valid complaints 100 %, repairs ≥ 90 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot import settings
from bot.callbacks.status import Channel
from bot.clock import as_utc
from bot.roles import Role
from bot.satisfaction import Level

COMPLAINT, REPAIR = "complaint", "repair"
KINDS = (COMPLAINT, REPAIR)
MAJOR_COMPLAINT = "重大"  # the complaint class the manager calls back (bot.tickets.rules.complaint_class)
# The handoff request's reason when a resident answered unhappily in the chat: they wait in the
# queue for an agent (the console names the reason: bot.gateway.queueview.REASONS).
UNHAPPY_CALLBACK = "callback"


@dataclass(frozen=True)
class Window:
    opens_after: timedelta  # after the ticket was resolved
    closes_after: timedelta

    def times(self, resolved_at: datetime) -> tuple[datetime, datetime]:
        start = as_utc(resolved_at)
        return start + self.opens_after, start + self.closes_after


WINDOWS = {
    COMPLAINT: Window(timedelta(days=1), timedelta(days=3)),
    REPAIR: Window(timedelta(days=7), timedelta(days=10)),
}
RATE_TARGETS = {COMPLAINT: 1.0, REPAIR: 0.9}  # the share of callbacks done (seed 003 「回访率」)


class TicketFacts(Protocol):
    @property
    def category(self) -> str: ...

    @property
    def priority(self) -> str: ...

    @property
    def contact_phone(self) -> str: ...


@dataclass(frozen=True)
class Plan:
    """A callback to schedule: its window, who makes it and how."""

    kind: str
    attempt: int
    due_from: datetime
    due_by: datetime
    assignee_role: Role
    channel: Channel


def reachable(ticket: TicketFacts, in_chat: bool) -> bool:
    return bool(ticket.contact_phone.strip()) or in_chat


def plan(ticket: TicketFacts, resolved_at: datetime, *, in_chat: bool, attempt: int = 1) -> Plan | None:
    """The callback a resolved ticket needs, or None (no callback for its kind, nobody to reach).

    ``in_chat``: the resident wrote to us in the chat widget, so the assistant can ask there."""
    if ticket.category not in KINDS or not reachable(ticket, in_chat):
        return None
    due_from, due_by = WINDOWS[ticket.category].times(resolved_at)
    return Plan(ticket.category, attempt, due_from, due_by, assignee_role(ticket, attempt), channel(attempt, in_chat))


def assignee_role(ticket: TicketFacts, attempt: int = 1) -> Role:
    if attempt > 1 or (ticket.category == COMPLAINT and ticket.priority == MAJOR_COMPLAINT):
        return Role.MANAGER
    return Role.AGENT


def follow_up_plan(kind: str, attempt: int, now: datetime) -> Plan:
    """The next callback after an unhappy answer: the manager's, by phone, in the kind's window
    counted from now (moved to count from the new resolution when the ticket is resolved again)."""
    due_from, due_by = WINDOWS[kind].times(now)
    return Plan(kind, attempt, due_from, due_by, Role.MANAGER, Channel.PHONE)


def channel(attempt: int, in_chat: bool) -> Channel:
    return Channel.CHAT if attempt == 1 and in_chat else Channel.PHONE


def may_make(assignee_role: str, account_role: str) -> bool:
    """A manager may make every callback (the manager works the console too); an agent the agents'."""
    return account_role == Role.MANAGER or assignee_role == account_role == Role.AGENT


def unhappy(resolved: bool, level: Level) -> bool:
    """Not fixed, or 不满意/很不满意: reopen, alert the agents, call back again."""
    return not resolved or level.disappointed


def chat_timeout() -> timedelta:
    """How long an unanswered chat callback waits before it moves to the phone list."""
    return timedelta(hours=settings.callback_chat_timeout_hours())
