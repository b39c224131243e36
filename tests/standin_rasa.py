"""The one stand-in for Rasa's HTTP server, for tests that need Rasa's side without a trained model.

A real HTTP server (``http.server``, in a thread, on a free port) that speaks the part of Rasa 3.6's
HTTP API the product calls, and records every request:

====================================================  =============================================
``POST /webhooks/rest/webhook``                       residents' texts (bot/gateway/rasa_client.py
                                                      ``send``; ``bench chat``'s direct comparison)
``GET /conversations/<id>/tracker``                   the slots the console shows (``slots``)
``POST /conversations/<id>/tracker/events``           agents' replies, ``resume`` after a hand-back
                                                      (``append_events``, ``resume``)
``PUT /model``                                        promotions and rollbacks
                                                      (bot/trainer/registry.py ``load_into_rasa``)
``GET /status``, ``GET /``                            liveness (bot/processes.py ``wait_for_http``)
====================================================  =============================================

What it answers, configured per test (attributes, changeable while it runs):

- ``replies[text]``: the messages (``{"text": …, "buttons": …}``) for that exact text; any other text
  gets ``echo + text`` (``收到：<text>``).
- ``emergencies``: texts treated as Rasa's emergency intent. The stand-in does what
  ``action_handle_emergency`` does — the real intake (:func:`bot.intake.emergency.handle_emergency`:
  the ticket, :func:`~bot.conversations.alerts.raise_alert`), answers with the ticket number and
  pauses the conversation.
- ``handoffs``: texts treated as ``request_human``: the real :func:`bot.intake.human.request_human`,
  the catalogue's ``human.handoff`` and a pause.
- Paused like Rasa: a paused conversation's texts are recorded (as ``user`` events) and not answered,
  until a ``resume`` event is posted to its tracker (the gateway does that on hand-back).
- ``slots[conversation_id]``: the tracker's slots; ``forms[conversation_id]``: the form its tracker
  has active (``active_loop``), as when Rasa is in the middle of asking a form's questions.
- Failures: ``delay`` (seconds before each webhook answer: a slow Rasa); ``hold_containing`` (a text
  containing it waits until ``release`` is set: a reply held while a test looks at the typing
  indicator); ``failure`` (an HTTP status, e.g. 500, every endpoint answers with); :meth:`go_down` /
  :meth:`come_back` (nothing listens on the port: Rasa down; then up again on the same URL). A Rasa
  that is never up is :func:`unreachable_url`.

Recorded: ``requests`` (every request: method, path, query, body), and by endpoint :attr:`webhook`
(the bodies posted to the REST channel), :meth:`appended` (the event lists posted to a tracker) and
:attr:`loads` (the model files ``PUT /model`` asked for); ``answering``: when each REST-channel turn
began and ended (``("begin" | "end", sender, text)``, in order), to tell overlapping turns apart.

The intake behind ``emergencies`` and ``handoffs`` writes where ``DATABASE_URL`` points, as in the
action server; with ``database_url`` the stand-in points ``DATABASE_URL`` there while it runs.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from bot import texts
from bot.intake.emergency import handle_emergency
from bot.intake.human import request_human
from bot.processes import free_port

WEBHOOK = "/webhooks/rest/webhook"
TRACKER = re.compile(r"^/conversations/(?P<conversation>[^/]+)/tracker(?P<events>/events)?$")
HOLD_TIMEOUT = 60.0  # a held reply is released by the test; never hang a run longer than this


def unreachable_url() -> str:
    """A Rasa that is down: a local port nothing listens on (every call fails to connect)."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass(frozen=True)
class Recorded:
    """One request the stand-in received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


class StandInRasa:
    """Rasa's HTTP API on a free port; use as a context manager (or :meth:`start` / :meth:`stop`)."""

    def __init__(
        self,
        *,
        database_url: str | None = None,
        replies: dict[str, list[dict[str, Any]]] | None = None,
        echo: str = "收到：",
        emergencies: Iterable[str] = (),
        handoffs: Iterable[str] = (),
        slots: dict[str, dict[str, Any]] | None = None,
        hold_containing: str | None = None,
    ) -> None:
        self.database_url = database_url
        self.replies: dict[str, list[dict[str, Any]]] = dict(replies or {})
        self.echo = echo
        self.emergencies: set[str] = set(emergencies)
        self.handoffs: set[str] = set(handoffs)
        self.slots: dict[str, dict[str, Any]] = dict(slots or {})
        self.forms: dict[str, str] = {}
        self.hold_containing = hold_containing
        self.release = threading.Event()
        self.release.set()  # nothing is held until a test clears it
        self.delay = 0.0
        self.failure: int | None = None
        self.requests: list[Recorded] = []
        self.answering: list[tuple[str, str, str]] = []
        self.paused: set[str] = set()
        self.model_file: str | None = None
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._port = 0
        self._previous_database_url: str | None = None

    # ------------------------------------------------------------------ running

    @property
    def url(self) -> str:
        assert self._port, "the stand-in Rasa has not been started"
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> StandInRasa:
        if self.database_url is not None:
            self._previous_database_url = os.environ.get("DATABASE_URL")
            os.environ["DATABASE_URL"] = self.database_url
        self._serve(0)
        return self

    def stop(self) -> None:
        self.release.set()  # a held request must not outlive the test
        self.go_down()
        if self.database_url is not None:
            if self._previous_database_url is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = self._previous_database_url

    def __enter__(self) -> StandInRasa:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def go_down(self) -> None:
        """Stop listening: calls to :attr:`url` are refused, as when Rasa is down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def come_back(self) -> None:
        """Listen again on the same port (the URL the gateway was given stays right)."""
        if self._server is None:
            self._serve(self._port)

    def _serve(self, port: int) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, name=f"standin-rasa-{self._port}", daemon=True).start()

    # ------------------------------------------------------------------ what was asked

    @property
    def webhook(self) -> list[Any]:
        """The bodies posted to the REST channel, in order."""
        return [r.body for r in self.requests if r.method == "POST" and r.path == WEBHOOK]

    def appended(self, conversation_id: str) -> list[Any]:
        """The bodies posted to ``conversation_id``'s tracker events, in order."""
        return [r.body for r in self.requests if r.method == "POST" and r.path == f"/conversations/{conversation_id}/tracker/events"]

    @property
    def loads(self) -> list[str]:
        """The model files ``PUT /model`` asked for, in order."""
        return [r.body.get("model_file") for r in self.requests if r.method == "PUT" and r.path == "/model" and isinstance(r.body, dict)]

    def tracker(self, conversation_id: str, include_events: bool = True) -> dict[str, Any]:
        with self._lock:
            events = list(self._events.get(conversation_id, []))
        return {
            "sender_id": conversation_id,
            "slots": dict(self.slots.get(conversation_id, {})),
            "paused": conversation_id in self.paused,
            "active_loop": {"name": self.forms[conversation_id]} if conversation_id in self.forms else {},
            "events": events if include_events else None,
        }

    # ------------------------------------------------------------------ answering

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def _remember(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        with self._lock:
            self._events.setdefault(conversation_id, []).extend(events)
        for event in events:
            if event.get("event") == "pause":
                self.paused.add(conversation_id)
            elif event.get("event") == "resume":
                self.paused.discard(conversation_id)

    def answer(self, sender: str, text: str) -> list[dict[str, Any]]:
        """The REST channel's reply to ``text`` from ``sender`` (see the module's docstring)."""
        with self._lock:
            self.answering.append(("begin", sender, text))
        try:
            return self._answer(sender, text)
        finally:
            with self._lock:
                self.answering.append(("end", sender, text))

    def _answer(self, sender: str, text: str) -> list[dict[str, Any]]:
        if self.delay:
            time.sleep(self.delay)
        if self.hold_containing and self.hold_containing in text:
            self.release.wait(HOLD_TIMEOUT)
        self._remember(sender, [{"event": "user", "text": text}])
        if sender in self.paused:
            return []  # Rasa records a paused conversation's messages and stays silent
        if text in self.emergencies:  # action_handle_emergency: the ticket, the queue, a pause
            outcome = handle_emergency(sender, text, None, None)
            replies: list[dict[str, Any]] = [{"text": f"工单号 {outcome.ticket_number}"}]
            self._remember(sender, [{"event": "pause"}])
        elif text in self.handoffs:  # action_request_human: the queue, a pause
            request_human(sender, text)
            replies = [{"text": texts.render("human.handoff", joining=texts.render("human.joining"))}]
            self._remember(sender, [{"event": "pause"}])
        elif text in self.replies:
            replies = self.replies[text]
        else:
            replies = [{"text": self.echo + text}]
        return [{"recipient_id": sender, **reply} for reply in replies]


def _handler_for(rasa: StandInRasa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, data: Any = None) -> None:
            body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
            self.send_response(status)
            if body:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            path, query = unquote(parts.path), dict(parse_qsl(parts.query))
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            rasa._record(Recorded(self.command, path, query, body))
            if rasa.failure is not None:
                self._reply(rasa.failure, {"status": "failure", "code": rasa.failure, "message": "stand-in failure"})
                return
            tracker = TRACKER.match(path)
            if self.command == "POST" and path == WEBHOOK:
                if not isinstance(body, dict) or not isinstance(body.get("message"), str):
                    self._reply(400, [])
                    return
                self._reply(200, rasa.answer(str(body.get("sender", "default")), body["message"]))
            elif tracker and tracker["events"] and self.command == "POST":
                events = body if isinstance(body, list) else [body]
                rasa._remember(tracker["conversation"], [e for e in events if isinstance(e, dict)])
                self._reply(200, rasa.tracker(tracker["conversation"], query.get("include_events") != "NONE"))
            elif tracker and not tracker["events"] and self.command == "GET":
                self._reply(200, rasa.tracker(tracker["conversation"], query.get("include_events") != "NONE"))
            elif self.command == "PUT" and path == "/model":
                rasa.model_file = body.get("model_file") if isinstance(body, dict) else None
                self._reply(204)
            elif self.command == "GET" and path == "/status":
                self._reply(200, {"model_file": rasa.model_file, "num_active_training_jobs": 0})
            elif self.command == "GET" and path == "/":
                self._reply(200, "Hello from Rasa (stand-in)")
            else:
                self._reply(404, {"status": "failure", "code": 404, "message": f"no {self.command} {path} on the stand-in"})

        do_GET = do_POST = do_PUT = _handle  # http.server calls do_<METHOD>

    return Handler

