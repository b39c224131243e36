"""Canned polite replies the console offers; each one passes bot.politeness (tests/test_politeness.py)."""

from __future__ import annotations

CANNED_REPLIES: tuple[str, ...] = (
    "您好，我是客服，很高兴为您服务，请问有什么可以帮您？",
    "请您稍等，我马上为您查询。",
    "非常抱歉给您带来不便，我们会尽快为您处理。",
    "感谢您的耐心等待，维修人员已在前往的路上。",
    "请您留下联系电话，我们处理后会第一时间联系您。",
    "您反映的问题我已记录，并转交相关部门处理，请您放心。",
    "感谢您的反馈，请问还有其他需要帮助的吗？",
)
