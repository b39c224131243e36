"""What the resident chat widget needs from the server: its texts, limits and the satisfaction scale.

Served as ``GET /api/resident/config`` (for the launcher on other sites, so with
``Access-Control-Allow-Origin: *``; it holds nothing private) and inline in the gateway's own page
(the widget script's ``data-config`` attribute), so the widget (widget.js, static/widget/chat.js)
copies none of it::

    {
      "company": "<COMPANY_NAME>",
      "texts": {"title": "…在线客服", "welcome": "…", "statusAgent": "客服{agent}为您服务", …},
      "photo": {"max_bytes": 5242880, "types": ["image/jpeg", "image/png", "image/webp", "image/gif"]},
      "max_text_length": 5000,
      "starters": [{"kind": "repair", "title": "报修", "message": "我要报修"}, …, {"kind": "emergency", "title": "紧急求助", "prompt": "…"}],
      "outbox_size": 10,
      "satisfaction": [{"level": "非常满意", "score": 5}, …, {"level": "很不满意", "score": 1}]
    }

``texts`` are catalogue texts (bot/texts/zh_CN.yml) already rendered, under the names the widget
uses; ``{agent}`` is left in them for the widget to fill with the agent's name. ``max_text_length``
is how much of a message the assistant reads: the widget's input takes no more, and says so politely.
"""

from __future__ import annotations

from typing import Any

from bot import settings, texts
from bot.gateway.attachments import CONTENT_TYPES, MAX_BYTES, MAX_MB
from bot.gateway.rasa_client import RASA_MAX_TEXT
from bot.satisfaction import SCALE

# Messages typed while offline that the widget keeps (and sends on reconnect).
OUTBOX_SIZE = 10

# The widget's name for a text (TEXT.… in static/widget/chat.js) → its catalogue key.
WIDGET_TEXTS: dict[str, str] = {
    "title": "widget.title",
    "launcher": "widget.launcher",
    "launcherClose": "widget.launcher_close",
    "welcome": "widget.welcome",
    "statusBot": "widget.status_bot",
    "statusAgent": "widget.status_agent",
    "metaBot": "widget.meta_bot",
    "metaAgent": "widget.meta_agent",
    "metaPending": "widget.meta_pending",
    "avatarResident": "widget.avatar_resident",
    "avatarBot": "widget.avatar_bot",
    "avatarAgent": "widget.avatar_agent",
    "placeholder": "widget.input_placeholder",
    "inputLabel": "widget.input_label",
    "send": "widget.send",
    "empty": "widget.empty",
    "offline": "widget.offline",
    "retry": "widget.retry",
    "outboxFull": "widget.outbox_full",
    "typing": "widget.typing",
    "startFailed": "widget.start_failed",
    "photoButton": "widget.photo_button",
    "photoLabel": "widget.photo_label",
    "photoAlt": "widget.photo_alt",
    "photoSending": "widget.photo_sending",
    "photoFailed": "widget.photo_failed",
    "photoTooLarge": "photo.too_large",
    "photoWrongType": "photo.wrong_type",
    "ratePrompt": "rating.prompt",
    "rateFailed": "rating.failed",
    "callbackTitle": "callback.card_title",
    "callbackResolvedQuestion": "callback.question_resolved",
    "callbackResolved": "callback.button_resolved",
    "callbackUnresolved": "callback.button_unresolved",
    "callbackLevelQuestion": "callback.question_level",
    "callbackRemark": "callback.remark_placeholder",
    "callbackSubmit": "callback.submit",
    "callbackFailed": "callback.failed",
    "surveyOpen": "survey.open_button",
    "surveyChoose": "survey.choose",
    "surveySubmit": "survey.submit",
    "surveyFailed": "survey.failed",
    "tooLong": "widget.too_long",
    "startersLabel": "widget.starters_label",
}
# The first screen's buttons, in order: each sends its ``message`` or shows its ``prompt``
# (catalogue ``widget.starter.<kind>.*``).
STARTERS = ("repair", "inquiry", "complaint", "emergency")
# Placeholders only the widget can fill: the agent's name arrives with each message.
WIDGET_FILLS = ("agent",)


def widget_values() -> dict[str, Any]:
    """The values the server fills into the widget's texts (the limits the texts mention)."""
    return {"max_mb": MAX_MB, "outbox_size": OUTBOX_SIZE, "max_chars": RASA_MAX_TEXT, **{name: "{" + name + "}" for name in WIDGET_FILLS}}


def starters() -> list[dict[str, str]]:
    """``[{"kind", "title", "message" | "prompt"}]``: the widget's first-screen buttons."""
    found = []
    for kind in STARTERS:
        prefix = f"widget.starter.{kind}."
        found.append({"kind": kind, **{key[len(prefix) :]: texts.render(key) for key in texts.catalogue_keys(prefix)}})
    return found


def widget_config() -> dict[str, Any]:
    values = widget_values()
    return {
        "company": settings.company_name(),
        "texts": {name: texts.render(key, **values) for name, key in WIDGET_TEXTS.items()},
        "photo": {"max_bytes": MAX_BYTES, "types": list(CONTENT_TYPES)},
        "max_text_length": RASA_MAX_TEXT,
        "starters": starters(),
        "outbox_size": OUTBOX_SIZE,
        "satisfaction": [{"level": level.label, "score": level.score} for level in SCALE],
    }
