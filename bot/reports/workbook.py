"""The monthly 报表 as an Excel workbook: the dashboard's figures (bot.reports.figures), one sheet
per table, Chinese headers. Seed 003 「客户满意度调查」: present results per area with tables.

Rates are written as fractions with a percent format (a spreadsheet can compute with them); an
empty cell means "nothing to measure yet" (no answers, no deadline passed).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from bot.tickets.service import CATEGORY_LABELS

KIND_LABELS = {"complaint": "投诉", "repair": "报修"}

# sheet title, the figures' table, and its columns: (key, header, format)
SHEETS: tuple[tuple[str, str, tuple[tuple[str, str, str | None], ...]], ...] = (
    ("每日案件", "cases_by_day", (("date", "日期", None), ("inquiry", "咨询", None), ("repair", "报修", None), ("complaint", "投诉", None), ("emergency", "紧急求助", None), ("total", "合计", None))),
    ("时效达成", "sla", (("category", "类别", "category"), ("priority", "优先级", None), ("tickets", "工单数", None), ("respond_due", "应响应", None), ("responded_in_time", "按时响应", None),
                         ("respond_rate", "响应达成率", "%"), ("resolve_due", "应办结", None), ("resolved_in_time", "按时办结", None), ("resolve_rate", "办结达成率", "%"))),
    ("紧急求助", "emergencies", (("requests", "紧急求助数", None), ("alerted", "已提醒", None), ("alert_median_seconds", "提醒用时中位数(秒)", None), ("alert_max_seconds", "提醒用时最长(秒)", None),
                                ("claimed", "已接入", None), ("claim_median_seconds", "接入用时中位数(秒)", None), ("claim_max_seconds", "接入用时最长(秒)", None))),
    ("未结工单", "open_tickets", (("category", "类别", "category"), ("open", "未结", None), ("overdue", "超时", None))),
    ("回访", "callbacks", (("kind", "类别", "kind"), ("callbacks", "回访总数", None), ("upcoming", "未到期", None), ("due", "待回访", None), ("overdue", "逾期", None), ("done", "已回访", None),
                          ("rate", "回访率", "%"), ("target", "目标", "%"))),
    ("满意度", "satisfaction", (("area", "服务项目", None), ("answers", "评价数", None), ("satisfied", "满意数", None), ("rate", "客户满意率", "%"), ("index", "客户满意度指数", None))),
    ("满意度趋势", "satisfaction_trend", (("date", "日期", None), ("answers", "评价数", None), ("satisfied", "满意数", None), ("rate", "客户满意率", "%"), ("index", "客户满意度指数", None))),
    ("服务监督", "supervision", (("agent", "客服", None), ("handled", "接待会话", None), ("median_first_response_seconds", "首次响应中位数(秒)", None), ("refused_replies", "被拦截的不规范回复", None),
                               ("ratings", "评价数", None), ("rate", "满意率", "%"), ("index", "满意度指数", None))),
)


def _cell(value: Any, kind: str | None) -> Any:
    if kind == "category":
        return CATEGORY_LABELS.get(value, value)
    if kind == "kind":
        return KIND_LABELS.get(value, value)
    return value


def workbook(figures: dict[str, Any]) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    period = figures["period"]
    for title, table, columns in SHEETS:
        sheet = book.create_sheet(title)
        sheet.append([header for _, header, _ in columns])
        for row in figures[table]:
            sheet.append([_cell(row[key], kind) for key, _, kind in columns])
        for index, (_, header, kind) in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(10, len(header) * 2 + 2)
            if kind == "%":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "0.0%"
        sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明")
    notes.append(["统计期间", f"{period['start']} 至 {period['end']}"])
    notes.append(["统计时点", period["as_of"]])
    notes.append(["客户满意率", "评价为“满意”或“非常满意”的数量 ÷ 全部评价数"])
    notes.append(["客户满意度指数", "各评价按 非常满意100、满意80、一般60、不满意40、很不满意20 计分后的平均分"])
    notes.append(["回访率", "首次回访已完成 ÷（已完成 + 逾期未回访）；期限未到的不计入。目标：有效投诉100%，报修90%"])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 80
    return book


def workbook_bytes(figures: dict[str, Any]) -> bytes:
    buffer = BytesIO()
    workbook(figures).save(buffer)
    return buffer.getvalue()
