"""Runtime settings read from the environment, with the product's embedded defaults.

The only module that reads environment variables (``tests/test_settings.py`` checks it): everything
else asks a function here, so each setting has one name, one default and one place to look it up.
The functions read the environment when called (not at import), so a test or a parent process that
sets a variable is seen at once. Child processes get their environment from
:func:`process_environment` (through :mod:`bot.rasa_commands`), never by mutating ``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
MODELS_DIR = PROJECT_ROOT / "models"
CACHE_MODELS_DIR = PROJECT_ROOT / ".cache" / "models"  # the test suite's models, by the same hash
DEFAULT_SQLITE_PATH = DATA_DIR / "wuye.db"
RUN_DIR = DATA_DIR / "run"  # serve's supervisord: its generated config, socket, pid file and log
DEFAULT_RASA_URL = "http://127.0.0.1:5005"
DEFAULT_ACTION_SERVER_URL = "http://127.0.0.1:5055"
DEFAULT_GATEWAY_PORT = 8000


def _text(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def _dialect_url(url: str) -> str:
    # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants "postgresql".
    return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url


def database_url() -> str:
    """The URL of the product's tables: tickets, conversations, messages, accounts …

    SQLite in ``data/`` is the embedded default; ``DATABASE_URL`` switches to PostgreSQL.
    """
    url = _text("DATABASE_URL")
    if url:
        return _dialect_url(url)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


TRACKER_FILE_SUFFIX = "-tracker"


def in_memory(url: str) -> bool:
    """A SQLite database that lives in memory only (no file beside which anything could go)."""
    return url in ("sqlite://", "sqlite:///", "sqlite:///:memory:") or "mode=memory" in url


def tracker_database_url() -> str:
    """Rasa's tracker store (table ``events``): ``TRACKER_DATABASE_URL``, else the product's database
    — on a SQLite file, a file of its own beside it (``wuye.db`` → ``wuye-tracker.db``).

    SQLite has one write lock per file: in the product's file, every save of Rasa's waited behind
    the gateway's and the action server's writes (and they behind Rasa's), in the busy handler's
    sleeps of up to 100 ms — most of the chat benchmark's tail (docs/benchmarks.md, 2026-12-05
    evening). PostgreSQL locks rows, so there one database serves both."""
    url = _text("TRACKER_DATABASE_URL")
    if url:
        return _dialect_url(url)
    product = database_url()
    prefix = "sqlite:///"
    path = product[len(prefix) :].split("?", 1)[0] if product.startswith(prefix) else ""
    if not path or in_memory(product):
        return product
    file = Path(path)
    return prefix + str(file.with_name(file.stem + TRACKER_FILE_SUFFIX + file.suffix)) + product[len(prefix) + len(path) :]


DEFAULT_COMPANY_NAME = "锦华物业"  # docs/facts.md


def company_name() -> str:
    """The company the bot speaks for (``COMPANY_NAME``); every text in bot/texts names it."""
    return _text("COMPANY_NAME", DEFAULT_COMPANY_NAME)


def python_warnings() -> str:
    """``PYTHONWARNINGS``: set, it decides which warnings a process shows (``bot.logs`` then leaves
    the filters alone, e.g. ``default`` for a developer who wants the deprecations back)."""
    return _text("PYTHONWARNINGS")


DEFAULT_DUTY_PHONE = "0571-8765-4321"  # docs/facts.md: the service centre's 24-hour duty phone


def duty_phone() -> str:
    """``DUTY_PHONE``: the community's 24-hour duty phone, given with every emergency reply and while
    the resident waits for an agent (DOMAIN §5). Read at reply time; one company today (issue 13
    makes it per community)."""
    return _text("DUTY_PHONE", DEFAULT_DUTY_PHONE)


def emergency_escalation_seconds() -> float:
    """``EMERGENCY_ESCALATION_SECONDS``: an emergency nobody has claimed for this long is escalated
    (the resident is told honestly, every console gets a louder alarm), and again after each further
    such period, up to ``bot.conversations.escalation.MAX_STEPS`` times."""
    return max(1.0, float(os.environ.get("EMERGENCY_ESCALATION_SECONDS", "120")))


def unserved_emergency_seconds() -> float:
    """``UNSERVED_EMERGENCY_SECONDS``: an emergency of a community none of whose agents is logged in
    (a console connected) goes to every logged-in agent after this long (issue 13 §5)."""
    try:
        return max(0.0, float(_text("UNSERVED_EMERGENCY_SECONDS", "30")))
    except ValueError:
        return 30.0


def clock_offset_seconds() -> float:
    """``WUYE_CLOCK_OFFSET``: seconds added to the system clock (tests run on a fixed calendar day)."""
    value = _text("WUYE_CLOCK_OFFSET")
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0


def gateway_port() -> int:
    """``PORT``: the web gateway's port."""
    return int(os.environ.get("PORT", str(DEFAULT_GATEWAY_PORT)))


def rasa_url() -> str:
    """``RASA_URL``: where the gateway and the trainer's promotion find Rasa, the one-server form of
    :func:`rasa_urls` (``serve`` sets it)."""
    return os.environ.get("RASA_URL", DEFAULT_RASA_URL).rstrip("/")


def rasa_urls() -> tuple[str, ...]:
    """``RASA_URLS``: every Rasa server behind the gateways, separated by commas or spaces (a
    cluster: the gateway spreads conversations over them, a promotion loads every one). Unset: the
    one server of ``RASA_URL``."""
    urls = tuple(dict.fromkeys(url.rstrip("/") for url in _text("RASA_URLS").replace(",", " ").split()))
    return urls or (rasa_url(),)


def action_server_url() -> str:
    """``ACTION_SERVER_URL``: the action server the gateway's ``/healthz`` checks (``serve`` sets it;
    Rasa itself finds it through ``endpoints.yml``)."""
    return os.environ.get("ACTION_SERVER_URL", DEFAULT_ACTION_SERVER_URL).rstrip("/")


def gateway_drain_seconds() -> float:
    """``GATEWAY_DRAIN_SECONDS``: on SIGTERM, how long the gateway waits for running turns to finish."""
    return float(os.environ.get("GATEWAY_DRAIN_SECONDS", "20"))


def gateway_secret() -> str:
    """``GATEWAY_SECRET``, or "" (then the gateway generates one into ``data/``, see bot.gateway.config)."""
    return _text("GATEWAY_SECRET")


def gateway_rate_limit() -> int:
    """``GATEWAY_RATE_LIMIT``: resident messages allowed per window."""
    return int(os.environ.get("GATEWAY_RATE_LIMIT", "20"))


def gateway_rate_window() -> float:
    """``GATEWAY_RATE_WINDOW``: the rate limit's window in seconds."""
    return float(os.environ.get("GATEWAY_RATE_WINDOW", "10"))


def redis_url() -> str:
    """``REDIS_URL``: when set, gateway processes share delivery and the rate limit over Redis."""
    return _text("REDIS_URL")


def redis_prefix() -> str:
    return _text("REDIS_PREFIX", "wuye")


def turn_lease_seconds() -> float:
    """``TURN_LEASE_SECONDS``: how long a gateway process's hold on a resident's turn (and, with
    ``REDIS_URL``, on the conversation's turn lock) lasts unless renewed. The holder renews it while
    it works; when the holder dies, another process takes the turn up after at most this long."""
    return float(os.environ.get("TURN_LEASE_SECONDS", "30"))


DEFAULT_TICKET_LOCK_LIFETIME = 60  # Rasa's own default (rasa/core/lock_store.py)


def ticket_lock_lifetime() -> int:
    """``TICKET_LOCK_LIFETIME``: seconds a Rasa server's hold on one conversation (a ticket in Rasa's
    lock store) lasts. Rasa reads the variable itself; ``serve`` and every stack pass this value to
    their Rasa servers (:class:`bot.processes.Stack`). It must outlast the longest turn; it is also
    how long a conversation whose Rasa server was killed mid-turn waits (with the lock store in
    Redis) before another server may answer it. A whole number of seconds, at least 1."""
    value = _text("TICKET_LOCK_LIFETIME")
    try:
        seconds = int(float(value)) if value else DEFAULT_TICKET_LOCK_LIFETIME
    except ValueError:
        raise ValueError(f"TICKET_LOCK_LIFETIME must be a number of seconds, not {value!r}") from None
    return max(1, seconds)


def turn_stale_seconds() -> float:
    """``TURN_STALE_SECONDS``: a resident's message the assistant could not answer for this long
    (Rasa down) is handed to an agent, with a plain notice, instead of answered late by the bot."""
    return float(os.environ.get("TURN_STALE_SECONDS", "600"))


def timings_dir() -> Path | None:
    """``WUYE_TIMINGS_DIR``: when set, the gateway's Rasa client and the Rasa server write per-turn
    timings there (``bot.timings``; ``bench chat --segments`` sets it on the stack it starts)."""
    value = _text("WUYE_TIMINGS_DIR")
    return Path(value) if value else None


def trainer_root() -> Path:
    """``TRAINER_ROOT``: the checkout trainers label, export and retrain in (default: this project)."""
    return Path(os.environ.get("TRAINER_ROOT") or PROJECT_ROOT)


def model_registry_dir() -> Path:
    """``MODEL_REGISTRY_DIR``: where retraining writes candidate models (default ``models/registry``)."""
    return Path(os.environ.get("MODEL_REGISTRY_DIR") or MODELS_DIR / "registry")


def shared_dir() -> Path | None:
    """``WUYE_SHARED_DIR``: the ``shared`` directory with the external evaluation set, when set."""
    value = os.environ.get("WUYE_SHARED_DIR")
    return Path(value) if value else None


def process_environment() -> dict[str, str]:
    """A copy of this process's environment: the base every child process's environment is built on."""
    return dict(os.environ)


def clock_file() -> Path | None:
    """``WUYE_CLOCK_FILE``: a file holding seconds added to the clock on top of ``WUYE_CLOCK_OFFSET``.

    Every process given the same file re-reads it when it changes (bot.clock.ShiftedClock), so a
    test moves the clock of all its gateway processes at once (three days on, and the callbacks
    fall due). Unset in production."""
    value = _text("WUYE_CLOCK_FILE")
    return Path(value) if value else None


def callback_poll_seconds() -> float:
    """``CALLBACK_POLL_SECONDS``: how often each gateway process looks for callbacks that fell due."""
    return max(0.1, float(os.environ.get("CALLBACK_POLL_SECONDS", "30")))


def callback_chat_timeout_hours() -> float:
    """``CALLBACK_CHAT_TIMEOUT_HOURS``: a callback asked in the chat and not answered within this
    many hours moves to the agents' phone list (bot.callbacks.rules)."""
    return float(os.environ.get("CALLBACK_CHAT_TIMEOUT_HOURS", "24"))
