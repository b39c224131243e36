"""How the NLU reads noisy text (bot/nlu/reading.py) and the tokenizer that feeds it to the model.

Issue 12, point 4: pinyin, homophone typos and traditional characters are read as the words they
stand for before the guard and the classifier see them; what the resident wrote stays as written.
The sentences are written for these tests (none is in the training data or an evaluation set).
"""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import READING_OUTPUT_KEY, ReadingJiebaTokenizer
from bot.nlu.reading import read

# --------------------------------------------------------------------------- traditional, full width


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("車庫裡有積水 燈也壞了", "车库里有积水 灯也坏了"),
        ("請問門禁卡丟了怎麼補辦", "请问门禁卡丢了怎么补办"),
        ("廚房著火了", "厨房着火了"),  # 著 is also simplified (著名), so OpenCC keeps it; 著火 is 着火
        ("７栋２单元，漏水了！", "7栋2单元,漏水了!"),
    ],
)
def test_traditional_and_full_width_are_read_as_simplified(written: str, expected: str) -> None:
    reading = read(written)
    assert reading.text == expected
    assert len(reading.origin) == len(reading.text)


# --------------------------------------------------------------------------- pinyin


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("ku fang zhao huo le", "库房着火了"),
        ("laoren bei kun zai dianti li", "老人被困在电梯里"),
        ("jiu ming", "救命"),
        ("8栋dianti guan ren le", "8栋电梯关人了"),
        ("ｔｉｎｇ ｃｈｅ ｆｅｉ", "停车费"),
        ("xie xie ni", "谢谢你"),
    ],
)
def test_pinyin_is_read_as_characters(written: str, expected: str) -> None:
    assert read(written).text == expected


@pytest.mark.parametrize(
    ("written", "danger_word"),
    [("wo ma yun dao le", "晕倒"), ("ranqi wei hen nong", "燃气味"), ("you ren da jia", "打架"), ("shui guan bao le", "爆了")],
)
def test_pinyin_without_context_prefers_the_danger_word(written: str, danger_word: str) -> None:
    # Word frequencies alone cannot tell 我妈 from 我吗, nor 打架 from 大家; where the letters spell
    # a word of an emergency, that one is read (DOMAIN.md §1: when in doubt, emergency).
    assert danger_word in read(written).text


@pytest.mark.parametrize(
    "written",
    ["stuck in the lift 3号楼 help", "my mom fainted", "can you sing", "wifi连不上", "ok 谢谢", "车停在B2", "WY202612010003", "china"],
)
def test_english_codes_and_single_syllables_stay_as_written(written: str) -> None:
    assert read(written).text == written


# --------------------------------------------------------------------------- homophone typos


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("车库着伙了", "车库着火了"),
        ("电第停在三楼不动", "电梯停在三楼不动"),
        ("卫生间插座露电", "卫生间插座漏电"),
        ("隔壁失伙了", "隔壁失火了"),
        ("6号楼电第坏了", "6号楼电梯坏了"),  # not 6号漏电第: 电梯 is the likelier repair
    ],
)
def test_homophone_typos_of_danger_words_are_repaired(written: str, expected: str) -> None:
    assert read(written).text == expected


@pytest.mark.parametrize(
    "written",
    [
        "这是火锅店的油烟",  # 是火 would sound like 失火, but 火锅 is a word
        "3楼电梯坏了",  # 楼电 sounds like 漏电, but 电梯 is a word
        "个人信息泄露了",  # 泄露 is a word of its own
        "燃气表没气了",  # 没气 too
        "热水器打不着火",
        "我想问一下物业费怎么交",
    ],
)
def test_words_that_only_sound_like_danger_are_left_alone(written: str) -> None:
    assert read(written).text == written


# --------------------------------------------------------------------------- offsets


def test_every_character_of_the_reading_points_into_the_written_text() -> None:
    written = "３号楼 dianti kun ren 電第"
    reading = read(written)
    assert reading.text == "3号楼 电梯困人 电梯"
    start = reading.text.index("电梯困人")
    assert written[slice(*reading.span(start, start + 4))] == "dianti kun ren"
    assert written[slice(*reading.span(0, 3))] == "３号楼"
    assert written[slice(*reading.span(len(reading.text) - 2, len(reading.text)))] == "電第"


# --------------------------------------------------------------------------- the tokenizer


def _tokenizer() -> ReadingJiebaTokenizer:
    return ReadingJiebaTokenizer({**ReadingJiebaTokenizer.get_default_config(), "dictionary_path": None}, None, None)  # type: ignore[arg-type]


def test_the_tokenizer_gives_the_reading_at_the_written_offsets() -> None:
    written = "樓道里 mao yan le"
    message = Message(data={"text": written})
    _tokenizer().process([message])
    tokens = message.get("text_tokens")
    assert "".join(t.text for t in tokens).replace(" ", "") == "楼道里冒烟了"
    assert {written[t.start : t.end] for t in tokens} >= {"樓道", "mao yan"}
    assert message.get("text") == written, "the resident's text is kept as written"
    assert message.as_dict(only_output_properties=True) == {"text": written, READING_OUTPUT_KEY: "楼道里 冒烟了"}


def test_a_clean_message_is_tokenized_as_jieba_does() -> None:
    import jieba

    message = Message(data={"text": "楼上邻居装修太吵了"})
    _tokenizer().process([message])
    assert [t.text for t in message.get("text_tokens")] == list(jieba.cut("楼上邻居装修太吵了"))
    assert message.get(READING_OUTPUT_KEY) is None
