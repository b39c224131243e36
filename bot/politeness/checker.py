"""Politeness checker for text the assistant sends to a resident.

Every rule comes from the service manuals in ``/work/shared/seeds``:

* seed ``000_9f7d19d4d8a4ed5d.txt`` 「客户服务礼仪的基本要求」: 严禁拖腔、态度生硬、教训、不耐烦、方言、
  网络用语; 不能对客户说“不(不知道、不行、不能做)”, 应婉转说“对不起，请您留下联系方式，我会给您回复”.
* seed ``003_3768b4f8dd5fe83d.txt`` 「礼貌用语」 (请、您、谢谢、对不起…) and 「对客服务」 (4) 决不能以
  “不知道”“不清楚”作答, (5) 不能说“你没看见我忙着吗”, (8) 一时满足不了时讲清原因、表示歉意、给出建议,
  (9) 切忌质问式、怀疑式、命令式、顶牛式, 杜绝蔑视语、嘲笑语、否定语、斗气语.

Matching is deliberately simple (regular expressions with a few context exemptions), so
safety instructions such as 请不要使用明火 / 请勿乘坐电梯 / 严禁烟火 and plain 不能 pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.han import HAN_RANGE

RULE_REFUSAL = "forbidden_refusal"
RULE_INTERNET_SLANG = "internet_slang"
RULE_IMPOLITE_TONE = "impolite_tone"
RULE_NI_INSTEAD_OF_NIN = "ni_instead_of_nin"

RULE_NAMES: tuple[str, ...] = (
    RULE_REFUSAL,
    RULE_INTERNET_SLANG,
    RULE_IMPOLITE_TONE,
    RULE_NI_INSTEAD_OF_NIN,
)

# Suggestions, worded as in the manuals.
# seed 000_9f7d19d4d8a4ed5d.txt (4): the replacement for 不知道/不行/不能做.
SUGGEST_LEAVE_CONTACT = "对不起，请您留下联系方式，我会尽快给您答复"
# seed 003_3768b4f8dd5fe83d.txt 「对客服务」(8): explain, apologise, offer a next step.
SUGGEST_EXPLAIN_AND_OFFER = (
    "非常抱歉，这项需求暂时无法马上满足，原因是……，我们可以为您……，您看这样好不好？"
)
# seed 003_3768b4f8dd5fe83d.txt 「接待礼仪」(4) and DOMAIN §5 严禁推诿: hand over politely, follow up.
SUGGEST_TAKE_OWNERSHIP = "这件事由相关部门负责，我马上帮您联系并跟进，稍后给您回复"
# seed 000_9f7d19d4d8a4ed5d.txt: 严禁网络用语; seed 003 「礼貌用语」 lists the standard phrases.
SUGGEST_STANDARD_WORDS = "请使用规范礼貌用语，如“您好”“请”“谢谢”“对不起”"
# seed 003_3768b4f8dd5fe83d.txt 「对客服务」(9): 询问式/请求式/商量式/解释式.
SUGGEST_POLITE_FORMS = "请用询问式、请求式、商量式或解释式：“请问……”“请您协助我们……”“您看这样好不好？”“这种情况，有关规定是这样的……”"
# seed 003_3768b4f8dd5fe83d.txt 「礼貌用语」(1): 常用礼貌语 “您”.
SUGGEST_NIN = "您"

_CJK = HAN_RANGE
_CLAUSE_BREAK = re.compile(r"[，。！？；：,.!?;:\n]")

# A phrase of ignorance/unavailability said about the resident ("如有不清楚的地方欢迎随时咨询",
# "如果您没空，我们可以改约时间") is not the bot refusing; these markers before it in the same
# clause mean the resident is the subject.
_RESIDENT_CONTEXT = (
    "如有",
    "若有",
    "有什么",
    "哪里",
    "有任何",
    "有哪些",
    "如果您",
    "若您",
    "如您",
    "假如您",
    "要是您",
    "万一您",
)
_CONTEXT_WINDOW = 8

Exemption = Callable[[str, int, int], bool]


@dataclass(frozen=True)
class Violation:
    """One impolite phrase: which rule, the text matched, where it starts, what to say instead."""

    rule: str
    phrase: str
    start: int
    suggestion: str


@dataclass(frozen=True)
class Rule:
    """A named pattern with its polite suggestion; several rules may share one name."""

    name: str
    pattern: re.Pattern[str]
    suggestion: str
    exempt: Exemption | None = None


class ImpolitePhraseError(ValueError):
    """Raised by :func:`assert_polite`; ``violations`` holds what was found."""

    def __init__(self, text: str, violations: list[Violation]) -> None:
        self.text = text
        self.violations = violations
        listed = "; ".join(
            f"{v.rule} {v.phrase!r} at {v.start} (建议: {v.suggestion})"
            for v in violations
        )
        super().__init__(f"impolite phrasing in {text!r}: {listed}")


def _clause_before(text: str, start: int) -> str:
    """The part of the current clause before ``start``, at most ``_CONTEXT_WINDOW`` chars."""
    before = text[max(0, start - _CONTEXT_WINDOW) : start]
    parts = _CLAUSE_BREAK.split(before)
    return parts[-1]


def _resident_is_subject(text: str, start: int, end: int) -> bool:
    window = _clause_before(text, start)
    return any(marker in window for marker in _RESIDENT_CONTEXT)


def _ignorance_exempt(text: str, start: int, end: int) -> bool:
    # 听不清楚/看不清楚 is about the line or the handwriting, not ignorance; the manual asks
    # staff to say so (seed 003_3768b4f8dd5fe83d.txt 电话礼仪 (12) 当听不清楚来电内容时…).
    if text[start : start + 3] == "不清楚" and start > 0 and text[start - 1] in "听看":
        return True
    return _resident_is_subject(text, start, end)


def _buxing_exempt(text: str, start: int, end: int) -> bool:
    # 行不行 (商量式 question), 不行走 / 不行驶 (not the word 不行), 不行的话 (conditional).
    if start > 0 and text[start - 1] == "行":
        return True
    if text[end : end + 1] in ("走", "驶"):
        return True
    if text[end : end + 2] == "的话":
        return True
    return _resident_is_subject(text, start, end)


def _rule(
    name: str, pattern: str, suggestion: str, exempt: Exemption | None = None
) -> Rule:
    return Rule(name, re.compile(pattern, re.IGNORECASE), suggestion, exempt)


RULES: tuple[Rule, ...] = (
    # --- 否定语: refusal / ignorance (seed 000 (4), seed 003 「对客服务」(4)(8)) ---
    _rule(
        RULE_REFUSAL, "不知道|不清楚|不晓得", SUGGEST_LEAVE_CONTACT, _ignorance_exempt
    ),
    _rule(RULE_REFUSAL, "不行", SUGGEST_LEAVE_CONTACT, _buxing_exempt),
    _rule(RULE_REFUSAL, "没办法", SUGGEST_EXPLAIN_AND_OFFER, _resident_is_subject),
    _rule(RULE_REFUSAL, "办不到|不能做|不可能", SUGGEST_EXPLAIN_AND_OFFER),
    # --- 推诿 (shifting responsibility; DOMAIN §5 严禁推诿, seed 003 「接待礼仪」(4)) ---
    _rule(
        RULE_REFUSAL,
        "不归我们管|不关我们的?事|不是我们的?(?:负责|管)|找别人去?|我们不管(?!多|怎|什么|是|如何|何时|几点)",
        SUGGEST_TAKE_OWNERSHIP,
    ),
    _rule(
        RULE_REFUSAL,
        "你自己(?:看|去|弄|想|查|办|找|问|搞|修|处理|解决|联系|打)?",
        SUGGEST_TAKE_OWNERSHIP,
    ),
    # 没空 (but not 没空调/没空位/没空房), 随便你, 爱交不交 / 爱修不修 (爱信不信 is a tone rule).
    _rule(
        RULE_REFUSAL,
        "没空(?![调位房])",
        SUGGEST_EXPLAIN_AND_OFFER,
        _resident_is_subject,
    ),
    _rule(
        RULE_REFUSAL, f"随便你|爱(?!信不信)([{_CJK}])不\\1", SUGGEST_EXPLAIN_AND_OFFER
    ),
    # --- 网络用语 (seed 000 严禁网络用语) ---
    # 亲 only as a form of address (亲，/ 亲亲 / 亲~), never inside 亲切/亲自/父亲.
    _rule(
        RULE_INTERNET_SLANG,
        f"(?<![{_CJK}])亲亲?(?=[您你呀哦哟啊~～，,。.！!？?\\s]|$)",
        SUGGEST_STANDARD_WORDS,
    ),
    _rule(
        RULE_INTERNET_SLANG,
        "呵呵+|哈哈+|(?<!喝)醉了|无语|绝绝子|栓q|集美|酱紫|神马|肿么|木有",
        SUGGEST_STANDARD_WORDS,
    ),
    _rule(
        RULE_INTERNET_SLANG,
        r"(?<![\d*])(?:666+|2333+)(?!\d)|(?<![a-z])(?:yyds|orz|emm+)(?![a-z])",
        SUGGEST_STANDARD_WORDS,
    ),
    # --- 命令/质问/怀疑/顶牛/斗气/蔑视/教训/不耐烦 (seed 003 「对客服务」(5)(9), seed 000 教训、不耐烦) ---
    _rule(
        RULE_IMPOLITE_TONE,
        "你必须|你给我|你到底|你?听懂(?:了没有?|没有?)|你怎么连[^，。！？,.!?]{0,12}?都|你是不是",
        SUGGEST_POLITE_FORMS,
    ),
    _rule(
        RULE_IMPOLITE_TONE,
        "凭什么|有本事|早就?(?:告诉过你|跟你说过|和你说过|说过)|说(?:过|了)多少[次遍]",
        SUGGEST_POLITE_FORMS,
    ),
    # 自己看 (but 您可以自己看看公告 is fine; 你自己看 is already a 推诿 rule).
    _rule(RULE_IMPOLITE_TONE, "(?<!你)(?<!可以)自己看", SUGGEST_POLITE_FORMS),
    # 快点 (but not 尽快点击 / 快点击).
    _rule(RULE_IMPOLITE_TONE, "(?<!尽)快点(?!击)儿?", SUGGEST_POLITE_FORMS),
    _rule(
        RULE_IMPOLITE_TONE,
        f"少废话|烦不烦|[你您]?懂不懂|这[{_CJK}]{{0,3}}都不会|什么态度|有完没完|爱信不信",
        SUGGEST_POLITE_FORMS,
    ),
    _rule(
        RULE_IMPOLITE_TONE,
        "[你您]?没长眼|关我(?:们)?(?:什么|屁)事|谁让你|没看见我(?:正在|正|在)?忙",
        SUGGEST_POLITE_FORMS,
    ),
    # --- 称呼: 您, never 你 (seed 003 「礼貌用语」(1)); 你好 is tolerated as a greeting ---
    _rule(RULE_NI_INSTEAD_OF_NIN, "你(?!好)", SUGGEST_NIN),
)

_RULE_ORDER = {name: index for index, name in enumerate(RULE_NAMES)}


def check(text: str) -> list[Violation]:
    """All impolite phrases in ``text``, sorted by position (then by rule category)."""
    found: dict[tuple[str, int, str], Violation] = {}
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            if rule.exempt is not None and rule.exempt(text, start, end):
                continue
            key = (rule.name, start, match.group(0))
            found.setdefault(
                key, Violation(rule.name, match.group(0), start, rule.suggestion)
            )
    return sorted(
        found.values(), key=lambda v: (v.start, _RULE_ORDER[v.rule], v.phrase)
    )


def is_polite(text: str) -> bool:
    """True when no rule fires on ``text``."""
    return not check(text)


def assert_polite(text: str) -> None:
    """Raise :class:`ImpolitePhraseError` listing the violations when ``text`` is impolite."""
    violations = check(text)
    if violations:
        raise ImpolitePhraseError(text, violations)
