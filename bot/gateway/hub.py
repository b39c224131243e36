"""Open WebSockets: each resident's tabs and every agent console, and sending to them.

With a :class:`~bot.gateway.pubsub.RedisFanout` attached, every frame also reaches the sockets of
the other gateway processes (through a Redis stream: not lost while Redis restarts). A frame for a
protocol feature (``typing``) reaches only the sockets that asked for it, on whichever process
holds them: the feature travels with the frame and each process filters its own sockets
(:data:`FEATURES` is per socket).
"""

from __future__ import annotations

import json
import logging
import weakref
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.gateway.pubsub import RedisFanout

logger = logging.getLogger(__name__)

# What each resident socket asked for with ``/ws/resident?…&features=typing,refused`` (the widget
# asks for both): ``typing`` frames, and ``refused`` (the text of a rate-limited message in the
# notice, so the widget can give it back to the resident). Other clients get the plain protocol.
FEATURES: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()
KNOWN_FEATURES = frozenset({"typing", "refused"})
SESSION_ENDED = 4401  # the close code of a console whose session ended (as a socket without one: agent_auth)


def wants(socket: Any, feature: str) -> bool:
    return feature in FEATURES.get(socket, frozenset())


class Socket(Protocol):
    async def send(self, data: str) -> None: ...


# A frame as one console's account sees it (the queue with what that account may do); frames
# published over Redis carry no viewer, so each process applies it to its own sockets.
View = Callable[[dict[str, Any], Any], dict[str, Any] | None]


def same_for_everyone(frame: dict[str, Any], viewer: Any) -> dict[str, Any]:
    return frame


class Hub:
    def __init__(self, view: View = same_for_everyone) -> None:
        self.residents: dict[str, set[Socket]] = defaultdict(set)
        self.agents: dict[Socket, Any] = {}  # each console socket and its logged-in account
        self.view = view
        self.fanout: RedisFanout | None = None

    def attach(self, fanout: RedisFanout) -> None:
        self.fanout = fanout
        fanout.start(self.deliver_local)

    async def _send(self, sockets: list[Socket], frame: dict[str, Any]) -> None:
        data = json.dumps(frame, ensure_ascii=False)
        for socket in sockets:
            await _send_one(socket, data)

    async def _send_to_agents(self, frame: dict[str, Any]) -> None:
        encoded: dict[int, str] = {}  # one encoding per distinct view (most frames: one for all)
        viewed = [(socket, self.view(frame, account)) for socket, account in list(self.agents.items())]
        for socket, shown in viewed:
            if shown is None:
                continue  # not for this console (another community's conversation: bot.gateway.visibility)
            data = encoded.get(id(shown))
            if data is None:
                data = encoded[id(shown)] = json.dumps(shown, ensure_ascii=False)
            await _send_one(socket, data)

    async def deliver_local(self, target: str, resident_id: str | None, frame: dict[str, Any], feature: str | None = None) -> None:
        if target == "resident" and resident_id:
            sockets = list(self.residents.get(resident_id, ()))
            await self._send([s for s in sockets if wants(s, feature)] if feature else sockets, frame)
        elif target == "agents":
            await self._send_to_agents(frame)
        elif target == "account" and isinstance(frame.get("agent_id"), int):
            await self._close_account(frame["agent_id"])

    async def _close_account(self, agent_id: int) -> None:
        for socket, account in list(self.agents.items()):
            if getattr(account, "agent_id", None) == agent_id:
                self.agents.pop(socket, None)
                try:
                    await socket.close(code=SESSION_ENDED, reason="session ended")  # type: ignore[attr-defined]
                except Exception as error:  # closed already
                    logger.debug("close failed: %s", error)

    async def to_resident(self, resident_id: str, frame: dict[str, Any], feature: str | None = None) -> None:
        """To every socket of the resident, on every process; with ``feature``, only to the
        sockets that asked for it."""
        await self.deliver_local("resident", resident_id, frame, feature)
        if self.fanout is not None:
            await self.fanout.publish("resident", resident_id, frame, feature)

    async def to_agents(self, frame: dict[str, Any]) -> None:
        await self.deliver_local("agents", None, frame)
        if self.fanout is not None:
            await self.fanout.publish("agents", None, frame)

    async def end_sessions(self, agent_id: int) -> None:
        """Close the account's console sockets on every process (a manager disabled the account,
        reset its password or changed its role: bot.gateway.agents). The console reconnects, and
        the socket's check of the session decides afresh (4401: it reloads into the login form)."""
        frame = {"type": "session_ended", "agent_id": agent_id}
        await self.deliver_local("account", None, frame)
        if self.fanout is not None:
            await self.fanout.publish("account", None, frame)


async def _send_one(socket: Socket, data: str) -> None:
    try:
        await socket.send(data)
    except Exception as error:  # a closed socket is dropped by its own handler
        logger.debug("send failed: %s", error)
