"""A resident's message: stored first, then to Rasa while the bot steers, otherwise to the agents
(and to Rasa, paused, which only records it). Frames go out through the notifier.

While Rasa works on a message the resident's widget gets ``{"type": "typing", "on": true}`` and,
when the replies are in (or Rasa failed), ``{"type": "typing", "on": false}``.

Nothing is lost (issue 11 §2). A message stored while the bot steers is a pending *turn*
(:mod:`bot.conversations.turns`) held by this process's lease until Rasa's replies are stored in
the same transaction that marks it done. One resident's turns run one at a time under the
conversation's turn lock (:mod:`bot.gateway.turn_locks`, shared through Redis), oldest first: a
message that finds earlier ones still waiting runs them first (:func:`catch_up`). When Rasa cannot
answer — or the action server is down (:mod:`bot.gateway.action_server`) — the message stays
pending (released at once), the resident is told politely that it is kept and will be answered,
and a live emergency has already been queued by the gateway's own rules;
:mod:`bot.gateway.recovery` replays the waiting turns when Rasa answers again, or, for those that
waited longer than ``TURN_STALE_SECONDS``, hands them to the agents with a plain notice naming
them. A turn cut by a crash (this process killed, Rasa dying mid-turn) is taken up the same way
once its lease lapses — by exactly one process. A resend of a stored client id whose turn never
finished gets it now.

While an emergency waits for an agent, each message the resident writes is also answered at once by
:func:`bot.gateway.aftercare.keep_company` (Rasa, paused, only records it): nobody is left alone.

What is a turn: text and quick-reply buttons (the payload is the command Rasa gets, replayed as
such). A photo never goes to Rasa (a photo alone must not open a ticket): it is stored with its
acknowledgement in one transaction, so it owes no turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import texts
from bot.clock import utcnow
from bot.communities import community_of_conversation
from bot.conversations import turns
from bot.conversations.alerts import claim_alerts, raise_early_alert
from bot.conversations.events import Posted, Queued, Reopened
from bot.conversations.lifecycle import conversation_status, may_withdraw, status_for_new_message, withdraw
from bot.conversations.status import Status
from bot.conversations.turns import Turn, TurnState
from bot.conversations.unserved import conversation_scope
from bot.gateway import aftercare
from bot.gateway.attachments import store_photo
from bot.gateway.draining import Draining
from bot.gateway.hub import FEATURES, KNOWN_FEATURES, wants  # noqa: F401 - the sockets' features, imported by the routes from here
from bot.gateway.offloop import in_session, in_thread, write_promptly
from bot.gateway.rasa_client import RASA_MAX_TEXT, RasaUnavailable
from bot.gateway.state import Gateway
from bot.gateway.transcript import by_client_id, store
from bot.intake.continuity import after_agent
from bot.intake.emergency import EmergencyOutcome, raise_with_agents
from bot.nlu.emergency import GuardResult, assess
from bot.nlu.withdrawals import takes_back_the_request
from bot.politeness.scripts import echo
from bot.storage import session_scope
from bot.storage.urgent import write_now

logger = logging.getLogger(__name__)

MAX_TEXT = RASA_MAX_TEXT
QUOTED_CHARS = 30  # of each message named in the notice that hands it to an agent
T = TypeVar("T")


def _bot_message(reply: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    buttons = [
        {"title": str(b.get("title", ""))[:40], "payload": str(b.get("payload", ""))[:200]}
        for b in reply.get("buttons") or []
        if isinstance(b, dict)
    ]
    return str(reply.get("text") or ""), ({"buttons": buttons} if buttons else None)


async def _deliver(
    gateway: Gateway, resident_id: str, role: str, text: str, payload: dict[str, Any] | None = None, to_agents: bool = False
) -> dict[str, Any]:
    """Store a message and send it: to the resident alone (the bot's words while it steers), or
    also to the consoles (``to_agents``: what a resident waiting for them was told)."""

    def transaction() -> dict[str, Any]:
        with session_scope() as session:
            return store(session, resident_id, role, text, payload)

    message = await in_thread(transaction)
    await gateway.notifier.publish(Posted(resident_id, message, to_agents=to_agents))
    return message


async def _resume_in_rasa(gateway: Gateway, reopened: Reopened) -> None:
    """The resident wrote into a resolved conversation: the bot steers again, with the finished
    case closed and who the resident is kept (bot.intake.continuity)."""
    try:
        await gateway.rasa.append_events(reopened.conversation_id, after_agent(handed_back=False))
        await gateway.rasa.resume(reopened.conversation_id)
    except RasaUnavailable as error:
        logger.warning("could not resume %s in Rasa: %s", reopened.conversation_id, error)


async def _open(gateway: Gateway, resident_id: str) -> Status:
    """The conversation's status; a resolved conversation is reopened for the bot."""
    with session_scope() as session:
        status, reopened = status_for_new_message(session, resident_id)
    if reopened:
        await _resume_in_rasa(gateway, reopened)
        await gateway.notifier.publish(reopened)
    return status


async def outlive_the_socket(gateway: Gateway, work: Awaitable[T]) -> T:
    """Await a resident's message handling so that it runs to its end even if the connection
    that brought it is lost meanwhile.

    Sanic cancels a handler when its connection drops. A turn cut there would leave the message
    stored but never answered until the recovery found it. Shielded, the turn finishes: Rasa
    answers, the replies are stored and reach the resident's other sockets and the history."""
    task = asyncio.ensure_future(work)
    gateway.turns.add(task)
    task.add_done_callback(gateway.turns.discard)
    return await asyncio.shield(task)


def stored_message(resident_id: str, client_id: str | None) -> dict[str, Any] | None:
    """The resident's stored message with this client id, if any (a resend of it needs no turn)."""
    if client_id is None:
        return None
    with session_scope() as session:
        return by_client_id(session, resident_id, client_id)


def _awaits_turn(message: dict[str, Any]) -> bool:
    with session_scope() as session:
        return turns.is_pending(session, message["id"])


async def echo_stored(gateway: Gateway, resident_id: str, client_id: str | None) -> bool:
    """When the conversation already holds a message with this client id (a resend), send the
    stored message back to the resident's sockets (the widget's outbox lets go of it) and say so.

    A resend whose turn never finished (the process that stored it was killed, Rasa was down) gets
    its turn now, after the conversation's earlier ones; one another process is running is left
    to it."""
    stored = await _echo(gateway, resident_id, client_id)
    if stored is None:
        return False
    if _awaits_turn(stored):
        await outlive_the_socket(gateway, answer_waiting(gateway, resident_id))
    return True


async def _echo(gateway: Gateway, resident_id: str, client_id: str | None) -> dict[str, Any] | None:
    """The stored message with this client id, sent back to the resident's sockets; None if none."""
    stored = None if client_id is None else await in_thread(lambda: stored_message(resident_id, client_id))
    if stored is not None:
        await gateway.notifier.publish(Posted(resident_id, stored, to_agents=False))
    return stored


async def answer_waiting(gateway: Gateway, conversation_id: str, wait: bool = True, retry_after: float = 0.0) -> bool:
    """Hold the conversation's turn lock and run its waiting turns (:func:`catch_up`). With
    ``wait=False`` a held lock raises :class:`~bot.gateway.turn_locks.TurnLockBusy`."""
    async with gateway.turn_locks.hold(conversation_id, wait):
        return await catch_up(gateway, conversation_id, retry_after)


def emergency_rules(text: str, command: str | None) -> GuardResult | None:
    """The emergency rules on a resident's text (jieba, pinyin: milliseconds of CPU); None for a
    button's command, which is no resident's words."""
    return None if command else assess(text[:MAX_TEXT])


async def handle_resident_text(
    gateway: Gateway,
    resident_id: str,
    text: str,
    command: str | None = None,
    client_id: str | None = None,
    emergency: GuardResult | None = None,
) -> None:
    """``text`` is what the resident sees; ``command`` a button payload sent to Rasa instead;
    ``client_id`` the widget's id for the message (a resend of a stored one is echoed, and run
    only if its turn never finished). The socket looked for a stored copy already
    (:func:`echo_stored`, before the rate limit); one stored since is found by the insert itself
    (the conversation's client ids are unique), not by a second look before it.

    The message (its pending turn, held by this process, and, for a live emergency, the agents'
    queue entry) is stored in one transaction; Rasa's request starts next, and the echo, the
    agents' alert and the typing bubble go out while Rasa works, so none of them delays the bot's
    answer. Earlier messages still waiting for Rasa are answered first. ``emergency``: what
    :func:`emergency_rules` found, when the caller ran them already."""
    async with gateway.turn_locks.hold(resident_id):
        now = utcnow()
        # The emergency rules (jieba, pinyin: milliseconds of CPU) run before the transaction, so
        # SQLite's write lock, which Rasa's tracker store and the action server wait for, is not
        # held meanwhile.
        if emergency is None:
            emergency = emergency_rules(text, command)

        def record(session: Session) -> tuple[Status, Reopened | None, dict[str, Any], bool, list[Queued], EmergencyOutcome | None]:
            status, reopened = status_for_new_message(session, resident_id)
            turn_columns = turns.begun(gateway.lease, now) if status.bot_steers else turns.settled(TurnState.AGENTS)
            payload = {"command": command} if command else None
            message = store(session, resident_id, "resident", text, payload, client_id, turn=turn_columns)
            behind = status.bot_steers and turns.waiting_before(session, resident_id, message["id"])
            early_alerts, raised = _raise_live_emergency(session, resident_id, text[:MAX_TEXT], emergency, status)
            return status, reopened, message, behind, early_alerts, raised

        try:
            if emergency is not None and emergency.is_emergency:
                # A live emergency goes first: its transaction starts on the event loop at once,
                # not queued behind other residents' transactions in the worker threads, and takes
                # SQLite's write lock as soon as it is free (bot.storage.urgent), so the agents'
                # alert leaves within milliseconds (docs/benchmarks.md, 2026-12-05).
                status, reopened, message, behind, early_alerts, raised = await write_now(record)
            else:  # the resident waits for this one too
                status, reopened, message, behind, early_alerts, raised = await write_promptly(record)
        except IntegrityError:
            # A resend stored meanwhile (the socket's check came before this turn lock: another
            # socket's, or another gateway process's, copy was stored first). The stored message
            # is echoed, and its turn run if it still waits, as for a resend caught at the socket.
            earlier = await _echo(gateway, resident_id, client_id)
            if earlier is None:
                raise
            logger.info("resend of %s in %s stored meanwhile: echoed", client_id, resident_id)
            if _awaits_turn(earlier):
                await catch_up(gateway, resident_id)
            return
        if reopened:
            await _resume_in_rasa(gateway, reopened)
            await gateway.notifier.publish(reopened)

        async def announce() -> None:
            await gateway.notifier.publish(Posted(resident_id, message, to_agents=not status.bot_steers))
            await gateway.notifier.publish(*early_alerts)
            if len(text) > MAX_TEXT:
                await _deliver(gateway, resident_id, "bot", texts.render("message.too_long", max_chars=MAX_TEXT))

        if not status.bot_steers:
            keep_company = status is Status.PENDING
            if keep_company and not command and takes_back_the_request(text) and await _withdraw(gateway, resident_id, announce):
                return

            async def announce_and_answer() -> None:
                await announce()
                if raised is not None:  # a danger written to the agents: what to do now, and its ticket
                    await _deliver(gateway, resident_id, "bot", aftercare.raised_with_agents_text(raised, status), to_agents=True)
                elif keep_company:  # waiting for an agent: an emergency answered at once, a person's wait acknowledged
                    danger = emergency.procedure_kind if emergency is not None and emergency.is_emergency else None
                    await aftercare.keep_company(gateway, resident_id, text[:MAX_TEXT], danger)

            await _record_for_agents(gateway, resident_id, command or text[:MAX_TEXT], announce_and_answer)
            return
        if behind:  # earlier messages still wait for Rasa: they go first, this one after them
            await announce()
            answered = await catch_up(gateway, resident_id)
        else:
            answered = await _take_turn(gateway, Turn(message["id"], resident_id, text, command, now), announce)
        if not answered:
            await _say_unanswered(gateway, resident_id, emergency)


async def _say_unanswered(gateway: Gateway, resident_id: str, emergency: GuardResult | None) -> None:
    """Rasa did not answer (down, or the gateway drains): the message waits for it. A live
    emergency, which the gateway's own rules have queued for the agents, is answered with what to
    do now for that danger (the agents see it too); anything else with the polite "stored, answered
    when the assistant is back"."""
    duty_phone = duty_phone_of(resident_id)
    if emergency is not None and emergency.is_emergency:
        text = aftercare.alerted_while_busy_text(emergency.procedure_kind, duty_phone)
        await _deliver(gateway, resident_id, "bot", text, to_agents=True)
        return
    busy = "message.assistant_restarting" if gateway.drain.draining else "message.assistant_busy"
    await _deliver(gateway, resident_id, "bot", texts.render(busy, duty_phone=duty_phone))


async def _withdraw(gateway: Gateway, resident_id: str, announce: Callable[[], Awaitable[None]]) -> bool:
    """「算了不用了」 while waiting for an agent nobody has claimed (never an emergency): the request is
    taken back — Rasa resumes first (a bot that steers must not be paused), then the conversation
    leaves the queue and the resident is told. False, and nothing changed, when it may not be taken
    back or Rasa cannot resume: the message goes to the agents as any other."""
    if not await in_thread(lambda: _may_withdraw(resident_id)):
        return False
    try:
        await gateway.rasa.append_events(resident_id, after_agent(handed_back=False))
        await gateway.rasa.resume(resident_id)
    except RasaUnavailable as error:
        logger.warning("could not resume %s in Rasa to take back its request: %s", resident_id, error)
        return False
    withdrawn = await in_session(withdraw, resident_id)
    if withdrawn is None:  # an agent claimed it meanwhile: the bot is paused again
        try:
            await gateway.rasa.append_events(resident_id, [{"event": "pause"}])
        except RasaUnavailable as error:
            logger.error("could not pause %s in Rasa again after a claim: %s", resident_id, error)
        return False
    await announce()
    await gateway.notifier.publish(withdrawn)
    return True


def _may_withdraw(conversation_id: str) -> bool:
    with session_scope() as session:
        return may_withdraw(session, conversation_id)


def duty_phone_of(conversation_id: str) -> str:
    """The duty phone of the conversation's community (issue 13: each community has its own)."""
    with session_scope() as session:
        return community_of_conversation(session, conversation_id).duty_phone


async def _record_for_agents(gateway: Gateway, resident_id: str, text: str, announce: Callable[[], Awaitable[None]]) -> None:
    """The agents have the conversation: they get the message; Rasa (paused) only records it and
    stays silent. Its recording is best effort (the trainer's inbox lists a message Rasa never
    parsed without an intent); no turn is owed."""
    rasa_turn = asyncio.ensure_future(_ask_rasa(gateway, resident_id, text))
    try:
        await asyncio.sleep(0)  # the request goes out now, before the echo
        await announce()
        await rasa_turn
    except (RasaUnavailable, Draining) as error:
        logger.warning("Rasa did not record %s's message (the agents have it): %s", resident_id, error)
        return
    except BaseException:
        rasa_turn.cancel()
        raise
    await gateway.notifier.queue()


async def _ask_rasa(gateway: Gateway, conversation_id: str, text: str) -> list[dict[str, Any]]:
    """Rasa's replies to one message (the one place a resident's text goes to Rasa). While the
    gateway drains (SIGTERM, bot.gateway.draining) no new Rasa turn starts, since the exit could cut
    it: the message stays stored and waiting, for another gateway or this one after its restart."""
    if gateway.drain.draining:
        raise Draining("the gateway is draining")
    return await gateway.rasa.send(conversation_id, text)


def _release(gateway: Gateway, conversation_id: str, retry_after: float = 0.0) -> None:
    """Let go of this process's waiting turns in the conversation (Rasa did not answer)."""
    retry_at = utcnow() + timedelta(seconds=retry_after) if retry_after else None
    with session_scope() as session:
        turns.release(session, conversation_id, gateway.lease.owner, retry_at)


async def _take_turn(
    gateway: Gateway, turn: Turn, announce: Callable[[], Awaitable[None]] | None = None, retry_after: float = 0.0
) -> bool:
    """Rasa's answer to one turn this process holds, stored (with the turn marked done, in one
    transaction) and delivered. False when Rasa could not answer: the turn waits again, released
    at once, or after ``retry_after`` seconds (Rasa was up but answered this one with an error:
    the recovery does not retry it in a loop). ``announce``: what the first turn of a new message
    sends while Rasa works (the echo, the early alerts).

    While the action server is down (:mod:`bot.gateway.action_server`) the turn is not sent to
    Rasa; when Rasa answers with nothing and the action server does not answer, the turn is taken
    back (:func:`_take_back`): False in both cases, as when Rasa is down."""
    conversation_id = turn.conversation_id
    if gateway.actions.down:  # Rasa would run the turn without its actions: it waits instead
        if announce is not None:
            await announce()
        logger.warning("no Rasa turn for %s: the action server is down (message %s waits)", conversation_id, turn.message_id)
        _release(gateway, conversation_id)
        return False
    gateway.running.add(turn.message_id)
    try:
        rasa_turn = asyncio.ensure_future(_ask_rasa(gateway, conversation_id, (turn.command or turn.text)[:MAX_TEXT]))
        try:
            await asyncio.sleep(0)  # the request goes out now, before the echo and the typing bubble
            if announce is not None:
                await announce()
            await typing(gateway, conversation_id, True)
            replies = await rasa_turn
            answers = [(reply_text, payload) for reply_text, payload in map(_bot_message, replies) if reply_text or payload]
            silent = not answers and not await gateway.actions.check()  # its actions failed
        except (RasaUnavailable, Draining) as error:
            level = logging.WARNING if isinstance(error, Draining) else logging.ERROR
            logger.log(level, "no Rasa turn for %s: %s (message %s waits)", conversation_id, error, turn.message_id)
            await typing(gateway, conversation_id, False)
            _release(gateway, conversation_id, retry_after)
            return False
        except BaseException:
            rasa_turn.cancel()
            _release(gateway, conversation_id)  # cut (shutdown): another process takes it up at once
            await typing(gateway, conversation_id, False)
            raise
        if silent:
            await _take_back(gateway, turn)
            await typing(gateway, conversation_id, False)
            return False
        await typing(gateway, conversation_id, False)

        def transaction(session: Session) -> tuple[list[dict[str, Any]], Status, list[Queued]] | None:
            # One transaction: the turn done, every reply, the status they left.
            if not turns.finish(session, turn.message_id, gateway.lease.owner):
                return None
            stored = [store(session, conversation_id, "bot", reply_text, payload) for reply_text, payload in answers]
            after = conversation_status(session, conversation_id)
            # An action queued the conversation (a request for a human, an emergency the rules
            # missed): announce what no process has announced yet, once.
            return stored, after, [] if after.bot_steers else claim_alerts(session, conversation_id)

        done = await write_promptly(transaction)
        if done is None:
            # This process lost the turn (its lease lapsed) and another took it over: its answer stands.
            logger.warning("turn of message %s in %s was taken over by another process", turn.message_id, conversation_id)
            return True
        stored, after, alerts = done
    finally:
        gateway.running.discard(turn.message_id)
    await gateway.notifier.publish(*(Posted(conversation_id, message, to_agents=False) for message in stored))
    if not after.bot_steers:
        await gateway.notifier.publish(*alerts)
        if not alerts:  # e.g. the action's ticket joined the early alert's request: new deadline
            await gateway.notifier.queue()
    return True


async def _take_back(gateway: Gateway, turn: Turn) -> None:
    """Rasa answered a turn with nothing and the action server does not answer: its actions
    failed (bot.gateway.action_server). Rasa's tracker is rewound to before the message (Rasa's
    ``rewind`` event, best effort) so that its replay is the turn Rasa sees, and the turn waits."""
    logger.error("no answer to message %s in %s: the action server is down (the message waits)", turn.message_id, turn.conversation_id)
    try:
        await gateway.rasa.append_events(turn.conversation_id, [{"event": "rewind"}])
    except RasaUnavailable as error:
        logger.warning("could not rewind %s's tracker: %s", turn.conversation_id, error)
    _release(gateway, turn.conversation_id)


async def catch_up(gateway: Gateway, conversation_id: str, retry_after: float = 0.0) -> bool:
    """Run the conversation's waiting turns, oldest first; the caller holds its turn lock.

    Each turn is claimed (one process wins it) and answered through :func:`_take_turn`. When the
    oldest waited longer than ``TURN_STALE_SECONDS``, or an agent has taken the conversation, the
    waiting turns go to the agents instead (:func:`flag_waiting`). Stops at a turn another process
    holds, letting go of this process's later ones (the recovery answers them after it). False when
    Rasa could not answer: the turns still wait."""
    def claim_the_oldest() -> tuple[Turn | None, bool, bool]:
        now = utcnow()
        with session_scope() as session:
            turn = turns.next_turn(session, conversation_id)
            if turn is None:
                return None, False, False
            to_agents = _stale(gateway, turn, now) or conversation_status(session, conversation_id) is Status.ASSIGNED
            return turn, to_agents, not to_agents and turns.claim(session, turn.message_id, gateway.lease, now)

    while True:
        turn, to_agents, claimed = await in_thread(claim_the_oldest)
        if turn is None:
            return True
        if to_agents:
            if not await flag_waiting(gateway, conversation_id):
                return True  # another process holds one of them
            continue
        if not claimed:
            # Another process runs the oldest (two processes without a shared turn lock): this
            # one's later turns wait for it, free for whoever sweeps next (bot.gateway.recovery).
            _release(gateway, conversation_id)
            return True
        if not await _take_turn(gateway, turn, retry_after=retry_after):
            return False


def _stale(gateway: Gateway, turn: Turn, now: datetime) -> bool:
    return turn.created_at < now - timedelta(seconds=gateway.config.turn_stale_seconds)


async def flag_waiting(gateway: Gateway, conversation_id: str) -> bool:
    """Hand the conversation's waiting turns to the agents: a handoff request (announced once, by
    this process) unless an agent has the conversation already, and a plain notice to the resident
    naming the messages an agent will answer. False when nothing was flagged."""
    with session_scope() as session:
        flagged = turns.flag_unanswered(session, conversation_id, gateway.lease, utcnow())
        if flagged is None:
            return False
        alerts = claim_alerts(session, conversation_id)
        quoted = "、".join(f"「{echo(turn.text[:QUOTED_CHARS])}」" for turn in flagged.turns)
        duty_phone = community_of_conversation(session, conversation_id).duty_phone
        notice = store(session, conversation_id, "bot", texts.render("message.to_agents", count=len(flagged.turns), messages=quoted, duty_phone=duty_phone))
    logger.warning("%d message(s) in %s not answered by the assistant in time: handed to the agents", len(flagged.turns), conversation_id)
    await gateway.notifier.publish(Posted(conversation_id, notice, to_agents=True))
    await gateway.notifier.publish(*alerts)
    if not alerts:
        await gateway.notifier.queue()
    return True


def _raise_live_emergency(
    session: Session, resident_id: str, text: str, result: GuardResult | None, status: Status
) -> tuple[list[Queued], EmergencyOutcome | None]:
    """Queue a live emergency the rules found in ``text``: the requests to announce now, and the
    emergency ticket opened here, if one was. ``result``: the emergency rules on ``text``
    (:func:`bot.nlu.emergency.assess`), None when they were not run; ``status``: the conversation's.

    While the bot steers, the pipeline's EmergencyGuard raises every message these rules flag to
    ``emergency``, so this only moves the alert earlier: the agents see it at once instead of
    after Rasa's turn (which may wait behind other residents'). Rasa still answers this turn with
    the safety instructions and opens the emergency ticket; ``raise_alert`` then joins its request
    to this one, and nothing is announced twice. With the agents (waiting for one, or talking with
    one) Rasa is paused and runs no action: the alert and the ticket are raised here
    (:func:`bot.intake.emergency.raise_with_agents`).
    """
    if result is None or not result.is_emergency:
        return [], None
    raised = None
    if status.bot_steers:
        logger.warning("emergency rules fired for %s: queued for agents before Rasa's answer", resident_id)
        alerts = raise_early_alert(session, resident_id, kind=result.procedure_kind, text=text)
    else:
        logger.warning("emergency rules fired for %s while with the agents (%s): alerted", resident_id, status)
        with_agents = raise_with_agents(session, resident_id, text, result.procedure_kind)
        alerts, raised = with_agents.alerts, with_agents.outcome
    if not alerts:
        return [], raised
    # Which consoles see the alert, read in this transaction: the alert leaves without another read.
    scope = conversation_scope(session, resident_id)
    return [replace(alert, scope=scope) for alert in alerts], raised


async def typing(gateway: Gateway, resident_id: str, on: bool) -> None:
    """Show or hide the resident's "对方正在输入…" bubble, on every process's sockets that asked for it."""
    await gateway.notifier.typing(resident_id, on)


async def handle_resident_photo(
    gateway: Gateway, resident_id: str, data: bytes, filename: str | None, client_id: str | None = None
) -> dict[str, Any]:
    """Store a checked photo as the resident's message; agents see it, the bot only acknowledges it.
    A resent upload (same ``client_id``) is answered with the stored message and acknowledged once."""
    async with gateway.turn_locks.hold(resident_id):
        earlier = stored_message(resident_id, client_id)
        if earlier is not None:
            return earlier
        status = await _open(gateway, resident_id)
        in_form = status.bot_steers and await gateway.rasa.active_form(resident_id) is not None
        try:
            with session_scope() as session:  # the photo and its acknowledgement together: no turn owed
                turn_state = (TurnState.DONE if status.bot_steers else TurnState.AGENTS).value
                stored = store_photo(session, resident_id, data, filename, client_id, turn_state, link=not in_form)
                reply = _photo_acknowledgement(status, stored.ticket_number, in_form)
                acknowledgement = None if reply is None else store(session, resident_id, "bot", reply)
        except IntegrityError:
            earlier = stored_message(resident_id, client_id)
            if earlier is None:
                raise
            return earlier
        await gateway.notifier.publish(Posted(resident_id, stored.message, to_agents=not status.bot_steers))
        if acknowledgement is None:
            await gateway.notifier.queue()
        else:
            await gateway.notifier.publish(Posted(resident_id, acknowledgement, to_agents=not status.bot_steers))
            if not status.bot_steers:
                await gateway.notifier.queue()
        return stored.message


def _photo_acknowledgement(status: Status, ticket_number: str | None, in_form: bool) -> str | None:
    """What the bot says about a photo (issue 12 §2): while it steers, where the photo went and a
    question about what it shows (or, mid-form, only that it is kept, so the form's own question
    stays the one to answer); while the conversation waits for an agent, that the agent will see it.
    Nothing when an agent has the conversation: the agent answers."""
    if status.bot_steers:
        if in_form:  # the photo waits for the ticket this form registers
            return texts.render("photo.in_form")
        return texts.render("photo.linked", number=ticket_number) if ticket_number else texts.render("photo.unlinked")
    if status is Status.PENDING:
        return texts.render("photo.waiting_linked", number=ticket_number) if ticket_number else texts.render("photo.waiting")
    return None
