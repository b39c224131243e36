"""Residents' photos: checked by their bytes, kept in ``attachments``, linked to the ticket.

A photo is accepted when its first bytes are those of a JPEG, PNG, WebP or GIF (the browser's
Content-Type is not trusted) and it is at most :data:`MAX_BYTES`. It becomes a resident message
whose payload carries ``{"attachment": {"id", "url", "content_type", "filename"}}``, and is linked
to the conversation's most recent ticket; when there is none yet, the ticket created later in the
conversation picks it up (:func:`bot.tickets.service.link_attachments`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.gateway.transcript import as_dict
from bot.storage.models import Attachment, Message, Ticket

MAX_BYTES = 5 * 1024 * 1024
PHOTO_TEXT = "[图片]"
TOO_LARGE_REPLY = "非常抱歉，照片超过5MB，我们暂时无法接收，请您压缩后或换一张照片重新发送，谢谢。"
EMPTY_REPLY = "非常抱歉，没有收到照片内容，请您重新选择照片发送，谢谢。"
WRONG_TYPE_REPLY = "非常抱歉，目前只能接收JPG、PNG、WebP或GIF格式的照片，请您换一张照片发送，谢谢。"
UNAUTHORIZED_REPLY = "身份校验未通过，请刷新页面后重试"
LINKED_REPLY = "照片已收到，已附在您的工单{number}中，方便师傅提前了解情况，谢谢您！"
UNLINKED_REPLY = "照片已收到，谢谢您！为您登记工单时会一并附上；请您再用文字简单说明一下情况和地址，方便我们尽快处理。"


@dataclass(frozen=True)
class Stored:
    message: dict[str, Any]
    ticket_number: str | None


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def problem(data: bytes) -> tuple[int, str] | None:
    """``(status, polite reply)`` when the upload cannot be accepted."""
    if not data:
        return 400, EMPTY_REPLY
    if len(data) > MAX_BYTES:
        return 413, TOO_LARGE_REPLY
    if sniff(data) is None:
        return 415, WRONG_TYPE_REPLY
    return None


def clean_filename(name: str | None) -> str:
    """The last path component, control characters removed, at most 100 characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:100] or "photo"


def url_of(attachment_id: int) -> str:
    return f"/api/attachments/{attachment_id}"


def latest_ticket(session: Session, conversation_id: str) -> Ticket | None:
    query = (
        sa.select(Ticket)
        .where(Ticket.conversation_id == conversation_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def store_photo(session: Session, conversation_id: str, data: bytes, filename: str | None) -> Stored:
    """Insert the resident's message and the attachment (bytes already checked with :func:`problem`)."""
    content_type = sniff(data)
    if content_type is None or len(data) > MAX_BYTES:
        raise ValueError("not an accepted image")
    now = utcnow()
    message = Message(conversation_id=conversation_id, role="resident", text=PHOTO_TEXT, created_at=now)
    session.add(message)
    session.flush()
    ticket = latest_ticket(session, conversation_id)
    attachment = Attachment(
        conversation_id=conversation_id,
        message_id=message.id,
        ticket_id=ticket.id if ticket else None,
        filename=clean_filename(filename),
        content_type=content_type,
        size=len(data),
        data=data,
        created_at=now,
    )
    session.add(attachment)
    session.flush()
    message.payload = {
        "attachment": {"id": attachment.id, "url": url_of(attachment.id), "content_type": content_type, "filename": attachment.filename}
    }
    session.flush()
    return Stored(as_dict(message), ticket.number if ticket else None)


def load(session: Session, attachment_id: int) -> Attachment | None:
    return session.get(Attachment, attachment_id)
