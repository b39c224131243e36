"""A sentence in another language than Chinese (bot/nlu/languages.py)."""

from __future__ import annotations

import pytest

from bot.nlu.languages import is_foreign_sentence


@pytest.mark.parametrize("text", ["Hello, my kitchen sink is leaking", "I live in building 3", "Здравствуйте, у меня течёт кран"])
def test_a_sentence_without_chinese_is_foreign(text: str) -> None:
    assert is_foreign_sentence(text)


@pytest.mark.parametrize(
    "text",
    [
        "hi there",  # a greeting the classifier knows
        "dianti kun ren le kuai lai",  # pinyin is read as Chinese: 电梯困人了快来
        "我家 kitchen 漏水了 please help",
        "WY202612060001",
        "13812345678 3-2-101",
        "😀😀😀",
        "",
    ],
)
def test_chinese_pinyin_numbers_and_short_greetings_are_not(text: str) -> None:
    assert not is_foreign_sentence(text)
