"""Tests for bot.politeness: the checker (seed 000 「礼仪」, seed 003 「礼貌用语」「对客服务」), the scripts,
and every text a resident reads: the whole catalogue (bot/texts/zh_CN.yml, each key rendered with
sample values) and every response in domain.yml and the knowledge base."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from bot import texts
from bot.gateway.canned import canned_replies
from bot.gateway.pages import STATIC
from bot.han import HAN
from bot.intake.rating import thanks_key
from bot.nlu.entities import extract_entities
from bot.politeness import (
    RULE_IMPOLITE_TONE,
    RULE_INTERNET_SLANG,
    RULE_NI_INSTEAD_OF_NIN,
    RULE_REFUSAL,
    ImpolitePhraseError,
    Violation,
    address,
    apology,
    assert_polite,
    cannot_answer_now,
    check,
    closing,
    company_name,
    echo,
    greeting,
    honorific,
    is_polite,
    please_wait,
    satisfaction_level,
    service_center_name,
    sorry_for_waiting,
    thanks,
)
from bot.politeness.titles import ADDRESS_FORMS, TITLES
from bot.satisfaction import LABELS as SATISFACTION_LEVELS
from bot.satisfaction import SCALE
from bot.settings import DEFAULT_COMPANY_NAME as COMPANY_NAME
from bot.settings import PROJECT_ROOT


@pytest.fixture(autouse=True)
def _default_company(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPANY_NAME", raising=False)


def _rules_for(text: str, phrase: str) -> set[str]:
    return {v.rule for v in check(text) if v.phrase == phrase}


# --------------------------------------------------------------------------- checker: rules fire

REFUSALS = [
    ("这个我不知道。", "不知道"),
    ("这件事我们也不清楚。", "不清楚"),
    ("我也不晓得。", "不晓得"),
    ("这样不行。", "不行"),
    ("没办法，只能等了。", "没办法"),
    ("这个我们办不到。", "办不到"),
    ("这个我们不能做。", "不能做"),
    ("今天修好是不可能的。", "不可能"),
    ("这个不归我们管。", "不归我们管"),
    ("那不关我们的事。", "不关我们的事"),
    ("这不是我们负责的。", "不是我们负责"),
    ("您找别人去吧。", "找别人去"),
    ("你自己看公告。", "你自己看"),
    ("你自己去服务中心。", "你自己去"),
    ("你自己弄一下。", "你自己弄"),
    ("门口的垃圾我们不管。", "我们不管"),
    ("师傅今天没空。", "没空"),
    ("随便你吧。", "随便你"),
    ("这钱爱交不交。", "爱交不交"),
]


@pytest.mark.parametrize(("text", "phrase"), REFUSALS)
def test_refusal_and_ignorance_are_caught(text: str, phrase: str) -> None:
    assert RULE_REFUSAL in _rules_for(text, phrase)
    assert not is_polite(text)


SLANG = [
    "亲，物业费可以在公众号缴纳。",
    "亲亲，在的。",
    "呵呵，已经登记了。",
    "哈哈哈，好的。",
    "我也是醉了。",
    "真是无语。",
    "师傅修得666。",
    "服务yyds！",
    "这服务绝绝子。",
    "栓Q了。",
    "集美们好。",
    "就是酱紫。",
    "神马情况？",
    "肿么了？",
    "木有问题。",
    "2333，好的。",
    "orz 抱歉。",
    "emm，我查一下。",
]


@pytest.mark.parametrize("text", SLANG)
def test_internet_slang_is_caught(text: str) -> None:
    rules = {v.rule for v in check(text)}
    assert RULE_INTERNET_SLANG in rules


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("你必须今天交费。", "你必须"),
        ("你给我等着。", "你给我"),
        ("你到底要修什么？", "你到底"),
        ("你听懂了没？", "你听懂了没"),
        ("听懂没有？", "听懂没有"),
        ("你怎么连门禁卡都不会用？", "你怎么连门禁卡都"),
        ("你是不是没看通知？", "你是不是"),
        ("凭什么给您退押金？", "凭什么"),
        ("有本事您去投诉。", "有本事"),
        ("早就告诉过你了。", "早就告诉过你"),
        ("跟你说过多少次了。", "说过多少次"),
        ("公告栏上有，自己看。", "自己看"),
        ("快点说。", "快点"),
        ("少废话。", "少废话"),
        ("烦不烦啊。", "烦不烦"),
        ("你懂不懂规定？", "你懂不懂"),
        ("这都不会。", "这都不会"),
        ("这是什么态度？", "什么态度"),
        ("有完没完？", "有完没完"),
        ("爱信不信。", "爱信不信"),
        ("你没长眼吗？", "你没长眼"),
        ("关我什么事。", "关我什么事"),
        ("谁让你乱停车的？", "谁让你"),
        ("没看见我正忙着吗？", "没看见我正忙"),
    ],
)
def test_impolite_tone_is_caught(text: str, phrase: str) -> None:
    assert RULE_IMPOLITE_TONE in _rules_for(text, phrase)


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("你的报修已经登记。", [0]),
        ("好的。你稍等。", [3]),
        ("请你们留下电话，你的问题会处理。", [1, 8]),
        ("你好，你的快递到了。", [3]),
    ],
)
def test_ni_instead_of_nin(text: str, starts: list[int]) -> None:
    found = [v.start for v in check(text) if v.rule == RULE_NI_INSTEAD_OF_NIN]
    assert found == starts
    assert all(text[s] == "你" for s in found)


def test_bare_ni_greeting_is_tolerated() -> None:
    assert check("你好，这里是锦华物业客户服务中心。") == []


# --------------------------------------------------------------------------- checker: polite passes

POLITE = [
    "请您留下联系方式。",
    "您好，请问有什么可以帮您？",
    "对不起，打扰您了。",
    "非常抱歉给您带来不便。",
    "请稍候，我马上为您查询。",
    "不客气，这是我应该做的。",
    "不好意思让您久等了。",
    "对不起，请您留下联系方式，我会尽快给您答复",
    "如有不清楚的地方欢迎随时咨询。",
    "若有不清楚的地方，请随时联系我们。",
    "您有什么不清楚的，欢迎来电。",
    "哪里不清楚，我再为您解释。",
    "如果您有任何不知道的地方，请随时咨询。",
    "对不起，电话里听不清楚，请您再说一遍。",
    "如果您这个时间没空，我们可以改约。",
    "周六不行的话，您看周日可以吗？",
    "您看这样行不行？",
    "禁止车辆不行驶时占用消防通道。",
    "请不要使用明火，请勿乘坐电梯，严禁烟火。",
    "燃气泄漏时不能开关电器，请立即开窗通风。",
    "您可以自己看看公众号里的公告。",
    "请尽快点击链接完成缴费。",
    "不管多晚，我们都会处理。",
    "我们不管多晚都会派人处理。",
    "家里没空调也可以报修。",
    "请您协助我们登记，您看这样好不好？",
    "这种情况，有关规定是这样的……",
    "感谢您的亲切关怀，您的父亲已登记。",
    "物业费为每月2.50元/㎡，电话0571-8765-4321。",
    "王先生您好，谢谢，再见！",
    "没关系，请原谅。",
]


@pytest.mark.parametrize("text", POLITE)
def test_polite_phrasing_passes(text: str) -> None:
    assert check(text) == []
    assert is_polite(text)
    assert_polite(text)


# --------------------------------------------------------------------------- checker: positions


def test_positions_and_sorting() -> None:
    text = "您好，这个我不知道，你自己去问吧，呵呵。"
    violations = check(text)
    assert [(v.rule, v.phrase, v.start) for v in violations] == [
        (RULE_REFUSAL, "不知道", 6),
        (RULE_REFUSAL, "你自己去", 10),
        (RULE_NI_INSTEAD_OF_NIN, "你", 10),
        (RULE_INTERNET_SLANG, "呵呵", 17),
    ]
    for v in violations:
        assert text[v.start : v.start + len(v.phrase)] == v.phrase


def test_violation_carries_manual_suggestion() -> None:
    (v,) = check("这个我不清楚。")
    assert v == Violation(
        rule=RULE_REFUSAL,
        phrase="不清楚",
        start=3,
        suggestion="对不起，请您留下联系方式，我会尽快给您答复",
    )
    (nin,) = check("你稍等。")
    assert nin.suggestion == "您"


def test_violation_is_frozen() -> None:
    v = check("不行。")[0]
    with pytest.raises(AttributeError):
        v.rule = "x"  # type: ignore[misc]


def test_assert_polite_raises_with_violations() -> None:
    with pytest.raises(ImpolitePhraseError) as info:
        assert_polite("不行，你找别人去。")
    err = info.value
    assert isinstance(err, ValueError)
    assert [v.phrase for v in err.violations] == ["不行", "你", "找别人去"]
    assert "不行" in str(err) and "找别人去" in str(err)


def test_empty_text_is_polite() -> None:
    assert check("") == []


# --------------------------------------------------------------------------- scripts


def test_company_name_default_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert COMPANY_NAME == "锦华物业"
    assert company_name() == "锦华物业"
    assert service_center_name() == "锦华物业客户服务中心"
    monkeypatch.setenv("COMPANY_NAME", "绿城物业")
    assert company_name() == "绿城物业"
    assert greeting() == "您好，这里是绿城物业客户服务中心，请问有什么可以帮您？"
    monkeypatch.setenv("COMPANY_NAME", "  ")
    assert company_name() == "锦华物业"


@pytest.mark.parametrize(
    ("surname", "title", "expected"),
    [
        ("王", "先生", "王先生"),
        ("李", "女士", "李女士"),
        ("李", "小姐", "李女士"),
        ("张", "阿姨", "张阿姨"),
        ("刘", "大爷", "刘大爷"),
        ("赵", "叔叔", "赵叔叔"),
        (" 周 ", " 先生 ", "周先生"),
        ("王小明", "先生", "王先生"),
        ("欧阳", "女士", "欧阳女士"),
        ("㛃", "女士", "㛃女士"),  # a name character of CJK Extension A (bot/han.py): Chinese too
        ("王1", "先生", "您"),
        ("王", None, "您"),
        ("王", "", "您"),
        ("王", "经理助理", "您"),
        (None, "先生", "您"),
        ("", "女士", "您"),
        ("Smith", "先生", "您"),
        (None, None, "您"),
    ],
)
def test_honorific(surname: str | None, title: str | None, expected: str) -> None:
    assert honorific(surname, title) == expected


def test_one_titles_table_for_the_nlu_and_the_honorific() -> None:
    """A resident's self-introduction becomes the title the bot addresses them with (bot/politeness/titles.py)."""
    for title in TITLES:
        found = {e.entity: e.value for e in extract_entities(f"我是王{title.word}，住3栋")}
        if title.self_introduced is None:
            assert "title" not in found, title
            continue
        assert (found.get("surname"), found.get("title")) == ("王", title.self_introduced), title
        assert honorific(found["surname"], found["title"]) == f"王{ADDRESS_FORMS[title.self_introduced]}"
    # 王太太 is Mrs Wang: both sides keep 太太 (the NLU used to say 女士, the honorific 太太).
    assert {e.value for e in extract_entities("我是王太太") if e.entity == "title"} == {"太太"}
    assert honorific("王", "太太") == "王太太"


def test_greeting_exact() -> None:
    assert greeting() == "您好，这里是锦华物业客户服务中心，请问有什么可以帮您？"
    assert (
        greeting("王", "先生")
        == "王先生您好，这里是锦华物业客户服务中心，请问有什么可以帮您？"
    )
    assert greeting("王") == greeting()


def test_address() -> None:
    assert address("王", "先生", "您的报修已登记。") == "王先生，您的报修已登记。"
    assert (
        address("李", "小姐", "您好，请问有什么可以帮您？")
        == "李女士您好，请问有什么可以帮您？"
    )
    assert address(None, None, "您的报修已登记。") == "您的报修已登记。"
    assert address("王", None, "您的报修已登记。") == "您的报修已登记。"
    assert address("王", "先生", "王先生，您好。") == "王先生，您好。"


def test_apology() -> None:
    assert (
        apology()
        == "非常抱歉给您带来不便，我代表锦华物业向您诚恳致歉，我们会认真处理并及时给您回复。"
    )
    assert apology("楼道灯长时间未修好。", department="工程部") == (
        "非常抱歉，楼道灯长时间未修好给您带来了不便，我代表工程部向您诚恳致歉，我们会认真处理并及时给您回复。"
    )
    # A topic that would put impolite words in the bot's mouth falls back to the generic text.
    assert apology("保安说不归我们管") == apology()


def test_short_scripts_exact() -> None:
    assert please_wait() == "请您稍候，我马上为您查询。"
    assert sorry_for_waiting() == "不好意思，让您久等了。"
    assert thanks() == "非常感谢您的支持与配合！"
    assert cannot_answer_now() == (
        "对不起，为了给您准确的答复，这个问题需要向相关同事核实。"
        "请您留下联系方式，锦华物业客户服务中心会尽快给您答复。"
    )


def test_closing_asks_thanks_rates_and_says_goodbye() -> None:
    text = closing()
    assert text.startswith("请问还有其他可以帮您的吗？")
    assert "感谢您对锦华物业工作的支持" in text
    assert "非常满意、满意、一般、不满意、很不满意" in text
    assert text.endswith("再见！")
    assert closing("张", "阿姨").startswith("张阿姨，请问还有其他可以帮您的吗？")


def test_satisfaction_levels() -> None:
    # One scale, one direction (bot.satisfaction): a higher score is better, as stored in
    # satisfaction_ratings.score. This test used to encode the reversed direction (1 = 非常满意).
    assert SATISFACTION_LEVELS == ("非常满意", "满意", "一般", "不满意", "很不满意")
    assert satisfaction_level(5) == "非常满意"
    assert satisfaction_level(1) == "很不满意"
    assert [satisfaction_level(level.score) for level in SCALE] == list(SATISFACTION_LEVELS)
    for bad in (0, 6, True):
        with pytest.raises(ValueError):
            satisfaction_level(bad)


@pytest.mark.parametrize(
    ("surname", "title"),
    [(None, None), ("王", "先生"), ("李", "小姐"), ("欧阳", "阿姨")],
)
def test_every_script_output_is_polite(surname: str | None, title: str | None) -> None:
    outputs = [
        greeting(surname, title),
        closing(surname, title),
        apology(),
        apology("停水"),
        apology("报修三天没人来", department="工程部"),
        please_wait(),
        sorry_for_waiting(),
        thanks(),
        cannot_answer_now(),
        address(surname, title, please_wait()),
        address(surname, title, cannot_answer_now()),
        honorific(surname, title),
    ]
    for text in outputs:
        assert check(text) == [], text


def test_echo_leaves_out_what_the_bot_must_not_say() -> None:
    assert echo("厨房水龙头漏水") == "厨房水龙头漏水"
    assert echo("你们快点来修，厨房下水道堵了") == "厨房下水道堵了"
    assert echo("你看着办吧") == texts.render("script.echo_withheld")


def test_echo_names_the_company_the_resident_addressed() -> None:
    """Tried in the browser: the complaint summary of 「你们修过的水管还是漏」 read 「投诉内容：已按您的
    原话记录，稍后由客服与您核实」 — the whole detail withheld for its 你. The company the resident
    speaks of is 物业 when the words are repeated; a 你 meant for the reader is still left out."""
    assert echo("你们修过的水管还是漏") == "物业修过的水管还是漏"
    assert echo("你们物业的保安态度太差") == "物业的保安态度太差"
    assert echo("你们快点来修，厨房下水道堵了") == "厨房下水道堵了"  # 快点: still left out
    # A space ends a clause as a comma does: what is left of the fault is repeated.
    assert echo("水龙头关不紧 怎么弄都不行") == "水龙头关不紧"
    assert echo("师傅上次来修完 还是漏") == "师傅上次来修完 还是漏"


# --------------------------------------------------------------------------- every resident text

# A value for every placeholder the catalogue uses (test_every_placeholder_has_a_sample keeps the
# list complete), so every key can be rendered and checked.
SAMPLES: dict[str, Any] = {
    "number": "WY202606150001",
    "priority": "急修",
    "level": "重要",
    "department": "工程部",
    "promise": texts.render("promise.repair_urgent"),
    "joining": texts.render("human.joining"),
    "deadline": "6月15日12:00",
    "visit_time": "明天上午",
    "problem": "卫生间地漏堵了",
    "address": "3-2-102",
    "details": "地址 3-2-102、电话 138****5678",
    "phone": "138****5678",
    "topic": "楼道灯长时间未修好",
    "levels": "、".join(SATISFACTION_LEVELS),
    "instructions": texts.render("safety.fire"),
    "ask": texts.render("emergency.ask_address_and_phone"),
    "lines": "工单 WY202606150001（报修，急修）：已受理，负责部门 工程部",
    "category": "报修",
    "status": "已受理",
    "overdue": texts.render("status.line_overdue"),
    "agent": "小王",
    "thanks": texts.render("rating.sorry"),
    "max_chars": 5000,
    "max_mb": 5,
    "outbox_size": 10,
    "date": "6月15日",
    "resolved": texts.render("callback.resolved_no"),
    "count": 2,
    "messages": "「厨房水龙头漏水」、「请问什么时候能来修」",
    "waited": "1分20秒",
    "numbers": "119",
    "room": "厨房",
    "visit": texts.render("status.line_visit", visit_time="明天上午"),
    "call_numbers": texts.render("aftercare.call_numbers", numbers="119"),
    "seconds": "05",
    "minutes": 2,
    "detail": "楼上邻居晚上十一点还在装修，电钻声很吵",
    "subject": "邻里噪音或占道",
    "linked": texts.render("complaint.linked", related="WY202606150001"),
    "related": "WY202606150001",
    "what": "厨房水龙头漏水",
    "ticket": "\n· 关联工单：WY202606150001（厨房水龙头漏水，处理中）",
    "answer": "会所健身房开放时间为6:00–22:00。",
    "known": "游泳池每年6月至9月开放，开放时间为9:00–21:00",
    "missing": "「温度」",
    "fault": "楼道灯坏了",
    "case": "报修",
    "added": "昨天晚上十点 东门保安骂人",
    "community": "锦华花园",
    "building": "13",
    "buildings": 12,
    "unit": "4",
    "units": 3,
}
CATALOGUE_KEYS = texts.catalogue_keys()


def test_every_placeholder_has_a_sample() -> None:
    used = set().union(*(texts.placeholders(key) for key in CATALOGUE_KEYS)) - set(texts.SETTINGS_VALUES)
    assert used <= set(SAMPLES), used - set(SAMPLES)


@pytest.mark.parametrize("key", CATALOGUE_KEYS)
def test_every_catalogue_text_is_polite(key: str) -> None:
    text = texts.render(key, **SAMPLES)
    assert text.strip(), key
    assert "{" not in text and "}" not in text, text
    assert check(text) == [], f"{key}: {text}"


@pytest.mark.parametrize(("surname", "title"), [("王", "先生"), ("欧阳", "阿姨")])
def test_catalogue_texts_addressed_to_a_resident_are_polite(surname: str, title: str) -> None:
    for key in CATALOGUE_KEYS:
        text = address(surname, title, texts.render(key, **SAMPLES))
        assert check(text) == [], f"{key}: {text}"


def test_rating_thanks_for_every_level_are_polite() -> None:
    for level in SCALE:
        text = texts.render("rating.rated", level=level.label, thanks=texts.render(thanks_key(level)))
        assert check(text) == [], text


def _responses() -> list[tuple[str, str]]:
    """Every text and button title of domain.yml and the knowledge base (Rasa's responses)."""
    found = []
    for path in (PROJECT_ROOT / "domain.yml", PROJECT_ROOT / "nlu_data" / "knowledge_base.yml"):
        for name, variants in (yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}).items():
            for variant in variants:
                found.append((name, variant["text"]))
                found += [(f"{name} button", b["title"]) for b in variant.get("buttons") or []]
    return found


RESPONSES = _responses()


@pytest.mark.parametrize(("name", "text"), RESPONSES, ids=[name for name, _ in RESPONSES])
def test_every_domain_response_is_polite(name: str, text: str) -> None:
    assert text.strip(), name
    assert check(text) == [], f"{name}: {text}"


def test_the_walks_cover_the_catalogue_domain_and_knowledge_base() -> None:
    names = {name for name, _ in RESPONSES}
    assert {"utter_ask_address", "utter_default", "utter_inquiry/fee_standard"} <= names
    assert {"script.greeting", "safety.fire", "message.malformed", "widget.welcome", "canned.general.hello"} <= set(CATALOGUE_KEYS)
    assert canned_replies() and all(check(text) == [] for text in canned_replies())


def test_the_widget_has_no_texts_of_its_own() -> None:
    """widget.js shows only what the server sends (GET /api/resident/config): no Chinese literals."""
    widget = (STATIC / "widget.js").read_text(encoding="utf-8")
    literals = [s for s in re.findall(r'"((?:[^"\\\n]|\\.)*)"', widget) if HAN.search(s)]
    assert literals == []


def _widget_modules() -> list:
    """widget.js and every module the chat imports, followed through their imports."""
    found, todo = [], [STATIC / "widget.js", STATIC / "widget" / "chat.js"]
    while todo:
        path = todo.pop().resolve()
        if path in found:
            continue
        found.append(path)
        for target in re.findall(r"""(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""", path.read_text(encoding="utf-8")):
            todo.append(path.parent / target)
    return found


def test_the_widget_modules_have_no_texts_of_their_own() -> None:
    """What the chat runs (lib/, widget/, the vendored socket) shows only the server's texts: no
    Chinese in any string literal, whatever its quotes."""
    modules = _widget_modules()
    names = {path.relative_to(STATIC).as_posix() for path in modules}
    assert {"widget.js", "widget/chat.js", "lib/el.js", "lib/outbox.js", "lib/socket.js", "vendor/partysocket/ws.js"} <= names
    assert "lib/desk.js" not in names  # the desks' texts stay out of the widget
    for path in modules:
        source = path.read_text(encoding="utf-8")
        literals = re.findall(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`""", source)
        assert [s for s in literals if HAN.search(s)] == [], path.name


def test_a_masked_phone_is_not_internet_slang() -> None:
    """「138****6666」 in a summary was withheld by echo (「已按您的原话记录…」): 6666 read as 666."""
    assert check("联系电话：138****6666") == [] and echo("138****6666") == "138****6666"
    assert check("666") and check("太666了")
