"""bot.nlu.components on text nobody cleaned: a lone surrogate or a NUL reaching the pipeline
another way than the channels (which clean at the edge, bot.inbound) is read as U+FFFD, one for
one, by the tokenizer, the entity extractor and the emergency guard — never an exception."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import EmergencyGuard, PropertyEntityExtractor, ReadingJiebaTokenizer


@pytest.mark.parametrize("text", ["\ud800厨房漏水 3栋2单元102室", "着火了\x00快来", "\udfff"])
def test_the_pipeline_components_take_text_nobody_cleaned(text: str) -> None:
    message = Message(data={"text": text})
    ReadingJiebaTokenizer({**ReadingJiebaTokenizer.get_default_config(), "dictionary_path": None}, None, None).process([message])  # type: ignore[arg-type]
    PropertyEntityExtractor({}).process([message])
    EmergencyGuard(EmergencyGuard.get_default_config()).process([message])
    assert message.get("text") == text  # kept as written
    assert all(0 <= t.start < t.end <= len(text) for t in message.get("text_tokens"))
    if "3栋2单元102室" in text:  # the replacement keeps every offset: the span is the written address
        (address,) = [e for e in message.get("entities") if e["entity"] == "address"]
        assert text[address["start"] : address["end"]] == "3栋2单元102室"
