"""Which ticket status changes an agent may make (DOMAIN: new → dispatched → in_progress → resolved → closed)."""

from __future__ import annotations

ALLOWED: dict[str, tuple[str, ...]] = {
    "new": ("dispatched", "in_progress", "resolved", "closed"),
    "dispatched": ("in_progress", "resolved", "closed"),
    "in_progress": ("resolved", "closed"),
    "resolved": ("in_progress", "closed"),  # reopened when the resident reports it is not fixed
    "closed": (),
}


def allowed(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, ())
