"""Per-turn timings for the benchmarks, written only when ``WUYE_TIMINGS_DIR`` is set.

``bench chat`` explains where a reply's time goes by joining three views of every turn: its own
(text sent, first bot frame received), the gateway's Rasa client (request out, reply in) and the
Rasa server's (its ``handle_message`` start and end, and the time spent calling the action server).
Each process appends one JSON line per turn to ``<dir>/<role>-<pid>.jsonl``; the stamps are
``time.monotonic()``, which on Linux is ``CLOCK_MONOTONIC``, one clock for every process of the
machine, so stamps from different processes can be subtracted. The earlier measurements of this
kind (``docs/benchmarks.md``, "Where the gateway's time goes") used temporary logs; this is the same
thing kept, and off by default: without the setting nothing is opened or written.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import IO, Any

from bot.settings import timings_dir


class Recorder:
    """One process's timing lines (opened on first use, line-buffered, appended)."""

    def __init__(self, folder: Path, role: str) -> None:
        self.path = folder / f"{role}-{os.getpid()}.jsonl"
        self._file: IO[str] | None = None

    def write(self, **fields: Any) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - kept for the process's life
        self._file.write(json.dumps(fields, ensure_ascii=False) + "\n")


_recorders: dict[str, Recorder | None] = {}


def recorder(role: str) -> Recorder | None:
    """This process's recorder for ``role`` (``gateway``, ``rasa``), or None when timings are off."""
    if role not in _recorders:
        folder = timings_dir()
        _recorders[role] = Recorder(folder, role) if folder is not None else None
    return _recorders[role]


def now() -> float:
    """The stamp every recorder writes: seconds on the machine-wide monotonic clock."""
    return time.monotonic()


def read(folder: Path) -> list[dict[str, Any]]:
    """Every line every process wrote into ``folder``, with its ``role`` (from the file's name; a
    half-written last line is skipped)."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        role = path.stem.rsplit("-", 1)[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append({"role": role, **json.loads(line)})
            except ValueError:
                continue
    return rows
