"""The rule-based entity extractor (bot/nlu/entities.py): what residents actually type."""

from __future__ import annotations

import pytest

from bot.nlu.entities import ENTITY_NAMES, Entity, extract_entities, first_value


def values(text: str, entity: str) -> list[str]:
    return [e.value for e in extract_entities(text) if e.entity == entity]


def assert_spans_match(text: str, found: list[Entity]) -> None:
    for entity in found:
        assert text[entity.start : entity.end] == entity.text, entity
        assert entity.entity in ENTITY_NAMES


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我家4-3-1502，阳台往下滴水", "4-3-1502"),
        ("地址是 11-1-201", "11-1-201"),
        ("3栋2单元102室的门锁坏了", "3-2-102"),
        ("6幢1单元803房，马桶堵了", "6-1-803"),
        ("住在9号楼2单元1101", "9-2-1101"),
        ("三号楼二单元楼道灯不亮", "3号楼2单元"),
        ("十号楼三单元的电梯", "10号楼3单元"),
        ("2号楼电梯有异响", "2号楼"),
        ("7栋门口的路灯坏了", "7号楼"),
        ("5栋602，空调滴水", "5号楼602室"),
        ("2单元301室的门禁坏了", "2单元301室"),
    ],
)
def test_home_addresses_are_normalised(text: str, expected: str) -> None:
    assert values(text, "address") == [expected]
    assert_spans_match(text, extract_entities(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("地下车库B2的灯全灭了", "地下车库"),
        ("北门道闸抬不起来", "北门"),
        ("快递驿站门口积水很深", "快递驿站"),
        ("中心花园的喷泉坏了", "中心花园"),
        ("健身房跑步机坏了", "健身房"),
        ("天台的门被锁死了", "天台"),
    ],
)
def test_common_areas_are_places(text: str, expected: str) -> None:
    assert values(text, "address") == [expected]


@pytest.mark.parametrize(
    "text",
    ["我5号出差，下周回来", "这个月15号之前能修好吗", "房子一百平米", "我买了3台空调", "卫生间地漏堵了"],
)
def test_dates_and_numbers_are_not_addresses(text: str) -> None:
    assert values(text, "address") == []


def test_longest_address_wins_over_its_parts() -> None:
    found = [e for e in extract_entities("8栋1单元702室") if e.entity == "address"]
    assert [(e.value, e.start, e.end) for e in found] == [("8-1-702", 0, 9)]


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机13612345678", "13612345678"),
        ("电话 186 0000 1234", "18600001234"),
        ("联系我：159-8888-7777", "15988887777"),
        ("+86 17712345678 随时打", "17712345678"),
        ("座机0571-86612345", "0571-86612345"),
        ("家里电话 0571-8661-2345", "0571-86612345"),
        ("办公室 010 6543 2109", "010-65432109"),
    ],
)
def test_phone_numbers_with_separators(text: str, expected: str) -> None:
    assert values(text, "phone") == [expected]
    assert_spans_match(text, extract_entities(text))


@pytest.mark.parametrize(
    "text",
    ["我的号码1361234567", "编号136123456789", "12345678901", "门牌号是102", "验证码 123456"],
)
def test_not_phone_numbers(text: str) -> None:
    assert values(text, "phone") == []


def test_two_phone_numbers_are_both_found() -> None:
    assert values("我13812345678，我爱人13987654321", "phone") == ["13812345678", "13987654321"]


# --------------------------------------------------------------------------- surname and title


@pytest.mark.parametrize(
    ("text", "surname", "title"),
    [
        ("我是王先生，想报个修", "王", "先生"),
        ("您好，我是李女士", "李", "女士"),
        ("赵小姐，5栋的", "赵", "女士"),
        ("我是刘阿姨，住3号楼", "刘", "阿姨"),
        ("本人欧阳先生", "欧阳", "先生"),
        ("我是孙老师", "孙", "老师"),
        ("我是陈叔叔", "陈", "先生"),
    ],
)
def test_surname_and_title(text: str, surname: str, title: str) -> None:
    assert values(text, "surname") == [surname]
    assert values(text, "title") == [title]


@pytest.mark.parametrize(("text", "surname"), [("我姓周", "周"), ("免贵姓诸葛", "诸葛"), ("本人姓黄，电话13612345678", "黄")])
def test_surname_alone(text: str, surname: str) -> None:
    assert values(text, "surname") == [surname]
    assert values(text, "title") == []


@pytest.mark.parametrize("text", ["先生您好", "王者荣耀打不开", "我问一下老师宿舍", "物业的李经理在吗"])
def test_no_name_without_a_surname_and_title(text: str) -> None:
    assert values(text, "title") == []


# --------------------------------------------------------------------------- visit times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明天上午来吧", "明天上午"),
        ("后天下午三点以后都在家", "后天下午三点以后"),
        ("周六上午", "周六上午"),
        ("下周三晚上7点", "下周三晚上7点"),
        ("这周日下午", "这周日下午"),
        ("12月3日上午", "12月3日上午"),
        ("今晚8点半之后", "今晚8点半之后"),
        ("随时都可以", "随时都可以"),
        ("星期五中午", "星期五中午"),
    ],
)
def test_visit_times(text: str, expected: str) -> None:
    assert values(text, "visit_time") == [expected]


@pytest.mark.parametrize("text", ["厨房水龙头漏水", "楼上很吵", "2号楼电梯坏了"])
def test_no_visit_time_in_a_plain_report(text: str) -> None:
    assert values(text, "visit_time") == []


# --------------------------------------------------------------------------- ticket numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("查一下WY202611220015", "WY202611220015"),
        ("我的工单 wy202612010003 到哪了", "WY202612010003"),
        ("单号Wy 20261130012345", "WY20261130012345"),
    ],
)
def test_ticket_numbers_are_upper_cased(text: str, expected: str) -> None:
    assert values(text, "ticket_id") == [expected]
    # The digits of a ticket number are never read as a phone number.
    assert values(text, "phone") == []


@pytest.mark.parametrize("text", ["WY2026", "AWY202611220015", "WY2026112200151234"])
def test_not_ticket_numbers(text: str) -> None:
    assert values(text, "ticket_id") == []


# --------------------------------------------------------------------------- ratings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("非常满意", "非常满意"),
        ("满意！", "满意"),
        ("不满意", "不满意"),
        ("很不满意。", "很不满意"),
        ("给你们打个一般吧", "一般"),
        ("评价：非常满意，谢谢", "非常满意"),
    ],
)
def test_ratings(text: str, expected: str) -> None:
    assert values(text, "rating") == [expected]


@pytest.mark.parametrize("text", ["这个一般多久能修好", "对你们的处理我很满意但还想问个问题", "一般维修收费吗"])
def test_rating_words_outside_a_rating_are_not_ratings(text: str) -> None:
    assert values(text, "rating") == []


# --------------------------------------------------------------------------- a whole message


def test_a_full_repair_message() -> None:
    text = "我是张女士，住12栋1单元602，卫生间漏水，电话13512345678，明天下午在家"
    found = extract_entities(text)
    assert_spans_match(text, found)
    assert {(e.entity, e.value) for e in found} == {
        ("surname", "张"),
        ("title", "女士"),
        ("address", "12-1-602"),
        ("phone", "13512345678"),
        ("visit_time", "明天下午"),
    }
    assert [e.start for e in found] == sorted(e.start for e in found)
    spans = [(e.start, e.end) for e in found]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False)), "entities overlap"


def test_rasa_format_and_first_value() -> None:
    [entity] = extract_entities("电话13812345678")
    assert entity.as_rasa("PropertyEntityExtractor") == {
        "entity": "phone",
        "start": 2,
        "end": 13,
        "value": "13812345678",
        "confidence_entity": 1.0,
        "extractor": "PropertyEntityExtractor",
    }
    assert first_value("5-1-301 和 6-2-402", "address") == "5-1-301"
    assert first_value("没有地址", "address") is None


@pytest.mark.parametrize("text", ["", "   ", "。。。"])
def test_empty_text(text: str) -> None:
    assert extract_entities(text) == []


def test_rasa_component_adds_the_entities() -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.components import PropertyEntityExtractor

    message = Message(data={"text": "9栋2单元1201的水管裂了，电话18812345678"})
    PropertyEntityExtractor({}).process([message])
    found = {(e["entity"], e["value"], e["extractor"]) for e in message.get("entities")}
    assert found == {("address", "9-2-1201", "PropertyEntityExtractor"), ("phone", "18812345678", "PropertyEntityExtractor")}
