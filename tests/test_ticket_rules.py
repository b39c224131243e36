"""The ticket rules (bot/tickets/rules.py) on their own, without a database: repair priority (DOMAIN §2,
seed 000 「客户报修接待服务」), complaint class, department and same-day answer (DOMAIN §3, seed 003
「客户投诉管理制度」, seed 002 §5.4.1), and the deadlines each rule gives. The intake that stores them is
tested in tests/test_intake.py, on the same examples.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot import texts
from bot.tickets.rules import (
    COMPLAINT_DEADLINES,
    EMERGENCY_DEADLINES,
    INQUIRY_DEADLINES,
    REPAIR_DEADLINES,
    SAME_DAY_PROMISE,
    Deadlines,
    about_a_neighbour,
    complaint_class,
    complaint_department,
    complaint_rule,
    deadline_times,
    deadlines_for,
    repair_priority,
    same_day_answer,
    same_day_window,
)

# 10:00 and 22:30 in Asia/Shanghai on the suite's day (tests run on 15 June 2026, see conftest.py).
MORNING = datetime(2026, 6, 15, 2, 0, tzinfo=timezone.utc)
LATE_EVENING = datetime(2026, 6, 15, 14, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("problem", "priority"),
    [
        ("厨房水管爆了，水一直往外喷", "急修"),
        ("2号楼电梯按了没反应", "急修"),
        ("家里突然停电了，别家都有电", "急修"),
        ("卧室窗户关不严，有点漏风", "一般"),
        ("卫生间门把手松了", "一般"),
        ("我家厕所马桶堵了 水都漫出来了", "急修"),  # water spreading over the floor
        ("洗手池溢水了 地上全是水", "急修"),
        ("马桶堵了", "一般"),  # blocked, nothing spreading: a general repair
        ("水龙头有点滴水", "一般"),
        ("卫生间下水道反味 怎么办", "一般"),  # a smell, not sewage coming back: 反味 held 反 of 反水
        ("地漏一直往上冒臭气", "一般"),
        ("下水道往上反水", "急修"),
        ("地漏往上冒水", "急修"),
    ],
)
def test_repair_priority(problem: str, priority: str) -> None:
    assert repair_priority(problem) == priority


def test_repair_deadlines() -> None:
    """急修: respond within 2 hours, fixed within 24; 一般: fixed within 3 days (DOMAIN §2)."""
    assert (REPAIR_DEADLINES["急修"].respond_within, REPAIR_DEADLINES["急修"].resolve_within) == (timedelta(hours=2), timedelta(hours=24))
    assert (REPAIR_DEADLINES["一般"].respond_within, REPAIR_DEADLINES["一般"].resolve_within) == (None, timedelta(hours=72))


@pytest.mark.parametrize(
    ("detail", "level"),
    [
        ("我已经第三次报修了，楼道灯还是没人来修", "重大"),
        ("楼上空调外机掉下来把我的车砸坏了，要求赔偿", "重大"),
        ("物业收费不公开，账目看不到", "重要"),
        ("维修师傅约好了却没来", "重要"),
        ("隔壁邻居家的狗半夜一直叫", "一般"),
    ],
)
def test_complaint_class(detail: str, level: str) -> None:
    assert complaint_class(f"其他 {detail}") == level  # the intake classifies "<subject> <detail>"


def test_every_complaint_is_answered_within_ten_minutes_and_a_minor_one_resolved_within_three_days() -> None:
    assert {d.respond_within for d in COMPLAINT_DEADLINES.values()} == {timedelta(minutes=10)}
    assert COMPLAINT_DEADLINES["一般"].resolve_within == timedelta(days=3)


def test_a_follow_up_or_rework_gets_the_deadlines_of_its_originals_class_and_priority() -> None:
    # bot.tickets.service.follow_up_ticket and the 返修's promise (bot.intake.repair.rework) read this one rule
    assert deadlines_for("repair", "急修") == REPAIR_DEADLINES["急修"]
    assert deadlines_for("repair", "一般") == REPAIR_DEADLINES["一般"]
    assert deadlines_for("complaint", "重大") == COMPLAINT_DEADLINES["重大"]
    assert deadlines_for("complaint", "急修") == COMPLAINT_DEADLINES["一般"]  # not a complaint's priority: the mildest
    assert deadlines_for("repair", "") == REPAIR_DEADLINES["一般"]


def test_service_quality_and_major_complaints_are_answered_the_same_day() -> None:
    service = "工作人员服务 门岗保安说话很冲"
    assert same_day_answer(service, complaint_class(service))
    assert complaint_department(service) == "秩序维护部"
    assert same_day_answer("其他 我已经第三次报修了，楼道灯还是没人来修", "重大")
    assert not same_day_answer("邻里噪音或占道 楼下邻居家小孩晚上拍球很吵", "一般")
    assert "今天之内" in texts.render(SAME_DAY_PROMISE)


def test_same_day_means_until_the_end_of_the_local_day_and_at_least_four_hours() -> None:
    assert same_day_window(MORNING) == timedelta(hours=13, minutes=59)  # 10:00 → 23:59 Beijing time
    assert same_day_window(LATE_EVENING) == timedelta(hours=4)  # 22:30: the day is nearly over


def test_deadline_times_count_from_the_creation() -> None:
    assert deadline_times(MORNING, EMERGENCY_DEADLINES) == (MORNING + timedelta(minutes=5), MORNING + timedelta(hours=2))
    assert deadline_times(MORNING, INQUIRY_DEADLINES) == (MORNING + timedelta(minutes=5), MORNING + timedelta(days=2))
    assert deadline_times(MORNING, Deadlines(None, None, "")) == (None, None)


@pytest.mark.parametrize(
    ("detail", "department", "neighbour", "rule"),
    [
        ("楼上邻居晚上十一点还在装修 电钻声吵得睡不着 你们管不管", "客服中心", True, "complaint.rule.renovation_hours"),
        ("周六一大早隔壁就开始砸墙", "客服中心", True, "complaint.rule.renovation_hours"),
        ("隔壁装修把楼道弄得很脏", "环境部", True, None),  # the dirt is the environment team's to clean
        ("楼下的狗不牵绳 在小区里乱跑 吓到孩子了", "客服中心", True, "complaint.rule.dog_leash"),
        ("邻居家的狗半夜一直叫 物业也不管", "客服中心", False, None),  # 物业也不管: about us too
        ("保安晚上在岗亭睡觉", "秩序维护部", False, None),
        ("报修三天了还没人来修", "工程部", False, None),
    ],
)
def test_neighbours_conduct_goes_to_the_service_centre_with_the_rule_that_answers_it(
    detail: str, department: str, neighbour: bool, rule: str | None
) -> None:
    """Seed 003 「客户服务中心的职责」: 住户各类违章行为的规劝、制止 (6), 装修事宜 (9); docs/facts.md for the rules."""
    assert complaint_department(detail) == department
    assert about_a_neighbour(detail) is neighbour
    assert complaint_rule(detail) == rule


def test_asking_whether_we_deal_with_it_is_no_lapse_of_ours() -> None:
    assert complaint_class("其他 楼上邻居晚上还在装修 你们管不管") == "一般"
    assert complaint_class("其他 报修了物业也不管") == "重要"


def test_a_smell_is_the_environments_whichever_place_it_is_in() -> None:
    """「电梯里有股尿骚味」 (tried on scripts/run) was apologised for on behalf of 工程部 (电梯) and asked
    which kind of complaint it was: a smell is the environment team's, for the department and the
    subject alike (one pattern, ``rules.ENVIRONMENT``); so is someone fouling the lift (「有人在电梯里
    小便」, on 2026-12-07 apologised for on behalf of 工程部)."""
    from bot.intake.complaint import subject_from_detail

    for detail in ("电梯里有股尿骚味", "地下车库一股霉味", "垃圾站太臭了", "有人在电梯里小便", "有人在楼道里随地大小便"):
        assert (complaint_department(detail), subject_from_detail(detail)) == ("环境部", "环境卫生绿化"), detail


def test_the_residents_words_decide_the_department_before_the_subject() -> None:
    assert complaint_department("楼上装修太吵", "邻里噪音或占道") == "客服中心"
    assert complaint_department("说不上来", "邻里噪音或占道") == "秩序维护部"  # only the button to go by


@pytest.mark.parametrize(
    ("description", "level", "department"),
    [
        ("楼上每天半夜拖椅子", "一般", "客服中心"),  # a chair dragged is a neighbour's noise (tried as a resident: it was 重要, 维修进度)
        ("楼下高跟鞋走来走去 一直到凌晨", "一般", "客服中心"),
        ("修个灯拖了半个月", "重要", "工程部"),  # dragged out: our lapse
        ("报修一个月了一直拖着", "重要", "工程部"),
    ],
)
def test_dragging_a_chair_is_noise_and_dragging_it_out_is_a_lapse(description: str, level: str, department: str) -> None:
    assert complaint_class(description) == level
    assert complaint_department(description, "") == department
