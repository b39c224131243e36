"""Where a chat turn's time goes: ``bench chat --segments``.

Three views of every turn are joined on the machine's monotonic clock (:mod:`bot.timings`): the
bench's own (text sent, first bot frame or HTTP reply received), the gateway's Rasa client (request
out, reply in) and the Rasa server's ``handle_message`` (start, end; within it the wait for the
conversation's lock and the calls to the action server). A turn's segments:

============== =================================================== ==================================
segment        gateway path                                        direct path (Rasa's REST channel)
============== =================================================== ==================================
gateway in     frame sent → the gateway's request to Rasa leaves   —
               (socket, frame handling, the first transaction)
to Rasa        → Rasa's ``handle_message`` starts (HTTP, Rasa's     request sent → handler starts
               loop: a busy Rasa makes requests wait here)
Rasa turn      ``handle_message`` (lock wait, NLU, policies,       the same
               action server calls — reported apart)
from Rasa      → the reply is back in the gateway                   → the reply is back in the bench
gateway out    → the bot frame reaches the resident (the second     —
               transaction, the frames)
============== =================================================== ==================================

The gateway/direct p95 ratio is explained by comparing the segments' percentiles on both paths and,
above all, by the turns in each path's tail (at or above its p95): the mean of each segment there
says which part made them slow.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any

GATEWAY = ("gateway in", "to Rasa", "Rasa turn", "from Rasa", "gateway out")
DIRECT = ("to Rasa", "Rasa turn", "from Rasa")
INSIDE_RASA = ("lock wait", "action calls", "Rasa own")


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


class _Index:
    """Rows of one role by sender, ordered by a stamp, to find the one inside a turn's window."""

    def __init__(self, rows: list[dict[str, Any]], stamp: str) -> None:
        self.stamp = stamp
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            self.rows[str(row.get("sender"))].append(row)
        self.keys = {}
        for sender, items in self.rows.items():
            items.sort(key=lambda r: r[stamp])
            self.keys[sender] = [r[stamp] for r in items]

    def within(self, sender: str, start: float, end: float) -> dict[str, Any] | None:
        keys = self.keys.get(sender)
        if not keys:
            return None
        i = bisect.bisect_left(keys, start)
        return self.rows[sender][i] if i < len(keys) and keys[i] <= end else None


def join(turns: list[tuple[str, float, float]], rows: list[dict[str, Any]], through_gateway: bool) -> list[dict[str, float]]:
    """Each turn ``(sender, sent, received)`` split into its segments (ms); turns whose rows are
    missing (a process without timings, a failed request) are left out."""
    gateway = _Index([r for r in rows if r.get("role") == "gateway"], "sent")
    rasa = _Index([r for r in rows if r.get("role") == "rasa"], "started")
    joined = []
    for sender, sent, received in turns:
        handled = rasa.within(sender, sent, received)
        if handled is None:
            continue
        inside = {
            "lock wait": float(handled.get("lock_ms") or 0.0),
            "action calls": float(handled.get("actions_ms") or 0.0),
        }
        turn_ms = (handled["finished"] - handled["started"]) * 1000
        inside["Rasa own"] = max(0.0, turn_ms - inside["lock wait"] - inside["action calls"])
        if through_gateway:
            request = gateway.within(sender, sent, handled["started"])
            if request is None:
                continue
            segments = {
                "gateway in": (request["sent"] - sent) * 1000,
                "to Rasa": (handled["started"] - request["sent"]) * 1000,
                "Rasa turn": turn_ms,
                "from Rasa": (request["replied"] - handled["finished"]) * 1000,
                "gateway out": (received - request["replied"]) * 1000,
            }
        else:
            segments = {"to Rasa": (handled["started"] - sent) * 1000, "Rasa turn": turn_ms, "from Rasa": (received - handled["finished"]) * 1000}
        joined.append({"total": (received - sent) * 1000, **segments, **inside})
    return joined


def describe(joined: list[dict[str, float]], names: tuple[str, ...]) -> dict[str, Any]:
    """Per segment p50/p95/p99, and the mean of each segment over the tail (turns ≥ the total's p95)."""
    totals = [turn["total"] for turn in joined]
    p95 = _percentile(totals, 95)
    tail = [turn for turn in joined if p95 is not None and turn["total"] >= p95]
    result: dict[str, Any] = {"turns": len(joined), "tail_turns": len(tail), "segments": {}}
    for name in ("total", *names, *INSIDE_RASA):
        values = [turn[name] for turn in joined]
        result["segments"][name] = {
            "p50_ms": _percentile(values, 50), "p95_ms": _percentile(values, 95), "p99_ms": _percentile(values, 99),
            "tail_mean_ms": sum(turn[name] for turn in tail) / len(tail) if tail else None,
        }
    return result


def explain(gateway_turns: list[tuple[str, float, float]], direct_turns: list[tuple[str, float, float]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "gateway": describe(join(gateway_turns, rows, True), GATEWAY),
        "direct": describe(join(direct_turns, rows, False), DIRECT),
    }


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(result: dict[str, Any]) -> str:
    gateway, direct = result["gateway"], result["direct"]
    rows = [
        f"segments: {gateway['turns']} gateway turns joined ({gateway['tail_turns']} in the tail ≥ p95), {direct['turns']} direct",
        "| segment | gateway p50 / p95 / p99 ms | gateway tail mean ms | direct p50 / p95 / p99 ms | direct tail mean ms |",
        "|---|---|---|---|---|",
    ]
    for name in ("total", *GATEWAY, *INSIDE_RASA):
        g = gateway["segments"].get(name, {})
        d = direct["segments"].get(name, {})
        rows.append(
            f"| {name} | {_ms(g.get('p50_ms'))} / {_ms(g.get('p95_ms'))} / {_ms(g.get('p99_ms'))} | {_ms(g.get('tail_mean_ms'))} "
            f"| {_ms(d.get('p50_ms'))} / {_ms(d.get('p95_ms'))} / {_ms(d.get('p99_ms'))} | {_ms(d.get('tail_mean_ms'))} |"
        )
    return "\n".join(rows)
