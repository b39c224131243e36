"""A fault stated beside a question about something else (bot/intake/asides.py): 「楼道灯坏了 还有快递站
在哪」 is a repair and a question, not one question whose 楼道灯 the answer does not cover."""

from __future__ import annotations

import pytest

from bot.intake.asides import Aside, fault_beside_question, question_beside_complaint


@pytest.mark.parametrize(
    ("text", "fault", "question"),
    [
        ("楼道灯坏了 还有快递站在哪", "楼道灯坏了", "快递站在哪"),  # tried on scripts/run, 2026-12-07
        ("楼道灯坏了还有快递站在哪", "楼道灯坏了", "快递站在哪"),  # no space: 还有 joins the second matter
        ("楼道灯坏了，另外物业费什么时候交", "楼道灯坏了", "物业费什么时候交"),
        ("水龙头漏水了 对了停车费多少钱一个月", "水龙头漏水了", "停车费多少钱一个月"),
        ("门口路灯不亮 请问游泳池几点开门", "门口路灯不亮", "请问游泳池几点开门"),
        # the question first (tried on scripts/run: the fee answered, 「关于水管泄漏…没有写明」 and an
        # inquiry ticket — the leak was no repair: 漏了 was no fault)
        ("请问物业费怎么交 我家水管也漏了", "我家水管也漏了", "请问物业费怎么交"),
    ],
)
def test_a_fault_and_a_question_about_another_thing_are_two_matters(text: str, fault: str, question: str) -> None:
    assert fault_beside_question(text) == Aside(fault, question, announced=True)


def test_a_question_not_said_to_be_a_second_matter_is_told_apart() -> None:
    """The repair form takes only an announced question apart (「能不能来人看看我家外墙 空调孔那里渗水」
    asks for the repair itself): 还有, 对了, 请问 … say it is another matter."""
    assert fault_beside_question("水龙头漏水了 物业费什么时候交") == Aside("水龙头漏水了", "物业费什么时候交", announced=False)
    assert not fault_beside_question("能不能来人看看我家外墙 空调孔那里渗水").announced


@pytest.mark.parametrize(
    "text",
    [
        "门禁卡坏了 怎么补办",  # a question about the fault: 补办 is doing something to it
        "电梯坏了 什么时候能修好",
        "门禁卡坏了 门禁卡去哪补办",  # the same thing
        "门锁坏了 开锁师傅电话多少",  # who comes to mend it
        "马桶堵了 疏通要钱吗",
        "家里水管坏了物业修收不收钱",  # one clause
        "快递柜打不开了",  # a fault, nothing asked
        "快递站在哪",  # a question, no fault
        "厨房下水道堵了 怎么办",
        "",
    ],
)
def test_a_question_about_the_fault_itself_or_a_single_matter_is_not(text: str) -> None:
    assert fault_beside_question(text) is None


@pytest.mark.parametrize(
    ("text", "matter", "question"),
    [
        ("楼上装修太吵了 另外物业费什么时候交", "楼上装修太吵了", "物业费什么时候交"),
        ("保安态度太差了 对了停车费多少钱", "保安态度太差了", "停车费多少钱"),
        ("垃圾好几天没人清了 还有快递站在哪", "垃圾好几天没人清了", "快递站在哪"),
    ],
)
def test_a_complaint_and_a_question_said_to_be_another_matter_are_two(text: str, matter: str, question: str) -> None:
    assert question_beside_complaint(text) == Aside(matter, question, announced=True)


@pytest.mark.parametrize(
    "text",
    [
        "楼上装修太吵了 物业费什么时候交",  # not said to be another matter: the complaint's words
        "楼上装修太吵了 请问你们管不管",  # about the case: the complaint's (the rule follows the apology)
        "楼上装修太吵了 另外周末可以装修吗",  # what the rule allows: the complaint's
        "物业费太贵了 另外物业费怎么交",  # the same thing
        "物业还有没有人管",  # 还有 inside a clause is no second matter
        "另外物业费什么时候交",  # no grievance
    ],
)
def test_a_question_about_the_complaint_or_not_announced_is_not(text: str) -> None:
    assert question_beside_complaint(text) is None
