"""bot.inbound: what comes in made safe to store and parse — clean_text, load_json, row_id."""

from __future__ import annotations

import contextlib
import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.inbound import MAX_JSON_DEPTH, REPLACEMENT, ROW_ID_MAX, MalformedJson, clean_text, load_json, row_id
from bot.storage import session_scope
from bot.storage.models import Message
from tests.edge_support import ODD_SAMPLES, any_character, json_values

# --------------------------------------------------------------------------- clean_text


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("\ud800", REPLACEMENT),
        ("水管爆了\ud83d", "水管爆了" + REPLACEMENT),
        ("a\x00b", "a" + REPLACEMENT + "b"),
        ("\udfff\ud800", REPLACEMENT * 2),
    ],
)
def test_lone_surrogates_and_nul_become_the_replacement_character(text: str, cleaned: str) -> None:
    assert clean_text(text) == cleaned


@pytest.mark.parametrize("text", [s for s in ODD_SAMPLES if "\x00" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)])
def test_everything_else_stays_as_written(text: str) -> None:
    """Emoji, right-to-left scripts, HTML, other languages, control characters the database takes."""
    assert clean_text(text) == text


@settings(max_examples=300)
@given(st.text(any_character, max_size=40))
def test_cleaned_text_is_storable_and_keeps_every_offset(text: str) -> None:
    cleaned = clean_text(text)
    cleaned.encode("utf-8")  # no lone surrogate left
    assert "\x00" not in cleaned
    assert len(cleaned) == len(text)  # one for one: entity spans stay where they were
    assert all(a == b or b == REPLACEMENT for a, b in zip(text, cleaned, strict=True))
    assert clean_text(cleaned) == cleaned


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(any_character, max_size=30))
def test_cleaned_text_is_stored_as_it_is_on_both_databases(database_url: str, text: str) -> None:
    """What the gateway stores: a PostgreSQL text column refuses NUL, UTF-8 lone surrogates."""
    with session_scope(database_url) as session:
        message_id = session.execute(sa.insert(Message).values(conversation_id="c", role="resident", text=clean_text(text))).inserted_primary_key[0]
    with session_scope(database_url) as session:
        assert session.get(Message, message_id).text == clean_text(text)


# --------------------------------------------------------------------------- load_json


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"NaN", b"[Infinity]", b"-Infinity", b"[1e400]", b"9" * 20, b"-" + b"9" * 20, b"9" * 5000,
     b"[" * 5000, b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), b"\xff", b"\xef\xbb\xbf{}", b"{'a': 1}"],
)
def test_what_is_no_json_we_accept_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedJson):
        load_json(raw)


def test_strings_and_keys_are_cleaned_and_numbers_kept() -> None:
    value = load_json(b'{"\\u0000k": ["\\ud800", 1.5, 9223372036854775807, -9223372036854775807, true, null]}')
    assert value == {REPLACEMENT + "k": [REPLACEMENT, 1.5, ROW_ID_MAX, -ROW_ID_MAX, True, None]}
    assert load_json('"\\ud83d\\ude00"') == "😀"  # a valid pair is one character
    assert load_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None


@settings(max_examples=300)
@given(json_values)
def test_any_json_is_parsed_or_refused_and_nothing_else(value: object) -> None:
    try:
        parsed = load_json(json.dumps(value))
    except MalformedJson:
        return
    json.dumps(parsed).encode("utf-8")
    assert "\\u0000" not in json.dumps(parsed)


@settings(max_examples=300)
@given(st.binary(max_size=80))
def test_any_bytes_are_parsed_or_refused_and_nothing_else(raw: bytes) -> None:
    with contextlib.suppress(MalformedJson):  # any other exception fails the test
        load_json(raw)


# --------------------------------------------------------------------------- row_id


def test_row_ids_are_ascii_digits_up_to_the_largest_bigint() -> None:
    assert row_id("0") == 0 and row_id(str(ROW_ID_MAX)) == ROW_ID_MAX
    for text in (str(ROW_ID_MAX + 1), "12345678901234567890123", "-1", "+1", " 1", "1 ", "٣", "²", "1e3", ""):
        with pytest.raises(ValueError):
            row_id(text)


def test_row_ids_in_json_bodies_are_integers_in_the_same_range() -> None:
    """The id a body names (a survey, a callback, a community): the same rule as in a path."""
    assert row_id(0) == 0 and row_id(7) == 7 and row_id(ROW_ID_MAX) == ROW_ID_MAX
    for value in (ROW_ID_MAX + 1, 2**70, -1, True, False, None, 1.0, 7.5, [7], {"id": 7}):
        with pytest.raises(ValueError):
            row_id(value)
