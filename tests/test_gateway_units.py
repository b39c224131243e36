"""Gateway building blocks without a server: tokens, passwords, rate limit, frames, accounts and
sessions (on conftest's ``db``). The claim race is tested once, in tests/test_conversation_lifecycle.py."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.clock import utcnow
from bot.gateway import frames, tokens
from bot.gateway.agents import authenticate, create_agent, lookup_session, open_session
from bot.gateway.config import load_secret
from bot.gateway.passwords import check_password, hash_password
from bot.gateway.ratelimit import RateLimiter
from bot.storage import session_scope
from bot.storage.models import AgentSession


def test_token_round_trip_and_forgery() -> None:
    rid = tokens.new_resident_id()
    token = tokens.sign(b"k1", rid)
    assert tokens.verify(b"k1", token) == rid
    assert tokens.verify(b"k2", token) is None  # another secret
    other = tokens.new_resident_id()
    assert tokens.verify(b"k1", f"{other}.{token.split('.')[1]}") is None  # signature of someone else
    for bad in (None, "", "x", "a.b.c", f"{rid}.", "r-zz.00"):
        assert tokens.verify(b"k1", bad) is None


def test_secret_generated_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_SECRET", raising=False)
    first = load_secret(tmp_path)
    assert len(first) == 64 and load_secret(tmp_path) == first
    assert (tmp_path / "gateway_secret").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("GATEWAY_SECRET", "from-env")
    assert load_secret(tmp_path) == b"from-env"


def test_password_hashing() -> None:
    stored = hash_password("s3cret-pass", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$") and "s3cret-pass" not in stored
    assert check_password("s3cret-pass", stored)
    assert not check_password("wrong", stored)
    assert not check_password("s3cret-pass", "garbage")
    assert hash_password("same", 1000) != hash_password("same", 1000)  # salted


def test_rate_limiter_window() -> None:
    now = [0.0]
    limiter = RateLimiter(3, 10, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    now[0] = 10.5
    assert limiter.allow("a")


def test_frames() -> None:
    malformed, empty = texts.render("message.malformed"), texts.render("message.empty")
    assert frames.parse("{not json") == malformed
    assert frames.parse("[1]") == malformed
    assert frames.parse('{"text": 3}') == malformed
    assert frames.parse('{"text": "   "}') == empty
    assert frames.parse('{"text": "确认", "payload": "hack"}') == malformed
    assert frames.parse('{"type": "message", "text": " 漏水 "}') == frames.ResidentFrame("漏水")
    assert frames.parse('{"text": "确认", "payload": "/affirm"}') == frames.ResidentFrame("确认", "/affirm")


def test_agent_accounts_and_sessions(db: str) -> None:
    with session_scope(db) as session:
        agent = create_agent(session, "小王", "password-123")
        with pytest.raises(ValueError):
            create_agent(session, "小王", "password-456")
        with pytest.raises(ValueError):
            create_agent(session, "小李", "short")
        assert authenticate(session, "小王", "password-123") is not None
        assert authenticate(session, "小王", "nope") is None
        assert authenticate(session, "nobody", "password-123") is None
        token, csrf = open_session(session, agent, hours=1)
    with session_scope(db) as session:
        logged = lookup_session(session, token)
        assert logged is not None and logged.name == "小王" and logged.csrf_token == csrf
        assert session.get(AgentSession, token) is None  # only the hash is stored
        assert lookup_session(session, "forged") is None
        row = session.query(AgentSession).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    with session_scope(db) as session:
        assert lookup_session(session, token) is None  # expired


def test_cli_creates_agent_with_prompted_password(db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import getpass

    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", db)
    answers = iter(["password-123", "password-123", "password-123", "different-1"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert main(["agents", "create", "小张"]) == 0
    assert main(["agents", "create", "小赵"]) == 1  # the repeat differs
    with session_scope(db) as session:
        assert authenticate(session, "小张", "password-123") is not None
        assert authenticate(session, "小赵", "password-123") is None
    assert "小张 created" in capsys.readouterr().out


def test_cli_gives_an_agent_the_display_name_residents_see(db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """客服zhang logs in as zhang; residents are told 客服张明 (issue 12)."""
    import getpass

    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "password-123")
    assert main(["agents", "create", "zhang", "--display-name", "张明"]) == 0
    assert main(["agents", "create", "li"]) == 0
    assert "zhang (shown to residents as 张明) created" in capsys.readouterr().out
    with session_scope(db) as session:
        zhang, li = authenticate(session, "zhang", "password-123"), authenticate(session, "li", "password-123")
        assert zhang is not None and li is not None and (zhang.display_name, li.display_name) == ("张明", "")
        token, _ = open_session(session, zhang, 1)
        account = lookup_session(session, token)
        assert account is not None and (account.name, account.shown_as) == ("zhang", "张明")
        other, _ = open_session(session, li, 1)
        assert lookup_session(session, other).shown_as == "li"  # no display name: the login name
    with session_scope(db) as session, pytest.raises(ValueError):
        create_agent(session, "wang", "password-123", display_name="王" * 65)
