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


@dataclass(frozen=True)
class Deadlines:
    respond_within: timedelta | None
    resolve_within: timedelta | None
    promise: str  # what the resident is told, in the bot's words


# --- repair (DOMAIN §2) -------------------------------------------------------------------

URGENT_REPAIR_PATTERNS = [
    # 停电/漏电 from indoor wiring, 停水, 水管爆裂, 严重漏水 (seed 000 「客户报修接待服务」)
    r"停电|断电|没电|漏电|跳闸.*(合不上|推不上)",
    r"停水|没水|水管(爆|裂|破)|爆管|(严重|大量|一直|哗哗|喷)漏水|漏水.*(严重|很大|厉害|积水)|积水",
    r"落水管.*堵|水盘漏|下水(道)?.*(堵|反|冒)|反水|返水|污水.*(冒|溢)",
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
    "急修": Deadlines(timedelta(hours=2), timedelta(hours=24), "维修人员2小时内到场，24小时内修复"),
    "一般": Deadlines(None, timedelta(hours=72), "72小时内为您修复"),
}

REPAIR_SUBCATEGORIES = [
    ("water", r"水|漏|渗|堵|马桶|下水|地漏|龙头|管"),
    ("electric", r"电|灯|插座|开关|跳闸"),
    ("lift", r"电梯"),
    ("door_window", r"门|窗|锁|玻璃|猫眼|对讲|门禁"),
    ("structure", r"墙|屋面|屋顶|楼板|踏步|扶手|栏杆|护栏|井盖|路面|地砖"),
]


def repair_subcategory(description: str) -> str:
    for name, pattern in REPAIR_SUBCATEGORIES:
        if re.search(pattern, description):
            return name
    return "other"


# --- complaints (DOMAIN §3) -------------------------------------------------------------

MAJOR_COMPLAINT = re.compile(
    r"(多次|反复|好几次|三番五次|屡次|几次三番|第[二三四五2345]次).*(报|投诉|反映|找)|"
    r"(一个月|两个月|几个月|半年|一年|好久).*(没|未|不)(人)?(修|处理|解决|管)|"
    r"受伤|摔伤|砸伤|损失|赔偿|财产|砸坏"
)
IMPORTANT_COMPLAINT = re.compile(
    r"物业|保安|保洁|客服|管家|维修(师傅|工|人员)?|工作人员|前台|门岗|收费|物业费|"
    r"没人(来|修|管|处理)|不(来|修|管|处理)|拖|态度|服务"
)


def complaint_class(description: str) -> str:
    """重大, 重要 or 一般 (DOMAIN §3, seed 003 「客户投诉管理制度」)."""
    if MAJOR_COMPLAINT.search(description):
        return "重大"
    if IMPORTANT_COMPLAINT.search(description):
        return "重要"
    return "一般"


COMPLAINT_DEADLINES = {
    "重大": Deadlines(
        timedelta(minutes=10), timedelta(hours=24), "今天之内由管理处经理亲自给您答复"
    ),
    "重要": Deadlines(
        timedelta(minutes=10), timedelta(hours=4), "4小时内由管理处经理跟进并给您答复"
    ),
    "一般": Deadlines(timedelta(minutes=10), timedelta(days=3), "3天内处理完毕并给您答复"),
}

SERVICE_QUALITY = re.compile(r"态度|服务|保安|保洁|客服|管家|工作人员|前台|门岗|维修(师傅|工|人员)")

COMPLAINT_DEPARTMENTS = [
    ("秩序维护部", r"保安|门岗|噪音|吵|扰民|占道|停车|车位|消防通道|群租|装修|狗|宠物|打牌|麻将"),
    ("环境部", r"垃圾|保洁|卫生|绿化|脏|臭|蚊|鼠|油烟"),
    ("工程部", r"维修|报修|修|电梯|停水|停电|漏水|水压|路灯"),
    ("客服中心", r"收费|物业费|费用|发票|客服|管家|前台"),
]


def complaint_department(description: str) -> str:
    for department, pattern in COMPLAINT_DEPARTMENTS:
        if re.search(pattern, description):
            return department
    return "客服中心"


def complaint_subcategory(description: str) -> str:
    department = complaint_department(description)
    return {
        "秩序维护部": "order",
        "环境部": "environment",
        "工程部": "maintenance",
        "客服中心": "service",
    }[department]


def same_day_answer(description: str, complaint_level: str) -> bool:
    """Service-quality complaints are answered the same day (seed 002 §5.4.1); so are 重大."""
    return complaint_level == "重大" or bool(SERVICE_QUALITY.search(description))


# --- inquiries handed to staff (DOMAIN §4) ---------------------------------------------------

INQUIRY_DEADLINES = Deadlines(timedelta(minutes=5), timedelta(days=2), "2个工作日内给您答复")

# --- emergencies (DOMAIN §5) --------------------------------------------------------------

EMERGENCY_DEADLINES = Deadlines(timedelta(minutes=5), timedelta(hours=2), "值班人员立即处理")


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
