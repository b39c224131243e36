"""Priority, class, department and deadline rules for tickets.

Sources: DOMAIN.md §2 (seed 000_9f7d19d4d8a4ed5d.txt 「客户报修接待服务」, seed
002_5ac8522a3e6f9142.txt §5.4), §3 (seed 003_3768b4f8dd5fe83d.txt 「客户投诉管理制度」),
§4 (seed 000 「客户问询接待」) and §5 (seed 002 §5.6.6–5.6.9, seed 000 「客户求助服务」).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import LOCAL_TZ, as_utc
from bot.nlu.nuisances import FOULING


@dataclass(frozen=True)
class Deadlines:
    respond_within: timedelta | None
    resolve_within: timedelta | None
    promise: str  # the catalogue key of what the resident is promised (promise.* in bot/texts/zh_CN.yml)


# --- repair (DOMAIN §2) -------------------------------------------------------------------

URGENT_REPAIR_PATTERNS = [
    # 停电/漏电 from indoor wiring, 停水, 水管爆裂, 严重漏水 (seed 000 「客户报修接待服务」)
    r"停电|断电|没电|漏电|跳闸.*(合不上|推不上)",
    r"停水|没水|水管(爆|裂|破)|爆管|(严重|大量|一直|哗哗|喷)漏水|漏水.*(严重|很大|厉害|积水)|积水",
    # sewage coming back up (反水, 冒水), not its smell (反味, 冒臭气: a dry trap, 一般 — bot/nlu/drain_smells.py)
    r"落水管.*堵|水盘漏|下水(道)?.*(堵|反(?![味臭])|冒(?![味臭气]))|反水|返水|污水.*(冒|溢)",
    # water spreading over the floor from a blocked or leaking fixture: 「马桶堵了 水都漫出来了」 was 一般 (72 hours)
    r"水.{0,4}(漫|溢)(出来|出|到|进|了)|(马桶|地漏|水池|洗手池|浴缸).{0,6}(漫|溢|冒(?![味臭气]))",
    r"电梯",
    r"楼板|踏步|扶手|栏杆|护栏",
    r"危险|隐患|松动.*(掉|坠)|摇摇欲坠|脱落",
    r"燃气|煤气|天然气",
]

GENERAL_REPAIR_EXAMPLES = "门窗, 洁具, 屋面渗漏, 小修, 便民服务"


def repair_priority(description: str) -> str:
    """急修 or 一般 (DOMAIN §2)."""
    for pattern in URGENT_REPAIR_PATTERNS:
        if re.search(pattern, description):
            return "急修"
    return "一般"


REPAIR_DEADLINES = {
    "急修": Deadlines(timedelta(hours=2), timedelta(hours=24), "promise.repair_urgent"),
    "一般": Deadlines(None, timedelta(hours=72), "promise.repair_general"),
}

def deadlines_for(category: str, priority: str) -> Deadlines:
    """The deadlines of a repair or complaint ticket of ``priority`` (a 返修 or a callback's
    follow-up gets those of its original's class and priority); a priority the table does not know
    gets the mildest."""
    table = REPAIR_DEADLINES if category == "repair" else COMPLAINT_DEADLINES
    return table.get(priority) or table["一般"]


REPAIR_SUBCATEGORIES = [
    ("water", r"水|漏|渗|堵|马桶|下水|地漏|龙头|管"),
    ("electric", r"电|灯|插座|开关|跳闸"),
    ("lift", r"电梯"),
    ("door_window", r"门|窗|锁|玻璃|猫眼|对讲|门禁"),
    ("structure", r"墙|屋面|屋顶|楼板|踏步|扶手|栏杆|护栏|井盖|路面|地砖"),
]


OTHER_REPAIR = "other"  # a repair of none of the kinds above


def repair_subcategory(description: str) -> str:
    for name, pattern in REPAIR_SUBCATEGORIES:
        if re.search(pattern, description):
            return name
    return OTHER_REPAIR


# --- complaints (DOMAIN §3) -------------------------------------------------------------

MAJOR_COMPLAINT = re.compile(
    r"(多次|反复|好几次|三番五次|屡次|几次三番|第[二三四五2345]次).*(报|投诉|反映|找)|"
    r"(一个月|两个月|几个月|半年|一年|好久).*(没|未|不)(人)?(修|处理|解决|管)|"
    r"受伤|摔伤|砸伤|损失|赔偿|财产|砸坏"
)
# 拖 as "dragged out" (拖了一个月, 一直拖着, 拖延, 拖拖拉拉) — not a thing dragged: 楼上半夜拖椅子
# is a neighbour's noise, not a late repair.
DELAY = r"拖(?![椅凳桌地鞋把车走动箱])"
IMPORTANT_COMPLAINT = re.compile(
    r"物业|保安|保洁|客服|管家|维修(师傅|工|人员)?|工作人员|前台|门岗|收费|物业费|"
    # 「你们管不管」 asks whether we deal with it (a neighbour's noise): a question, not a lapse yet
    rf"没人(来|修|管|处理)|(?<!管)不(来|修|管|处理)|{DELAY}|态度|服务"
)


def complaint_class(description: str) -> str:
    """重大, 重要 or 一般 (DOMAIN §3, seed 003 「客户投诉管理制度」)."""
    if MAJOR_COMPLAINT.search(description):
        return "重大"
    if IMPORTANT_COMPLAINT.search(description):
        return "重要"
    return "一般"


COMPLAINT_DEADLINES = {
    "重大": Deadlines(timedelta(minutes=10), timedelta(hours=24), "promise.complaint_major"),
    "重要": Deadlines(timedelta(minutes=10), timedelta(hours=4), "promise.complaint_important"),
    "一般": Deadlines(timedelta(minutes=10), timedelta(days=3), "promise.complaint_minor"),
}

SERVICE_QUALITY = re.compile(r"态度|服务|保安|保洁|客服|管家|工作人员|前台|门岗|维修(师傅|工|人员)")

# A neighbour's conduct: residents' violations of the community's rules (noise, renovation, pets,
# 群租). Seed 003 「客户服务中心的职责」: the service centre 负责住户各类违章行为的规劝、制止 (6) and
# 负责客户装修事宜的手续办理 (9): such complaints go to 客服中心, and they are not about any
# department's own work (no apology on its behalf, DOMAIN §3 apologises for the department
# complained about). 修 after 装 is renovation, never a repair.
NEIGHBOUR_CONDUCT = r"噪音|吵|扰民|装修|电钻|砸墙|打孔|群租|狗|犬|宠物|打牌|麻将|邻居|拖椅子|拖凳子|跺脚|高跟鞋|练琴|弹琴|广场舞"
# The community's environment: rubbish, cleanliness, greenery, smells and pests (DOMAIN §1). Both the
# complaint's subject (bot.intake.complaint) and its department read it.
# Someone fouling a shared place is the environment's too (bot.nlu.nuisances.FOULING, one list).
ENVIRONMENT = rf"垃圾|卫生|绿化|脏|臭|骚味|异味|霉味|馊味|腥味|蚊|鼠|油烟|随地|吐痰|{FOULING.pattern}"
STAFF_OR_COMPANY = re.compile(r"物业|保安|保洁|客服|管家|前台|门岗|工作人员|维修(师傅|工|人员)|经理")

COMPLAINT_DEPARTMENTS = [
    ("秩序维护部", r"保安|门岗|占道|停车|车位|消防通道"),
    ("环境部", rf"保洁|{ENVIRONMENT}"),
    ("工程部", r"维修|报修|(?<!装)修|电梯|停水|停电|漏水|水压|路灯"),
    ("客服中心", rf"收费|物业费|费用|发票|客服|管家|前台|{NEIGHBOUR_CONDUCT}"),
]


def complaint_department(description: str, subject: str = "") -> str:
    """Who handles the complaint. The resident's words decide; the subject (a form button such as
    邻里噪音或占道, which names two kinds at once) only when the words name nothing."""
    for text in (description, subject):
        for department, pattern in COMPLAINT_DEPARTMENTS:
            if re.search(pattern, text):
                return department
    return "客服中心"


def about_a_neighbour(description: str) -> bool:
    """A complaint about a neighbour's conduct, not about the company's people or work: the
    resident gets sympathy, not an apology on behalf of a department that did nothing wrong."""
    return bool(re.search(NEIGHBOUR_CONDUCT, description)) and not STAFF_OR_COMPANY.search(description)


# Community rules a complaint may ask about (「你们管不管」): the catalogue key of the answer
# (complaint.rule.*, worded from docs/facts.md) and when it applies. Answered before the complaint
# is registered, so the resident hears what the rule is and who enforces it (DOMAIN §7: 解释式,
# "这种情况，有关规定是这样的……").
_OFF_HOURS = r"晚上|夜里|夜间|半夜|深夜|凌晨|早上|清早|一大早|周末|周六|周日|星期六|星期天|星期日|礼拜[六天日]|节假日|过节|中午|午休"
_WORKS = r"装修|电钻|砸墙|打孔|敲墙|施工|切割"
COMPLAINT_RULES = [
    # docs/facts.md 装修: 工作日 8:00–12:00、14:00–18:00, 周末和法定节假日不得进行噪音施工
    ("complaint.rule.renovation_hours", re.compile(rf"({_WORKS}).*({_OFF_HOURS})|({_OFF_HOURS}).*({_WORKS})")),
    # docs/facts.md 宠物: 犬只登记、接种疫苗, 外出牵绳, 及时清理粪便, 不得进入儿童游乐区
    ("complaint.rule.dog_leash", re.compile(r"(狗|犬).*(牵绳|拴|乱跑|咬|扑|粪|屎|便便)|(牵绳|拴|粪|屎|便便).*(狗|犬)")),
]


def complaint_rule(description: str) -> str | None:
    """The catalogue key of the community rule that answers this complaint, if one does."""
    for key, pattern in COMPLAINT_RULES:
        if pattern.search(description):
            return key
    return None


def complaint_subcategory(description: str, subject: str = "") -> str:
    department = complaint_department(description, subject)
    return {
        "秩序维护部": "order",
        "环境部": "environment",
        "工程部": "maintenance",
        "客服中心": "service",
    }[department]


SAME_DAY_PROMISE = "promise.same_day"


def same_day_answer(description: str, complaint_level: str) -> bool:
    """Service-quality complaints are answered the same day (seed 002 §5.4.1); so are 重大."""
    return complaint_level == "重大" or bool(SERVICE_QUALITY.search(description))


# --- inquiries handed to staff (DOMAIN §4) ---------------------------------------------------

INQUIRY_DEADLINES = Deadlines(timedelta(minutes=5), timedelta(days=2), "promise.inquiry")

# --- emergencies (DOMAIN §5) --------------------------------------------------------------

EMERGENCY_DEADLINES = Deadlines(timedelta(minutes=5), timedelta(hours=2), "promise.emergency")


def deadline_times(created_at: datetime, deadlines: Deadlines) -> tuple[datetime | None, datetime | None]:
    start = as_utc(created_at)
    respond = start + deadlines.respond_within if deadlines.respond_within else None
    resolve = start + deadlines.resolve_within if deadlines.resolve_within else None
    return respond, resolve


def local_deadline_text(moment: datetime) -> str:
    local = as_utc(moment).astimezone(LOCAL_TZ)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def same_day_window(now: datetime) -> timedelta:
    """Time left until the end of the local day; at least 4 hours for a complaint made late."""
    local = as_utc(now).astimezone(LOCAL_TZ)
    end_of_day = local.replace(hour=23, minute=59, second=0, microsecond=0)
    return max(end_of_day - local, timedelta(hours=4))


# Departments a ticket can be dispatched to (the complaint routing targets plus the duty desk).
DEPARTMENTS = ("工程部", "秩序维护部", "环境部", "客服中心", "值班室")
