"""Standard service scripts: greeting, apology, waiting, thanks, closing, and forms of address.

Wording follows DOMAIN §7 and the manuals: seed ``000_9f7d19d4d8a4ed5d.txt`` 「礼仪」 (接听电话时应先说
“您好，这里是××物业…”; 结束时问清满意度并致谢; 遇到问题时说“对不起，请您留下联系方式…”) and seed
``003_3768b4f8dd5fe83d.txt`` 「礼貌用语」 (请、您、谢谢、对不起、再见; 称呼语 先生、女士、小姐、太太) and
「对客服务」 (称呼客人姓氏; “对不起，让您久等了”). Every text returned here passes
:func:`bot.politeness.checker.check`.
"""

from __future__ import annotations

from bot import settings
from bot.politeness.checker import is_polite

COMPANY_NAME = "锦华物业"

# DOMAIN §6 / seed 003_3768b4f8dd5fe83d.txt 「客户回访」: five levels, best → worst.
SATISFACTION_LEVELS: tuple[str, ...] = (
    "非常满意",
    "满意",
    "一般",
    "不满意",
    "很不满意",
)

# Accepted titles → the form used when addressing the resident. seed 003 「礼貌用语」(2)
# lists 先生、女士、小姐、太太; 小姐 is normalised to 女士 (the neutral form in service today).
_TITLES: dict[str, str] = {
    "先生": "先生",
    "男": "先生",
    "男士": "先生",
    "女士": "女士",
    "女": "女士",
    "小姐": "女士",
    "太太": "太太",
    "阿姨": "阿姨",
    "大妈": "大妈",
    "奶奶": "奶奶",
    "叔叔": "叔叔",
    "大爷": "大爷",
    "爷爷": "爷爷",
    "老师": "老师",
}

_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "端木",
        "南宫",
        "西门",
        "独孤",
        "轩辕",
        "澹台",
        "申屠",
        "闻人",
        "赫连",
        "呼延",
        "万俟",
        "钟离",
        "单于",
        "太史",
        "第五",
    }
)

_TRAILING_PUNCT = "，。！？；、,.!?; "


def company_name() -> str:
    """The company's short name: env ``COMPANY_NAME``, default 锦华物业 (docs/facts.md)."""
    return settings.company_name()


def service_center_name() -> str:
    """e.g. 锦华物业客户服务中心 (docs/facts.md)."""
    return f"{company_name()}客户服务中心"


def _is_cjk(text: str) -> bool:
    return bool(text) and all("\u4e00" <= ch <= "\u9fff" for ch in text)


def _normalise_surname(surname: str | None) -> str | None:
    """A Chinese surname, or None; a full name (王小明, 欧阳娜娜) is reduced to its surname."""
    if not surname:
        return None
    value = surname.strip()
    if not _is_cjk(value):
        return None
    if len(value) >= 2 and value[:2] in _COMPOUND_SURNAMES:
        return value[:2]
    if len(value) > 4:
        return None
    return value[0]


def _normalise_title(title: str | None) -> str | None:
    if not title:
        return None
    return _TITLES.get(title.strip())


def honorific(surname: str | None, title: str | None = None) -> str:
    """王先生 / 李女士 / 张阿姨 when both surname and title are known, else 您.

    seed 003_3768b4f8dd5fe83d.txt 「对客服务」(1): 称呼要得当, 对于熟悉的客人要称呼客人姓氏.
    Guessing a title would risk calling a woman 先生, so an unknown title gives 您.
    """
    name = _normalise_surname(surname)
    form = _normalise_title(title)
    if name is None or form is None:
        return "您"
    return f"{name}{form}"


def address(surname: str | None, title: str | None, text: str) -> str:
    """Prefix ``text`` with the resident's honorific: 王先生，… / 王先生您好，…; unchanged for 您."""
    form = honorific(surname, title)
    if form == "您" or text.startswith(form):
        return text
    if text.startswith("您好"):
        return f"{form}{text}"
    return f"{form}，{text}"


def greeting(surname: str | None = None, title: str | None = None) -> str:
    """您好，这里是锦华物业客户服务中心，请问有什么可以帮您？ (seed 000 接听电话时应先说“您好”…)."""
    text = f"您好，这里是{service_center_name()}，请问有什么可以帮您？"
    return address(surname, title, text)


def apology(topic: str | None = None, department: str | None = None) -> str:
    """Apologise first, on behalf of the department concerned (DOMAIN §3, seed 003 「客户投诉管理制度」).

    ``topic`` is what went wrong, e.g. 楼道灯长时间未修好; ``department`` defaults to the company.
    If the topic would make the text impolite (e.g. it quotes the resident), it is left out.
    """
    who = (department or "").strip() or company_name()
    tail = f"我代表{who}向您诚恳致歉，我们会认真处理并及时给您回复。"
    generic = f"非常抱歉给您带来不便，{tail}"
    cleaned = (topic or "").strip().rstrip(_TRAILING_PUNCT)
    if not cleaned:
        return generic
    specific = f"非常抱歉，{cleaned}给您带来了不便，{tail}"
    return specific if is_polite(specific) else generic


def please_wait() -> str:
    """Ask the resident to wait (seed 000: 示意顾客稍候)."""
    return "请您稍候，我马上为您查询。"


def sorry_for_waiting() -> str:
    """After a wait (seed 003 「对客服务」(6): “对不起，让您久等了”)."""
    return "不好意思，让您久等了。"


def thanks() -> str:
    """seed 003 「礼貌用语」(6) 道谢语: 谢谢、非常感谢."""
    return "非常感谢您的支持与配合！"


def satisfaction_level(score: int) -> str:
    """The level for a rating 1–5 as offered in :func:`closing`: 1 = 非常满意 … 5 = 很不满意."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"satisfaction score must be 1–5, got {score!r}")
    return SATISFACTION_LEVELS[score - 1]


def closing(surname: str | None = None, title: str | None = None) -> str:
    """Ask whether anything else is needed, thank, invite a 1–5 rating, say goodbye.

    seed 000_9f7d19d4d8a4ed5d.txt 「结束通话」: 问清客户对服务的满意度, 表示感谢后礼貌地结束;
    seed 003 「礼貌用语」(4) 告别语 再见.
    """
    rating = "、".join(SATISFACTION_LEVELS)
    text = (
        "请问还有其他可以帮您的吗？"
        f"感谢您对{company_name()}工作的支持！"
        f"麻烦您为本次服务评价（{rating}），点选下方按钮即可。"
        "祝您生活愉快，再见！"
    )
    return address(surname, title, text)


def cannot_answer_now() -> str:
    """When the answer is not known: apologise, never guess, say who answers (DOMAIN §4).

    seed 000_9f7d19d4d8a4ed5d.txt (4): “对不起，请您留下联系方式，我会给您回复”.
    """
    return (
        "对不起，为了给您准确的答复，这个问题需要向相关同事核实。"
        f"请您留下联系方式，{service_center_name()}会尽快给您答复。"
    )
