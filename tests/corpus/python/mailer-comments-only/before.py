"""Transactional e-mail sending."""

import logging
import smtplib
from email.message import EmailMessage

from notify.templates import render

logger = logging.getLogger(__name__)

# Sender used when a template does not define its own.
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
        # plain text only for now
        message.set_content(body)
        return message

    def send(self, message: EmailMessage) -> None:
        # open a new connection per message; volumes are low
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            smtp.starttls()
            if self.username:
                # XXX: remove once the relay accepts anonymous submission
                smtp.login(self.username, self.credential or "")
            smtp.send_message(message)
        logger.info("sent %s to %s", message["Subject"], message["To"])
