"""Transactional e-mail sending."""

import logging
import smtplib
from email.message import EmailMessage

from notify.templates import render

logger = logging.getLogger(__name__)

# Fallback From: address; a template can override it with a `sender` context key.
DEFAULT_SENDER = "no-reply@example.com"


class Mailer:
    def __init__(self, host: str, port: int = 587, username: str | None = None) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.credential: str | None = None

    def build(self, template: str, to: str, context: dict) -> EmailMessage:
        subject, body = render(template, context)
        message = EmailMessage()
        message["From"] = context.get("sender", DEFAULT_SENDER)
        message["To"] = to
        message["Subject"] = subject
        # Plain text only: the HTML alternative part is tracked in NOTIFY-42.
        message.set_content(body)
        return message

    def send(self, message: EmailMessage) -> None:
        # open a new connection per message; volumes are low
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            # The relay refuses AUTH before STARTTLS.
            smtp.starttls()
            if self.username:
                smtp.login(self.username, self.credential or "")
            smtp.send_message(message)
        logger.info("sent %s to %s", message["Subject"], message["To"])
