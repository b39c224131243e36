"""Residents' photos: checked by their bytes, kept in ``attachments``, linked to the ticket.

A photo is accepted when its first bytes are those of a JPEG, PNG, WebP or GIF (the browser's
Content-Type is not trusted) and it is at most :data:`MAX_BYTES`. It becomes a resident message
whose payload carries ``{"attachment": {"id", "url", "content_type", "filename"}}``, and is linked
to the open case's ticket (:func:`bot.tickets.service.open_case_ticket`: the latest unfinished ticket
opened since an agent last ended the conversation — never a finished case's); when there is none
yet, the ticket created later in the same case picks it up (:func:`bot.tickets.service.link_attachments`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot import texts
from bot.clock import utcnow
from bot.gateway.transcript import as_dict, valid_client_id
from bot.storage.models import Attachment, Message
from bot.tickets.service import open_case_ticket

MAX_MB = 5
MAX_BYTES = MAX_MB * 1024 * 1024
# The types accepted, as sniffed from the bytes (the widget checks the browser's type first).
CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
PHOTO_TEXT = "[图片]"  # the stored message's text; the widget and the console show the picture


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
        return 400, texts.render("photo.empty")
    if len(data) > MAX_BYTES:
        return 413, texts.render("photo.too_large", max_mb=MAX_MB)
    if sniff(data) is None:
        return 415, texts.render("photo.wrong_type")
    return None


def clean_filename(name: str | None) -> str:
    """The last path component, control characters removed, at most 100 characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:100] or "photo"


def url_of(attachment_id: int) -> str:
    return f"/api/attachments/{attachment_id}"


def store_photo(
    session: Session,
    conversation_id: str,
    data: bytes,
    filename: str | None,
    client_id: str | None = None,
    turn_state: str | None = None,
    link: bool = True,
) -> Stored:
    """Insert the resident's message and the attachment (bytes already checked with :func:`problem`).

    ``client_id`` is the widget's id for the upload; one already stored in the conversation makes
    the insert raise ``IntegrityError`` (a resent upload, see ``bot.gateway.relay``). ``turn_state``:
    the message's turn (``bot.conversations.turns``; a photo never goes to Rasa). ``link=False``:
    the photo waits for the ticket being registered now (a form in progress) instead of joining an
    earlier open one."""
    content_type = sniff(data)
    if content_type is None or len(data) > MAX_BYTES:
        raise ValueError("not an accepted image")
    if client_id is not None and not valid_client_id(client_id):
        raise ValueError("client_id")
    now = utcnow()
    message = Message(conversation_id=conversation_id, role="resident", text=PHOTO_TEXT, created_at=now, client_id=client_id, turn_state=turn_state)
    session.add(message)
    session.flush()
    ticket = open_case_ticket(session, conversation_id) if link else None
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
