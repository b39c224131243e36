"""The rule for "the same sentence" (bot/nlu/sentences.py): what the key folds, what it keeps, containment."""

from __future__ import annotations

import pytest

from bot.nlu.sentences import MIN_CONTAINED, SentenceIndex, relation, sentence_key


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("３栋电梯困人了！", "3栋电梯困人了"),  # the pair: full-width digit, full-width punctuation
        ("３栋２单元，１０２室！ ", "3栋2单元102室"),
        ("水已经漫到插座了 怎么办", "水已经漫到插座了怎么办"),  # spaces between clauses
        ("水已经漫到插座了\u3000怎么办？？", "水已经漫到插座了怎么办"),  # ideographic space
        ("水已经\t漫到插座了\n怎么办", "水已经漫到插座了怎么办"),
        ("电梯困人了🆘🙏", "电梯困人了"),  # emoji are symbols
        ("「电梯」困人了……", "电梯困人了"),
        ("ＯＫ 好的", "ok好的"),
        ("Stuck in the LIFT", "stuckinthelift"),
        ("面积80㎡", "面积80m2"),
    ],
)
def test_width_case_punctuation_spaces_and_symbols_do_not_count(variant: str, plain: str) -> None:
    assert sentence_key(variant) == sentence_key(plain) == plain.casefold().replace(" ", "")


def test_what_is_deliberately_not_folded() -> None:
    assert sentence_key("電梯卡住了") != sentence_key("电梯卡住了")  # traditional script: no dictionary
    assert sentence_key("三号楼") != sentence_key("3号楼")  # another wording
    assert sentence_key("") == sentence_key(None) == sentence_key(" ！？ 🙏") == ""


def test_containment_counts_both_ways_from_the_minimum_length() -> None:
    assert MIN_CONTAINED == 5
    held_out = sentence_key("水已经漫到插座了怎么办")
    assert relation(sentence_key("水已经漫到插座了 怎么办 要不要拉闸"), held_out) == "contains"  # the leak
    assert relation(sentence_key("插座不通电"), sentence_key("卧室插座不通电了")) == "inside"
    assert relation(sentence_key("３栋电梯困人了！"), sentence_key("3栋电梯困人了")) == "same"
    # four characters are a word or two of the domain, not a sentence: no containment
    assert relation(sentence_key("楼上漏水"), sentence_key("我家楼上漏水了 快来看看")) is None
    assert relation(sentence_key("我家楼上漏水了 快来看看"), sentence_key("楼上漏水")) is None
    assert relation("", held_out) is None and relation(held_out, "") is None


def test_the_index_finds_what_a_loop_over_every_sentence_finds() -> None:
    sentences = ["水已经漫到插座了怎么办", "插座不通电", "楼上漏水", "您叫我孙阿姨就行", "插座不通电"]
    index = SentenceIndex((text, number) for number, text in enumerate(sentences))
    assert len(index) == 4, "one entry per key; the first value given wins"
    probes = ["水已经漫到插座了 怎么办 要不要拉闸", "卧室插座不通电了 水已经漫到插座了怎么办", "插座不通电！", "叫我孙阿姨就行", "楼上漏水", "漏水", "孙阿姨", ""]
    for probe in probes:
        expected = {(relation(sentence_key(probe), sentence_key(s)), sentence_key(s)) for s in sentences} - {(None, sentence_key(s)) for s in sentences}
        assert {(m.relation, m.key) for m in index.find_all(probe)} == expected, probe
    assert index.find("插座不通电！").relation == "same" and index.find("插座不通电！").value == 1
    assert index.find("叫我孙阿姨就行").relation == "inside" and index.find("叫我孙阿姨就行").value == 3
    assert index.find("孙阿姨") is None
