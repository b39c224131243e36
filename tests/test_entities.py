"""The rule-based entity extractor (bot/nlu/entities.py): what residents actually type."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.intake.validation import check_address, check_phone, check_visit_time
from bot.nlu.components import BareAnswerClassifier
from bot.nlu.entities import ENTITY_NAMES, Entity, extract_entities, first_value, is_bare_answer, without_phones


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
        ("2号楼电梯有异响", "2号楼电梯"),  # issue 12: the lift of building 2 is the place
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
        ("地下车库B2的灯全灭了", "地下车库B2"),  # issue 12: the level is part of the place
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


@pytest.mark.parametrize(
    ("text", "address", "phone"),
    [("7栋2单元 13900002222", "7号楼2单元", "13900002222"), ("6栋1单元502 13500001234", "6-1-502", "13500001234")],
)
def test_an_address_then_a_phone_in_one_message_are_both_read(text: str, address: str, phone: str) -> None:
    """Tried in Chromium, 「7栋2单元 13900002222」 written while an emergency waited gave the phone
    only: the address took 1390 as its room, overlapped the phone and was dropped."""
    assert values(text, "address") == [address] and values(text, "phone") == [phone]


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
        # who they are in the community between 我是 and the name (tried on scripts/run: no name kept)
        ("我是业主王女士，厨房漏水", "王", "女士"),
        ("我是3栋2单元的张阿姨 楼道灯坏了", "张", "阿姨"),
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
    from bot.nlu.components import PropertyEntityExtractor

    message = Message(data={"text": "9栋2单元1201的水管裂了，电话18812345678"})
    PropertyEntityExtractor({}).process([message])
    found = {(e["entity"], e["value"], e["extractor"]) for e in message.get("entities")}
    assert found == {("address", "9-2-1201", "PropertyEntityExtractor"), ("phone", "18812345678", "PropertyEntityExtractor")}


# --------------------------------------------------------------------------- issue 12: how residents say it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天下午吧 我在家", "今天下午"),
        ("今晚七点以后", "今晚七点以后"),
        ("明早九点前", "明早九点前"),
        ("后天上午十点左右", "后天上午十点左右"),
        ("这个周末", "这个周末"),
        ("这周六下午来", "这周六下午"),
        ("下班以后都在", "下班以后"),
        ("我晚饭后在家", "晚饭后"),
        ("啥时候都行", "啥时候都行"),
        ("你们啥时候来都可以", "啥时候来都可以"),
        ("随时来都行", "随时来都行"),
        ("晚上八点半到九点", "晚上八点半到九点"),
        ("中午12点以后可以", "中午12点以后"),
        ("工作日白天家里有老人", "工作日白天"),
        ("周一到周五晚上", "周一到周五晚上"),
        ("礼拜天上午", "礼拜天上午"),
        ("明天一大早", "明天一大早"),
        ("後天下午兩點", "后天下午两点"),  # traditional script, read as simplified
        ("mingtian shangwu", "明天上午"),  # pinyin
    ],
)
def test_visit_times_as_residents_say_them(text: str, expected: str) -> None:
    assert values(text, "visit_time") == [expected]
    assert_spans_match(text, extract_entities(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("地下车库B1的排水沟堵了", "地下车库B1"),
        ("B2车库的灯坏了一排", "车库B2"),
        ("负二层停车场漏水", "停车场负二层"),
        ("6号楼电梯", "6号楼电梯"),
        ("8栋大堂的玻璃门裂了", "8号楼大堂"),
        ("十二号楼二单元电梯厅", "12号楼2单元电梯厅"),
        ("西门岗亭的窗户关不上", "西门岗亭"),
        ("小区北门入口的道闸坏了", "北门入口"),
        ("2栋天台的门锁坏了", "2号楼天台"),
        ("快递柜打不开", "快递柜"),
        ("篮球场的灯不亮", "篮球场"),
    ],
)
def test_public_places_are_addresses(text: str, expected: str) -> None:
    assert values(text, "address") == [expected]
    assert_spans_match(text, extract_entities(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("139-8765-4321", "13987654321"),
        ("手机 139 8765 4321", "13987654321"),
        ("+86 139 8765 4321", "13987654321"),
        ("+8613987654321", "13987654321"),
        ("8613987654321", "13987654321"),
        ("0086 13987654321", "13987654321"),
        ("座机 020-87654321", "020-87654321"),
        ("0769-2345678", "0769-2345678"),
        ("(021)65432109", "021-65432109"),
        ("02165432109", "021-65432109"),
        ("办公室0755-1234567 转 8021", "0755-1234567转8021"),
        ("0755-12345678分机203", "0755-12345678转203"),
        ("１３９８７６５４３２１", "13987654321"),  # full width
        # Spelled digit by digit, as read aloud and as voice input writes it: 「号码好像不完整」 before
        ("一三九零零零零六六六六", "13900006666"),
        ("我电话是幺三八 一二三四 五六七八", "13812345678"),
        ("座机零五七一八七六五四三二一", "0571-87654321"),
    ],
)
def test_phone_numbers_as_residents_write_them(text: str, expected: str) -> None:
    assert values(text, "phone") == [expected]
    assert_spans_match(text, extract_entities(text))


def test_a_spelled_phone_is_taken_by_the_phone_question() -> None:
    assert check_phone("一三九零零零零六六六六").value == "13900006666"
    assert values("三栋二单元五零二", "phone") == []  # an address's numbers are no run of seven
    assert values("一二三四五六七", "phone") == []  # seven digits, no phone's shape


@pytest.mark.parametrize("text", ["拨打10086问过了", "400-800-1234是你们的客服吗", "身份证后四位0755", "工单WY202612030001"])
def test_service_numbers_and_codes_are_not_phones(text: str) -> None:
    assert values(text, "phone") == []


@pytest.mark.parametrize("text", ["这两天一直在漏水", "楼道灯坏了三天", "我在小区里面"])
def test_durations_and_vague_places_are_neither_times_nor_addresses(text: str) -> None:
    assert values(text, "visit_time") == [] and values(text, "address") == []


# --------------------------------------------------------------------------- the forms accept them


@pytest.mark.parametrize(("answer", "expected"), [("今天下午", "今天下午"), ("下班后吧", "下班后"), ("什么时候都行", "什么时候都行"), ("周末", "周末")])
def test_the_repair_form_accepts_everyday_visit_times(answer: str, expected: str) -> None:
    # Issue 12: 「今天下午」 was asked three times and then kept as 待客服核实.
    assert check_visit_time(answer).value == expected


@pytest.mark.parametrize(("answer", "expected"), [("3号楼大堂", "3号楼大堂"), ("东门岗亭", "东门岗亭"), ("地下车库B2", "地下车库B2")])
def test_the_forms_accept_public_places(answer: str, expected: str) -> None:
    assert check_address(answer).value == expected


@pytest.mark.parametrize(("answer", "expected"), [("+86 138 1234 5678", "13812345678"), ("座机010-12345678", "010-12345678")])
def test_the_forms_accept_phone_forms(answer: str, expected: str) -> None:
    assert check_phone(answer).value == expected


# --------------------------------------------------------------------------- bare answers


@pytest.mark.parametrize(
    "text",
    ["今晚", "这周六吧", "东门", "小区西门岗亭", "啥时候来都行", "+86 139 8765 4321", "我家是8号楼", "手机号18812345678", "下午来就行", "赵女士"],
)
def test_a_bare_time_place_phone_or_name_is_an_answer(text: str) -> None:
    assert is_bare_answer(text)


@pytest.mark.parametrize(
    "text", ["早上好", "晚上好呀", "非常满意", "WY202612010003", "3号楼电梯坏了", "明天上午过来修一下水管", "随便", "电梯困人 3号楼"]
)
def test_greetings_ratings_ticket_numbers_and_reports_are_not_bare_answers(text: str) -> None:
    assert not is_bare_answer(text)


def _classified(text: str, intent: str, confidence: float) -> Message:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": confidence}, "intent_ranking": [{"name": intent, "confidence": confidence}]})
    BareAnswerClassifier(BareAnswerClassifier.get_default_config()).process([message])
    return message


def test_the_classifier_takes_a_bare_answer_as_inform() -> None:
    # Seen with the trained model: 「今晚」 went to the fallback and 「西门岗亭」 to complaint (0.87).
    assert _classified("今晚", "nlu_fallback", 0.5).get("intent") == {"name": "inform", "confidence": 0.9}
    message = _classified("西门岗亭", "complaint", 0.87)
    assert [c["name"] for c in message.get("intent_ranking")] == ["inform", "complaint"]


def test_the_classifier_leaves_everything_else_alone() -> None:
    assert _classified("西门岗亭的保安态度太差", "complaint", 0.9).get("intent")["name"] == "complaint"
    assert _classified("/repair", "repair", 1.0).get("intent")["name"] == "repair"
    assert _classified("3号楼", "inform", 0.99).get("intent") == {"name": "inform", "confidence": 0.99}


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("我家厨房水龙头漏水了 我电话13812345678", "我家厨房水龙头漏水了"),
        ("电话13812345678，厨房水管漏了", "厨房水管漏了"),
        ("厨房水管漏了，手机号是138 1234 5678 快点来", "厨房水管漏了 快点来"),
        ("楼下邻居天天吵 联系方式：13900001111。", "楼下邻居天天吵"),
        ("厨房漏水 座机 0571-88886666", "厨房漏水"),
        ("没有电话 也没有手机", "没有电话 也没有手机"),
        ("3栋2单元501 卫生间漏水", "3栋2单元501 卫生间漏水"),
    ],
)
def test_a_case_is_told_without_the_phone_in_it(text: str, kept: str) -> None:
    assert without_phones(text) == kept
