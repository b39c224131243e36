"""Runtime settings read from the environment, with the product's embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
MODELS_DIR = PROJECT_ROOT / "models"
DEFAULT_SQLITE_PATH = DATA_DIR / "wuye.db"


def database_url() -> str:
    """The one URL every store uses: tickets, handoffs and Rasa's tracker store.

    SQLite in ``data/`` is the embedded default; ``DATABASE_URL`` switches to PostgreSQL.
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants "postgresql".
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        return url
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def company_name() -> str:
    return os.environ.get("COMPANY_NAME", "").strip() or "锦华物业"
