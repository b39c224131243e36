"""Standard service scripts: greeting, apology, waiting, thanks, closing, and forms of address.

The wording is in the text catalogue (``script.*`` in bot/texts/zh_CN.yml); what stays here is
the logic: which script, the honorific, what of the resident's own words may be repeated. Wording
follows DOMAIN §7 and the manuals: seed ``000_9f7d19d4d8a4ed5d.txt`` 「礼仪」 (接听电话时应先说
“您好，这里是××物业…”; 结束时问清满意度并致谢; 遇到问题时说“对不起，请您留下联系方式…”) and seed
``003_3768b4f8dd5fe83d.txt`` 「礼貌用语」 (请、您、谢谢、对不起、再见; 称呼语 先生、女士、小姐、太太) and
「对客服务」 (称呼客人姓氏; “对不起，让您久等了”). Every text returned here passes
:func:`bot.politeness.checker.check`.
"""

from __future__ import annotations

import re

from bot import satisfaction, settings, texts
from bot.han import is_all_han
from bot.politeness.checker import is_polite
from bot.politeness.titles import ADDRESS_FORMS

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
    """The company's short name: env ``COMPANY_NAME`` (bot.settings)."""
    return settings.company_name()


def service_center_name() -> str:
    """The customer-service centre, e.g. ``<company>客户服务中心`` (docs/facts.md)."""
    return texts.render("company.service_center")


def _normalise_surname(surname: str | None) -> str | None:
    """A Chinese surname, or None; a full name (王小明, 欧阳娜娜) is reduced to its surname."""
    if not surname:
        return None
    value = surname.strip()
    if not is_all_han(value):
        return None
    if len(value) >= 2 and value[:2] in _COMPOUND_SURNAMES:
        return value[:2]
    if len(value) > 4:
        return None
    return value[0]


def _normalise_title(title: str | None) -> str | None:
    if not title:
        return None
    return ADDRESS_FORMS.get(title.strip())


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
    """您好，这里是<company>客户服务中心，请问有什么可以帮您？ (seed 000 接听电话时应先说“您好”…)."""
    return address(surname, title, texts.render("script.greeting"))


def apology(topic: str | None = None, department: str | None = None) -> str:
    """Apologise first, on behalf of the department concerned (DOMAIN §3, seed 003 「客户投诉管理制度」).

    ``topic`` is what went wrong, e.g. 楼道灯长时间未修好; ``department`` defaults to the company.
    If the topic would make the text impolite (e.g. it quotes the resident), it is left out.
    """
    who = (department or "").strip() or company_name()
    generic = texts.render("script.apology", department=who)
    cleaned = (topic or "").strip().rstrip(_TRAILING_PUNCT)
    if not cleaned:
        return generic
    specific = texts.render("script.apology_for", topic=cleaned, department=who)
    return specific if is_polite(specific) else generic


def please_wait() -> str:
    """Ask the resident to wait (seed 000: 示意顾客稍候)."""
    return texts.render("script.please_wait")


def sorry_for_waiting() -> str:
    """After a wait (seed 003 「对客服务」(6): “对不起，让您久等了”)."""
    return texts.render("script.sorry_for_waiting")


def thanks() -> str:
    """seed 003 「礼貌用语」(6) 道谢语: 谢谢、非常感谢."""
    return texts.render("script.thanks")


def satisfaction_level(score: int) -> str:
    """The level for a rating 5–1 on the one scale (bot.satisfaction): 5 = 非常满意 … 1 = 很不满意."""
    return satisfaction.by_score(score).label


def closing(surname: str | None = None, title: str | None = None, asked_already: bool = False) -> str:
    """Ask whether anything else is needed, thank, invite a rating on the five levels, say goodbye.
    ``asked_already``: the resident has just answered that question (「没有了」), so it is not asked again.

    seed 000_9f7d19d4d8a4ed5d.txt 「结束通话」: 问清客户对服务的满意度, 表示感谢后礼貌地结束;
    seed 003 「礼貌用语」(4) 告别语 再见.
    """
    ask = "" if asked_already else texts.render("script.anything_else")
    return address(surname, title, ask + texts.render("script.closing", levels="、".join(satisfaction.LABELS)))


def cannot_answer_now() -> str:
    """When the answer is not known: apologise, never guess, say who answers (DOMAIN §4).

    seed 000_9f7d19d4d8a4ed5d.txt (4): “对不起，请您留下联系方式，我会给您回复”.
    """
    return texts.render("script.cannot_answer_now")


# Residents end a clause with a mark or a space: 「水龙头关不紧 怎么弄都不行」 is two.
_CLAUSES = re.compile(r"[，。,.!！?？；;、\s]+")


# 「你们修过的水管还是漏」: the resident speaking of the company, whose own words name it 物业 when
# they are repeated to the resident (a lone 你 stays the checker's: 「你看着办吧」 is not repeated).
_THE_COMPANY = re.compile(r"你们(?:物业)?")


def echo(value: str) -> str:
    """The resident's own words, as repeated in a bot message.

    Residents write "你们快点来修，马桶堵了"; the bot must not say 你/快点 itself (DOMAIN §7), so the
    company addressed as 你们 is called 物业, and the clauses the politeness checker would still
    flag are left out of the echo (the ticket keeps the original). When nothing is left, a neutral
    note stands in for it.
    """
    value = _THE_COMPANY.sub("物业", value or "")
    clauses = [c.strip() for c in _CLAUSES.split(value) if c.strip()]
    kept = [c for c in clauses if is_polite(c)]
    if len(kept) == len(clauses):
        return value
    return "，".join(kept) if kept else texts.render("script.echo_withheld")
