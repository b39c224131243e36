"""Resident identity: a random id and an HMAC-SHA256 signature of it, ``<id>.<signature>``."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

RESIDENT_ID = re.compile(r"r-[0-9a-f]{32}\Z")


def new_resident_id() -> str:
    return "r-" + secrets.token_hex(16)


def _signature(secret: bytes, resident_id: str) -> str:
    return hmac.new(secret, f"resident:{resident_id}".encode(), hashlib.sha256).hexdigest()


def sign(secret: bytes, resident_id: str) -> str:
    return f"{resident_id}.{_signature(secret, resident_id)}"


def verify(secret: bytes, token: str | None) -> str | None:
    """The resident id a token was issued for, or None for a forged or malformed token."""
    if not isinstance(token, str) or token.count(".") != 1:
        return None
    resident_id, signature = token.split(".")
    if not RESIDENT_ID.match(resident_id):
        return None
    # As bytes: compare_digest refuses str with non-ASCII characters (TypeError), and a header or
    # query may carry anything.
    given = signature.encode("utf-8", "surrogatepass")
    return resident_id if hmac.compare_digest(given, _signature(secret, resident_id).encode()) else None
