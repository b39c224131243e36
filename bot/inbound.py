"""What arrives from outside — residents' text, JSON bodies and frames, ids in URLs — made safe to
store and to parse, in one place. The gateway's frames and routes and the REST channel call it where
input enters (issue 11: bad input never reaches a 5xx); nothing below them has to guess.

Three things a browser, a script or a copy-paste can send that the layers below cannot take:

- text the database or UTF-8 cannot hold — :func:`clean_text`;
- JSON that Python parses but nothing downstream can use (``NaN``, ``1e400``, integers beyond any
  row id, nesting deep enough to exhaust the stack) — :func:`load_json`;
- ids too large for a 64-bit integer column (SQLite raises ``OverflowError``), in a path, a query
  or a body — :func:`row_id`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

REPLACEMENT = "\ufffd"
# A lone (unpaired) UTF-16 surrogate, or NUL. A JSON string may spell either (``"\ud800"``,
# ``"\u0000"``); a valid pair (``"\ud83d\ude00"``) is already one code point (😀) after parsing.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# The largest integer SQLite and PostgreSQL (bigint) hold; every row id is at most this.
ROW_ID_MAX = 2**63 - 1
ROW_ID_PATTERN = r"^[0-9]{1,19}$"
_ROW_ID = re.compile(r"[0-9]{1,19}\Z")  # ASCII digits only: int() would also read "٣" or "²"

# Deeper than any body or frame of ours (the deepest, a trainer's annotation, is 3 levels). json's
# C decoder stops at the interpreter's recursion limit with RecursionError; this stops well before.
MAX_JSON_DEPTH = 32


class MalformedJson(ValueError):
    """The input is not JSON we accept; the caller answers with its polite "format" text."""


def clean_text(text: str) -> str:
    """``text`` with every code point that cannot be stored replaced by U+FFFD (�).

    Which code points: lone UTF-16 surrogates (U+D800–U+DFFF without their pair), which UTF-8
    cannot encode — SQLite's driver, psycopg2, jieba and spaCy all raise ``UnicodeEncodeError`` on
    them — and NUL (U+0000), which PostgreSQL's ``text`` cannot hold (psycopg2 raises "A string
    literal cannot contain NUL"; SQLite stores it, so only production failed). Everything else
    stays exactly as written: emoji, right-to-left scripts, other languages, HTML (pages render
    text with ``textContent``), control characters the database accepts.

    Why replace rather than refuse or remove: a resident who sent ``"水管爆了\\ud83d"`` (an emoji
    cut in half by a phone keyboard) or pasted text with a NUL in it wrote something valid around
    it; refusing would lose a message that may be an emergency, so it is stored and answered like
    any other ("nothing lost that was valid"). U+FFFD is the Unicode standard's substitute for
    what could not be decoded, so the agent reading the transcript sees that something was there.
    And replacing one code point by one keeps every offset: entity spans found in the cleaned text
    (bot.nlu.components) point at the same characters of the original.
    """
    return _UNSTORABLE.sub(REPLACEMENT, text)


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):  # 1e400 parses to inf, which no JSON column or Rasa can store
        raise MalformedJson(f"number out of range: {literal[:40]}")
    return number


def _bounded(literal: str) -> int:
    number = int(literal)
    if abs(number) > ROW_ID_MAX:
        raise MalformedJson(f"integer out of range: {literal[:40]}")
    return number


def _refuse_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not JSON")


def _clean(value: Any, depth: int = 0) -> Any:
    """Every string of a parsed JSON value, keys included, through :func:`clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if depth >= MAX_JSON_DEPTH and isinstance(value, (list, dict)):
        raise MalformedJson("nested too deeply")
    if isinstance(value, list):
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): _clean(item, depth + 1) for key, item in value.items()}
    return value


def load_json(raw: str | bytes | bytearray) -> Any:
    """Parse a body or frame as strict JSON with every string cleaned (:func:`clean_text`).

    Raises :class:`MalformedJson` for anything else: not UTF-8, not JSON, ``NaN``/``Infinity``
    (Python's json reads them; JSON has no such values), floats that overflow, integers beyond
    ±(2⁶³−1) (no id or count of ours is larger; the database could not compare them) and nesting
    deeper than :data:`MAX_JSON_DEPTH`."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError as error:
        raise MalformedJson("not UTF-8") from error
    try:
        value = json.loads(text, parse_float=_finite, parse_int=_bounded, parse_constant=_refuse_constant)
    except MalformedJson:
        raise
    except (ValueError, RecursionError) as error:  # JSONDecodeError, int() of 4300+ digits, "[[[[…"
        raise MalformedJson(str(error)[:200]) from error
    return _clean(value)


def row_id(value: object) -> int:
    """An id from outside as a row id (0 … 2⁶³−1): a path segment or query value of ASCII digits,
    or a JSON body's integer (not a bool: ``true`` is no id). ``ValueError`` for anything else, so
    no database is handed a number it cannot take (SQLite's driver raises ``OverflowError``).

    The one rule for every id a request names: the router's ``<name:int>`` (no such route: 404),
    ``?after=``, the trainer's item ids, the ids in the loop's bodies (a survey, a callback, a
    community). Each caller words the refusal (a polite 400 or "not found")."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ROW_ID.match(value):
        number = int(value)
    else:
        raise ValueError(f"not a row id: {value[:40] if isinstance(value, str) else type(value).__name__!r}")
    if not 0 <= number <= ROW_ID_MAX:
        raise ValueError("not a row id: out of range")
    return number
