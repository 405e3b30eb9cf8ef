"""Outgoing mail: SMTP when ``VOTESVC_SMTP_HOST`` is set, else (development only) ``.eml`` files
in the outbox folder under ``instance/``, so a developer reads what voters would receive."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from votesvc.services.errors import Conflict


def compose(recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["VOTESVC_MAIL_FROM"]
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    return message


def ensure_configured() -> None:
    """Refuse before issuing anything when no mail can leave (production without SMTP)."""
    config = current_app.config
    if not config["VOTESVC_SMTP_HOST"] and config["VOTESVC_ENV"] != "development":
        raise Conflict("mail_not_configured")


def send_all(messages: list[EmailMessage]) -> list[str]:
    """Send every message; returns the recipients that could not be reached."""
    config = current_app.config
    if not config["VOTESVC_SMTP_HOST"]:
        outbox = Path(config["VOTESVC_MAIL_OUTBOX"])
        outbox.mkdir(parents=True, exist_ok=True)
        for message in messages:
            (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(message.as_bytes())
        return []
    failed = []
    with smtplib.SMTP(config["VOTESVC_SMTP_HOST"], config["VOTESVC_SMTP_PORT"]) as smtp:
        for message in messages:
            try:
                smtp.send_message(message)
            except smtplib.SMTPException:
                failed.append(str(message["To"]))
    return failed
