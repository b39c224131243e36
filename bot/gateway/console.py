"""What an agent does to a conversation: claim, reply, hand back to the bot, resolve.

Who may do what is decided by ``bot.conversations.capabilities`` and each change is an atomic
transition of ``bot.conversations.lifecycle``; the events go to the notifier, which sends the
notices, the agents' frames and the queue. Every answer carries the conversation's state after the
action (status and the agent's capabilities), so the console renders it without deciding anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.conversations import activity, lifecycle
from bot.conversations.capabilities import Account, Capabilities, capabilities
from bot.conversations.events import Event, Posted
from bot.conversations.status import Status
from bot.gateway.errors import NO_SUCH
from bot.gateway.rasa_client import RasaClient, RasaUnavailable
from bot.gateway.transcript import store
from bot.intake.continuity import after_agent
from bot.politeness import check
from bot.storage import session_scope
from bot.storage.models import Conversation
from bot.tickets.service import add_note, get_ticket, responded, ticket_to_dict

MAX_REPLY = 2000


class Publisher(Protocol):
    async def publish(self, *events: Event) -> None: ...


class Desk(Protocol):
    """What an agent's action needs from the running gateway (``bot.gateway.state.Gateway``)."""

    rasa: RasaClient
    notifier: Publisher


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int = 200
    error: str = ""
    detail: Any = None
    state: dict[str, Any] | None = None  # the conversation after the action: status and capabilities


class ConsoleAccount(Account, Protocol):
    """A logged-in console account (``bot.gateway.agents.LoggedIn``): the capabilities go by its
    login ``name``; residents are told ``shown_as``, its display name (客服张明, not 客服zhang)."""

    @property
    def shown_as(self) -> str: ...


def violations(text: str) -> list[dict[str, str]]:
    return [{"rule": v.rule, "phrase": v.phrase, "suggestion": v.suggestion} for v in check(text)]


def conversation_state(session: Session, conversation_id: str, account: Account) -> dict[str, Any] | None:
    """``{"status", "assigned_agent", "capabilities"}`` of a stored conversation for ``account``."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    return {
        "status": Status(conversation.status).value,
        "assigned_agent": conversation.assigned_agent,
        "capabilities": capabilities(conversation, account).as_dict(),
    }


def _may(conversation_id: str, account: Account) -> tuple[Conversation | None, Capabilities]:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        return conversation, capabilities(conversation, account)


def _done(conversation_id: str, account: Account) -> Outcome:
    with session_scope() as session:
        return Outcome(True, state=conversation_state(session, conversation_id, account))


async def claim(desk: Desk, conversation_id: str, account: ConsoleAccount) -> Outcome:
    refused = Outcome(False, 409, "这个会话已被其他客服接入或不在排队中")
    if not _may(conversation_id, account)[1].claim:
        return refused
    with session_scope() as session:
        event = lifecycle.claim(session, conversation_id, account.name, account.shown_as)  # of racing agents, one wins
        if event is not None:
            activity.record_claim(session, conversation_id, account.name, utcnow())  # seed 004: supervision
    if event is None:
        return refused
    await desk.notifier.publish(event)
    return _done(conversation_id, account)


def _refused_words(conversation_id: str, account: ConsoleAccount, text: str) -> Outcome | None:
    """What an agent writes to a resident: 1 to MAX_REPLY characters, and nothing the politeness
    checker flags (a refusal is counted for the supervision, seed 004)."""
    if not text or len(text) > MAX_REPLY:
        return Outcome(False, 400, f"回复内容需在1到{MAX_REPLY}字之间")
    found = violations(text)
    if found:
        with session_scope() as session:
            activity.record_refusal(session, conversation_id, account.name, text, found, utcnow())
        return Outcome(False, 422, "回复中有不规范用语，请修改后再发送", found)
    return None


async def reply(desk: Desk, conversation_id: str, account: ConsoleAccount, text: str) -> Outcome:
    text = text.strip()
    refused = _refused_words(conversation_id, account, text)
    if refused is not None:
        return refused
    if not _may(conversation_id, account)[1].reply:
        return Outcome(False, 409, "请先接入这个会话再回复")
    with session_scope() as session:
        message = store(session, conversation_id, "agent", text, {"agent": account.shown_as})
        now = utcnow()
        activity.record_reply(session, conversation_id, account.name, now)
        responded(session, conversation_id, now)  # the tickets' first response (the console's 响应 badge)
    await desk.notifier.publish(Posted(conversation_id, message))
    await desk.rasa.record_agent_reply(conversation_id, text, account.shown_as)
    return Outcome(True)


async def answer_ticket(desk: Desk, number: str, account: ConsoleAccount, text: str) -> Outcome:
    """Answer a ticket's resident in their conversation without taking it over — the question a
    hand-over registered (「客服专员会在…前在这里给您答复」), or news of a repair. The answer is a
    message from the agent (named as residents see them), a note in the ticket's history and the
    tickets' first response. Refused while the conversation waits in the queue (claim it), while
    another agent has it (they answer there), and for a ticket with no conversation (call the
    resident)."""
    text = text.strip()
    with session_scope() as session:
        ticket = get_ticket(session, number)
        conversation_id = ticket.conversation_id if ticket is not None else None
    if ticket is None:
        return Outcome(False, 404, NO_SUCH["ticket"])
    if not conversation_id:
        return Outcome(False, 409, "这张工单没有在线对话，请电话联系居民")
    refused = _refused_words(conversation_id, account, text)
    if refused is not None:
        return refused
    conversation, _ = _may(conversation_id, account)
    if conversation is not None and conversation.status == Status.PENDING:  # the claim is the way in (and stops the escalation)
        return Outcome(False, 409, "这个会话正在排队等待客服，请先接入，再在会话中答复")
    if conversation is not None and conversation.status == Status.ASSIGNED and conversation.assigned_agent != account.name:
        return Outcome(False, 409, f"客服{conversation.assigned_agent}正在这个会话中接待居民，请在会话中与其协调")
    with session_scope() as session:
        ticket = get_ticket(session, number)
        message = store(session, conversation_id, "agent", text, {"agent": account.shown_as, "event": "ticket_answer", "ticket": ticket.number})
        add_note(session, ticket, f"答复居民：{text}", actor=account.name)
        now = utcnow()
        activity.record_reply(session, conversation_id, account.name, now)
        responded(session, conversation_id, now)
        session.refresh(ticket)  # its history with the note, its first response
        answered = ticket_to_dict(ticket)
    await desk.notifier.publish(Posted(conversation_id, message, to_agents=True))
    await desk.rasa.record_agent_reply(conversation_id, text, account.shown_as)
    return Outcome(True, detail=answered)


async def hand_back(desk: Desk, conversation_id: str, account: ConsoleAccount) -> Outcome:
    conversation, may = _may(conversation_id, account)
    if conversation is None:
        return Outcome(False, 404, NO_SUCH["conversation"])
    if not may.hand_back:
        return Outcome(False, 409, "这个会话不在您的处理中")
    try:
        # Rasa first: a paused bot must not look active. The case the agent took over is closed for
        # the bot, who the resident is kept (bot.intake.continuity), then the tracker resumes.
        await desk.rasa.append_events(conversation_id, after_agent(handed_back=True))
        await desk.rasa.resume(conversation_id)
    except RasaUnavailable:
        return Outcome(False, 502, "智能助手暂时无法接回会话，请稍后再试")
    with session_scope() as session:
        event = lifecycle.hand_back(session, conversation_id, account.name, account.shown_as)
    if event is None:
        return Outcome(False, 409, "会话状态已变化，请刷新")
    await desk.notifier.publish(event)
    return _done(conversation_id, account)


async def resolve(desk: Desk, conversation_id: str, account: ConsoleAccount) -> Outcome:
    conversation, may = _may(conversation_id, account)
    if conversation is None:
        return Outcome(False, 404, NO_SUCH["conversation"])
    if not may.resolve:
        return Outcome(False, 409, "这个会话不在您的处理中")
    with session_scope() as session:
        event = lifecycle.resolve(session, conversation_id, account.name, account.shown_as)
    if event is None:
        return Outcome(False, 409, "会话状态已变化，请刷新")
    await desk.notifier.publish(event)
    return _done(conversation_id, account)
