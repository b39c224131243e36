"""Phone numbers are stored whole and shown masked in lists (DOMAIN §4: never expose a resident)."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; short or odd numbers keep only their last 2 digits."""
    digits = "".join(_DIGITS.findall(phone or ""))
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)
