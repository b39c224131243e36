"""Answer only what was asked (issue 13 §3), without the model: bot.intake.coverage and the decision
(bot.intake.inquiry.decide) on the first community's record (docs/communities/jinhua-garden.yml),
each question given the topic it is labelled with.

- What counts as said is what this community's record says: the answer, a general synonym, or a
  word the record says the answer also covers (``covers``) — never a word of the topic's training
  examples (旧衣服 is in a garbage example; this answer does not say where old clothes go).
- The training questions, each with its labelled topic: the known facts are still answered (the
  floor is what the rules reach; the rest ask what the record does not say, listed in
  docs/benchmarks.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.communities import FIRST_COMMUNITY_FILE, CommunityFacts, read_community_file
from bot.intake.coverage import ANSWER, HANDOVER, PARTIAL, coverage
from bot.intake.inquiry import TopicPick, decide, decide_parsed
from bot.settings import PROJECT_ROOT

# Of the 278 training questions of the topics (2026-12-04): 242 answered, the rest ask what the
# record does not say (旧衣服, 台球桌, 养猫 …) or are cut by jieba so that a word stays unknown.
TRAINING_ANSWERED_AT_LEAST = 240


@pytest.fixture(scope="module")
def first() -> CommunityFacts:
    return read_community_file(FIRST_COMMUNITY_FILE)


def verdict(first: CommunityFacts, question: str, topic: str, covers: tuple[str, ...] | None = None) -> str:
    terms = first.covers.get(topic, ()) if covers is None else covers
    return decide(question, TopicPick(topic, 0.9), first.answers.get(topic), (first.name,), terms).verdict


def training_questions() -> list[tuple[str, str]]:
    found = []
    for path in sorted((PROJECT_ROOT / "nlu_data").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            intent = str(block.get("intent") or "")
            if intent.startswith("inquiry/") and intent != "inquiry/other":
                for line in str(block.get("examples") or "").splitlines():
                    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip().removeprefix("- "))
                    if text:
                        found.append((text, intent.split("/", 1)[1]))
    return found


def test_a_word_the_record_says_the_answer_covers_is_answered(first: CommunityFacts) -> None:
    question = "我家是底商 物业费一平米多少钱"
    assert "底商" in first.covers["fee_standard"] and "底商" not in first.answers["fee_standard"]
    assert verdict(first, question, "fee_standard") == ANSWER
    assert verdict(first, question, "fee_standard", covers=()) != ANSWER  # without the record's word: not said


def test_a_word_of_the_topics_training_examples_is_not_said_by_the_answer(first: CommunityFacts) -> None:
    assert any("旧衣服" in text for text, topic in training_questions() if topic == "garbage_sorting")
    assert verdict(first, "旧衣服扔到哪个箱子", "garbage_sorting") != ANSWER


@pytest.mark.parametrize(("question", "topic"), [
    ("厨余垃圾的袋子物业给不给", "garbage_sorting"),  # the answer says 厨余垃圾, not the bag
    ("垃圾袋免费发吗", "garbage_sorting"),
    ("一户最多能养几只狗", "pets"),  # how many: the answer gives no number of dogs
    ("停车场有几个出入口", "parking"),
    ("狗屎扔哪", "pets"),  # where (扔哪, as 扔在哪): the answer says to clear it up, not where it goes
    ("装修押金交哪", "renovation_deposit"),  # the amount is said, the place is not
])
def test_what_the_answer_does_not_say_is_handed_over(first: CommunityFacts, question: str, topic: str) -> None:
    assert verdict(first, question, topic) in (HANDOVER, PARTIAL)


@pytest.mark.parametrize(("question", "topic"), [
    ("商铺物业费几块钱一个平方", "fee_standard"),  # ㎡ as the answer is read (m2)
    ("装修保证金多久退", "renovation_deposit"),  # 保证金 is 押金
    ("春节服务中心开门吗", "office_hours"),  # 春节 is a 节假日
    ("第一次办门禁卡免费几张", "access_card"),  # 2张: the count is given
    ("公众号里能报修吗", "repair_process"),  # the record: 公众号 is one of the ways online
    ("带小孩办门禁卡要带啥", "access_card"),  # for whom is no thing asked
    ("停车场一个月多少钱", "parking"),  # a 停车场 is where the answer's 车位 are (bench chat's own question)
])
def test_what_the_record_says_is_answered(first: CommunityFacts, question: str, topic: str) -> None:
    assert verdict(first, question, topic) == ANSWER


def test_the_known_facts_of_the_training_questions_are_still_answered(first: CommunityFacts) -> None:
    questions = training_questions()
    answered = [text for text, topic in questions if verdict(first, text, topic) == ANSWER]
    assert len(questions) >= 270
    assert len(answered) >= TRAINING_ANSWERED_AT_LEAST, sorted(set(t for t, _ in questions) - set(answered))


def test_coverage_reads_covers_from_its_argument_only() -> None:
    answer = "小区地下车位月租300元/月。"
    assert coverage("车库月租多少钱", answer).verdict == ANSWER  # 车库: a general synonym of 地下车位
    assert coverage("机械车位月租多少钱", answer).verdict != ANSWER
    assert coverage("机械车位月租多少钱", answer, covers=("机械车位",)).verdict == ANSWER


def test_the_community_file_is_read_with_its_covers(tmp_path: Path) -> None:
    assert set(read_community_file(FIRST_COMMUNITY_FILE).covers) <= set(read_community_file(FIRST_COMMUNITY_FILE).answers)
    path = tmp_path / "x.yml"
    path.write_text("slug: x\nname: 兰亭苑\nanswers: {parking: 车位月租300元。}\ncovers: {parking: 车库、地库}\n", encoding="utf-8")
    assert read_community_file(path).covers == {"parking": ("车库", "地库")}



def test_an_unsure_topic_is_never_answered(first: CommunityFacts) -> None:
    """Below 0.3 never; between 0.3 and 0.4 only when the answer names every thing asked (the next
    test) — 「物业费能用支付宝交吗」 names 物业费 and 支付宝, which the payment answer says, so it is
    asked here at 0.25 (it was 0.35 before that rule)."""
    parsed = {"intent": {"name": "inquiry"}, "response_selector": {"inquiry": {"response": {"intent_response_key": "inquiry/fee_payment", "confidence": 0.25}}}}
    answer_of = lambda topic: (first.answers.get(topic), first.covers.get(topic, ()))  # noqa: E731
    assert decide_parsed("物业费能用支付宝交吗", parsed, answer_of, (first.name,)).verdict == HANDOVER
    parsed["response_selector"]["inquiry"]["response"]["confidence"] = 0.35  # type: ignore[index]
    assert decide_parsed("物业费能用信用卡交吗", parsed, answer_of, (first.name,)).verdict == HANDOVER  # 信用卡: not said
    parsed["response_selector"]["inquiry"]["response"]["confidence"] = 0.45  # type: ignore[index]
    assert decide_parsed("物业费能用支付宝交吗", parsed, answer_of, (first.name,)).verdict == ANSWER


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("押金啥时候能退 装修完了", "renovation_deposit"),  # 啥时候: the time facet, as 什么时候
        ("地下车位租一整年多少钱", "parking"),  # 整年: a numeral, no thing
        ("水表多久抄一回", "utilities"),  # 一回: a numeral with its measure
        ("服务中心在哪 刚搬来找不着", "office_hours"),  # 找不着: the resident's trouble
        ("物业下午几点开门 我怕白天没空", "office_hours"),  # 下午: the time facet; 没空: the resident's day
        ("带外孙去儿童乐园 几点关门", "facilities"),  # the person it is asked for, as 小孩
        ("我家住高层 不晓得物业费一平多少钱", "fee_standard"),  # 家住, 晓得: the resident's words
        ("装修工人周末能动工吗", "renovation"),  # 动工 is 施工
        ("装修的压金退不退", "renovation_deposit"),  # 压金: the common slip for 押金
        ("我们新房子的门禁卡第一次办要钱吗", "access_card"),  # 新房子, as 新房: no thing of its own
        ("住这栋楼的物业费怎么收", "fee_standard"),  # 楼, as 房子
        ("临时停车停两个钟头多少钱", "parking"),  # 钟头 is 小时
        ("报修打哪个号码", "repair_process"),  # the phone facet, as 哪个电话
        ("养狗在小区里有什么讲究", "pets"),  # 讲究, as 规矩
        ("物业费能让银行每个月扣掉吗", "fee_payment"),  # 掉: a complement (扣掉 is 扣), as 了
    ],
)
def test_residents_own_question_and_function_words_ask_for_no_thing(first: CommunityFacts, question: str, topic: str) -> None:
    """Words jieba tags as numerals, pronouns, adverbs, particles or idioms, and "can't" complements,
    name nothing the answer must say (a class, not a list: residents' words are tagged so too)."""
    assert verdict(first, question, topic) == ANSWER


def test_a_price_per_unit_is_still_asked_for(first: CommunityFacts) -> None:
    """电费一度多少钱: 一度 is a numeral, but the price per 度 is what is asked — not in the record."""
    assert "度" not in first.answers["utilities"]
    assert verdict(first, "电费一度多少钱", "utilities") != ANSWER


def test_an_age_is_a_facet_the_answer_must_give(first: CommunityFacts) -> None:
    assert verdict(first, "儿童乐园几岁以下的小孩能玩", "facilities") != ANSWER
    assert verdict(first, "儿童乐园几岁以下的小孩能玩", "facilities", covers=("几岁",)) != ANSWER  # a facet, not a word


def test_how_long_is_not_answered_by_opening_hours(first: CommunityFacts) -> None:
    """「快递柜能放几天」 was answered with the parcel station's hours and 「24小时均可取件」 (tried as a
    resident): a clock time says when, not how long — the duration is a facet of its own."""
    assert "24小时" in first.answers["express_delivery"]
    assert verdict(first, "快递柜能放几天", "express_delivery") != ANSWER
    assert verdict(first, "驿站几点关门", "express_delivery") == ANSWER  # when: the hours answer it
    assert coverage("押金多久退", "装修押金在验收合格后15个工作日内无息退还。").verdict == ANSWER
    assert coverage("物业费多久交一次", "物业费按季度或按年缴纳。").verdict == ANSWER  # a frequency
    assert coverage("游泳池哪几个月开放", "游泳池每年6月至9月开放，开放时间为9:00–21:00。").verdict == ANSWER  # which months: when


def test_a_fee_is_covered_by_an_answer_that_names_what_it_is_for_and_a_price() -> None:
    """「停车费呢」: the parking answer says 停车 and 5元/小时, not the word 停车费 (it was handed over)."""
    parking = "临时停车首1小时免费，之后5元/小时，每天封顶30元；访客车辆请在东门登记。"
    assert coverage("停车费呢", parking).verdict == ANSWER
    assert coverage("快递费呢", parking).verdict == HANDOVER  # what the fee is for is not in the answer
    assert coverage("停车费呢", "访客车辆请在东门登记。").verdict == HANDOVER  # no price given


def test_a_less_sure_topic_is_answered_only_when_its_answer_names_every_thing_asked(first: CommunityFacts) -> None:
    """「门禁卡怎么办理」: access_card at 0.38 with one training of the model (0.5 with another) — it
    was handed over, the commonest question there is about cards. Between 0.3 and 0.4 a topic is
    answered when the question names things and its answer says each; below 0.3, or with nothing
    named (「怎么办理」), or a thing the answer does not say, it stays a guess: the hand-over."""
    card = first.answers["access_card"]

    def at(question: str, confidence: float) -> str:
        return decide(question, TopicPick("access_card", confidence), card, (first.name,)).verdict

    assert at("门禁卡怎么办理", 0.38) == ANSWER
    assert at("门禁卡怎么办理", 0.29) == HANDOVER
    assert at("怎么办理", 0.38) == HANDOVER
    assert at("车库门禁卡怎么办理", 0.38) == HANDOVER  # the answer does not say 车库
    assert at("怎么办理", 0.45) == ANSWER  # sure enough: the coverage check alone
