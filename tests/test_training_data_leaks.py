"""No evaluation sentence leaks into the training data.

Every training example of ``nlu_data/`` — every file, the retrieval (``inquiry/<topic>``) examples
and a trainer's ``annotated.yml`` when there is one — against every sentence of ``tests/heldout/``
and of the external set, compared as ``bot/nlu/sentences.py`` decides: not the same sentence, not
holding one, not inside one (containment from ``MIN_CONTAINED`` characters, see there why); the
robustness sets of ``tests/robustness/`` too, and every sentence also as the model reads it
(``bot/nlu/reading.py``: traditional script, pinyin, typos of danger words). The
external set's rule: "none of these texts (nor trivial edits of them) may appear in the training
data" (``shared/eval/README.md``). A hit is fixed in ``nlu_data/`` by rewriting or removing the
training example, never by editing the evaluation data.
"""

from __future__ import annotations

import pytest

from bot.evaluation.datasets import (
    ANSWERABILITY_SETS,
    DEVICE_FAULTS_TSV,
    EXTERNAL_TSV,
    NOISY_TSV,
    answerability_questions,
    external_examples,
    heldout_examples,
    robustness_examples,
)
from bot.nlu.reading import read
from bot.nlu.sentences import Match, SentenceIndex, sentence_key
from bot.settings import PROJECT_ROOT
from bot.trainer.conflicts import LabelledText, nlu_examples

# The held-out split writes these sentences in traditional script, as robustness tests. The key
# does not fold scripts (no conversion dictionary, see bot/nlu/sentences.py), so their simplified
# writing — transcribed by hand — is checked here as well: the training example 楼梯扶手松了 一推就晃
# held the simplified 樓梯扶手鬆了.
TRADITIONAL_TWINS = {
    "物業收費太黑了": "物业收费太黑了",
    "門崗那個保安很兇 我要投訴他": "门岗那个保安很凶 我要投诉他",
    "電梯卡住了 我在裡面出不去": "电梯卡住了 我在里面出不去",
    "請問高層住宅管理費怎麼算": "请问高层住宅管理费怎么算",
    "關於裝修施工時間規定的諮詢": "关于装修施工时间规定的咨询",
    "請問社區養犬需要辦理什麼證件": "请问社区养犬需要办理什么证件",
    "請問業委會成立備案的進度": "请问业委会成立备案的进度",
    "衛生間地漏堵了 請派人疏通": "卫生间地漏堵了 请派人疏通",
    "樓梯扶手鬆了": "楼梯扶手松了",
}


@pytest.fixture(scope="module")
def training() -> tuple[LabelledText, ...]:
    examples = nlu_examples(PROJECT_ROOT)
    assert len(examples) >= 1500 and any("/" in e.label for e in examples), "every NLU file, retrieval examples included"
    return examples


@pytest.fixture(scope="module")
def evaluation() -> list[tuple[str, str]]:
    assert EXTERNAL_TSV.is_file(), f"the external evaluation set is missing: {EXTERNAL_TSV}"
    heldout = [(e.text, "heldout") for e in heldout_examples()]
    external = [(e.text, "external") for e in external_examples()]
    assert len(heldout) >= 300 and len(external) >= 250
    return heldout + external


def leaks(training: tuple[LabelledText, ...], sentences: list[tuple[str, str]]) -> list[tuple[LabelledText, Match[tuple[str, str]]]]:
    """(training example, the evaluation sentence it is, holds or sits inside) for every leak."""
    index = SentenceIndex((text, (text, where)) for text, where in sentences)
    return [(example, match) for example in training for match in index.find_all(example.text)]


def report(found: list[tuple[LabelledText, Match[tuple[str, str]]]]) -> str:
    lines = [f"{e.label}: 「{e.text}」 {m.relation} {m.value[1]} 「{m.value[0]}」" for e, m in found]
    return "rewrite or remove these training examples:\n" + "\n".join(lines)


def test_no_training_example_is_holds_or_sits_inside_an_evaluation_sentence(training: tuple[LabelledText, ...], evaluation: list[tuple[str, str]]) -> None:
    found = leaks(training, evaluation)
    assert not found, report(found)


def test_nor_the_simplified_writing_of_a_traditional_heldout_sentence(training: tuple[LabelledText, ...], evaluation: list[tuple[str, str]]) -> None:
    heldout = {sentence_key(text) for text, where in evaluation if where == "heldout"}
    assert {sentence_key(text) for text in TRADITIONAL_TWINS} <= heldout, "the list follows tests/heldout"
    found = leaks(training, [(simplified, "heldout (simplified)") for simplified in TRADITIONAL_TWINS.values()])
    assert not found, report(found)


def test_nor_a_robustness_sentence_nor_any_evaluation_sentence_as_the_model_reads_it(
    training: tuple[LabelledText, ...], evaluation: list[tuple[str, str]]
) -> None:
    """The robustness sets (tests/robustness, issue 12) are evaluation data too. And every sentence
    is also checked as the model reads it (bot/nlu/reading.py: 電梯 is 电梯, 电第困人 is 电梯困人,
    dianti kun ren is 电梯困人): a training example that holds the reading of an evaluation sentence
    teaches the model the answer as surely as the sentence itself."""
    sentences = list(evaluation)
    for path in (NOISY_TSV, DEVICE_FAULTS_TSV):
        sentences += [(example.text, path.name) for example in robustness_examples(path)]
    # The answerability sets (tests/answerability, issue 13: questions, fresh, outside, street, lane) too.
    for path in ANSWERABILITY_SETS.values():
        sentences += [(question.text, path.name) for question in answerability_questions(path)]
    assert len(sentences) >= len(evaluation) + 270
    read_too = sentences + [(read(text).text, f"{where} (as read)") for text, where in sentences if read(text).text != text]
    as_read = tuple(LabelledText(read(e.text).text, e.label, e.source) for e in training)
    found = leaks(as_read, read_too)
    assert not found, report(found)


def test_the_check_sees_a_leak_when_there_is_one(evaluation: list[tuple[str, str]]) -> None:
    planted = (
        LabelledText("水已经漫到插座了 怎么办 要不要拉闸", "emergency", "nlu_data"),  # the example
        LabelledText("您叫我孙阿姨就行！", "inform", "nlu_data"),
        LabelledText("电话 15012345678", "inform", "nlu_data"),
        LabelledText("３栋电梯困人了", "emergency", "nlu_data"),
    )
    found = leaks(planted, evaluation + [("3栋电梯困人了!", "heldout")])
    assert [(example.text, match.relation, match.value[1]) for example, match in found] == [
        ("水已经漫到插座了 怎么办 要不要拉闸", "contains", "external"),
        ("您叫我孙阿姨就行！", "same", "heldout"),
        ("电话 15012345678", "inside", "heldout"),
        ("３栋电梯困人了", "same", "heldout"),
    ]
