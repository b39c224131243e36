"""Settings: environment variables are read in ``bot/settings.py`` only, and read when asked."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot import rasa_commands, settings
from bot.settings import PROJECT_ROOT

ENVIRONMENT_CALLS = {"getenv", "putenv", "unsetenv", "environ", "environb", "getenvb"}
SETTINGS = PROJECT_ROOT / "bot" / "settings.py"


def environment_uses(path: Path) -> list[str]:
    """``os.environ``, ``os.getenv``… (attribute or imported name) in a module, with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_CALLS:
            found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} from os import {a.name}" for a in node.names if a.name in ENVIRONMENT_CALLS]
    return found


def test_only_settings_reads_the_environment() -> None:
    modules = [p for top in ("bot", "actions") for p in sorted((PROJECT_ROOT / top).rglob("*.py"))]
    assert SETTINGS in modules and environment_uses(SETTINGS), "the check sees what settings.py reads"
    uses = [use for path in modules if path != SETTINGS for use in environment_uses(path)]
    assert uses == [], "read the environment through bot.settings: " + ", ".join(uses)


def test_settings_are_read_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("RASA_URL", "http://rasa.example:5005/")
    monkeypatch.setenv("MODEL_REGISTRY_DIR", str(tmp_path / "registry"))
    monkeypatch.setenv("TRAINER_ROOT", str(tmp_path))
    monkeypatch.setenv("WUYE_SHARED_DIR", str(tmp_path / "shared"))
    assert settings.gateway_port() == 8123
    assert settings.rasa_url() == "http://rasa.example:5005"
    assert settings.model_registry_dir() == tmp_path / "registry"
    assert settings.trainer_root() == tmp_path
    assert settings.shared_dir() == tmp_path / "shared"
    for name in ("PORT", "RASA_URL", "MODEL_REGISTRY_DIR", "TRAINER_ROOT", "WUYE_SHARED_DIR"):
        monkeypatch.delenv(name)
    assert settings.gateway_port() == 8000 and settings.rasa_url() == settings.DEFAULT_RASA_URL
    assert settings.model_registry_dir() == settings.MODELS_DIR / "registry" and settings.trainer_root() == PROJECT_ROOT
    assert settings.shared_dir() is None


def test_rasa_urls_list_a_cluster_or_fall_back_to_the_one_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RASA_URLS", raising=False)
    monkeypatch.setenv("RASA_URL", "http://rasa.example:5005/")
    assert settings.rasa_urls() == ("http://rasa.example:5005",)
    monkeypatch.setenv("RASA_URLS", " http://a:5005/, http://b:5005  http://a:5005,")
    assert settings.rasa_urls() == ("http://a:5005", "http://b:5005"), "commas or spaces, each once, in order"
    monkeypatch.delenv("RASA_URL")
    monkeypatch.setenv("RASA_URLS", "")
    assert settings.rasa_urls() == (settings.DEFAULT_RASA_URL,)
    monkeypatch.setenv("WUYE_TIMINGS_DIR", str(tmp_path))
    assert settings.timings_dir() == tmp_path
    monkeypatch.delenv("WUYE_TIMINGS_DIR")
    assert settings.timings_dir() is None


def test_supervision_settings_are_read_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_SERVER_URL", "http://actions.example:5055/")
    monkeypatch.setenv("GATEWAY_DRAIN_SECONDS", "3.5")
    assert settings.action_server_url() == "http://actions.example:5055" and settings.gateway_drain_seconds() == 3.5
    monkeypatch.delenv("ACTION_SERVER_URL")
    monkeypatch.delenv("GATEWAY_DRAIN_SECONDS")
    assert settings.action_server_url() == settings.DEFAULT_ACTION_SERVER_URL and settings.gateway_drain_seconds() == 20.0
    assert settings.RUN_DIR == settings.DATA_DIR / "run"


def test_a_child_gets_settings_passed_on_without_changing_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """How ``bench chat`` hands its temporary database to Rasa, the actions and the gateway."""
    monkeypatch.setenv("DATABASE_URL", "sqlite:///parent.db")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    monkeypatch.delenv("RASA_TELEMETRY_ENABLED", raising=False)
    command = rasa_commands.module("bot.gateway", env={"DATABASE_URL": "sqlite:///child.db"})
    assert command.env["DATABASE_URL"] == "sqlite:///child.db" and settings.database_url() == "sqlite:///parent.db"
    assert command.env["TF_CPP_MIN_LOG_LEVEL"] == "1", "the caller's own setting wins over the quiet default"
    assert command.env["RASA_TELEMETRY_ENABLED"] == "false", "quiet where the caller set nothing"
    assert command.env["PYTHONPATH"].startswith(str(PROJECT_ROOT))
    assert command.argv[1:] == ("-m", "bot.gateway") and command.cwd == PROJECT_ROOT


def test_aftercare_settings_are_read_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUTY_PHONE", " 0571-1111-2222 ")
    monkeypatch.setenv("EMERGENCY_ESCALATION_SECONDS", "30")
    assert settings.duty_phone() == "0571-1111-2222" and settings.emergency_escalation_seconds() == 30.0
    monkeypatch.setenv("EMERGENCY_ESCALATION_SECONDS", "0")
    assert settings.emergency_escalation_seconds() == 1.0  # never a sweep-every-moment alarm
    monkeypatch.delenv("DUTY_PHONE")
    monkeypatch.delenv("EMERGENCY_ESCALATION_SECONDS")
    assert settings.duty_phone() == settings.DEFAULT_DUTY_PHONE == "0571-8765-4321"  # docs/facts.md
    assert settings.emergency_escalation_seconds() == 120.0


def test_rasas_lock_lifetime_is_a_setting_every_rasa_server_of_a_stack_gets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.processes import Stack

    monkeypatch.delenv("TICKET_LOCK_LIFETIME", raising=False)
    assert settings.ticket_lock_lifetime() == settings.DEFAULT_TICKET_LOCK_LIFETIME == 60
    monkeypatch.setenv("TICKET_LOCK_LIFETIME", "20")
    assert settings.ticket_lock_lifetime() == 20
    stack = Stack(tmp_path / "model.tar.gz", rasa_port=5105, actions_port=5155, gateway_port=8100)
    assert stack.rasa_command().env["TICKET_LOCK_LIFETIME"] == "20", "Rasa reads it (rasa/core/lock_store.py)"
    assert Stack(tmp_path / "m.tar.gz", env={"TICKET_LOCK_LIFETIME": "15"}).rasa_command().env["TICKET_LOCK_LIFETIME"] == "15"
    monkeypatch.setenv("TICKET_LOCK_LIFETIME", "0")
    assert settings.ticket_lock_lifetime() == 1
    monkeypatch.setenv("TICKET_LOCK_LIFETIME", "a minute")
    with pytest.raises(ValueError, match="TICKET_LOCK_LIFETIME"):
        settings.ticket_lock_lifetime()
