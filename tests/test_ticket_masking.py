"""Phone masking (bot/tickets/masking.py): lists show ``138****5678``, never a resident's whole
number (DOMAIN §4). How a ticket list applies it: tests/test_ticket_service.py."""

from __future__ import annotations

import pytest

from bot.tickets.masking import mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("0571-86612345", "057****2345"), ("12345", "***45"), ("", ""), ("12", "**")],
)
def test_mask_phone_formats(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
