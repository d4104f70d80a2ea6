import logging

from app.mail import send_mail
from app.models import User

log = logging.getLogger(__name__)


def notify_inactive(users: list[User], days: int) -> int:
    sent = 0
    for user in users:
        if not user.email_verified:
            continue
        send_mail(
            to=user.email,
            subject="We miss you",
            template="inactive.html",
            context={"name": user.first_name, "days": days},
        )
        sent += 1
    return sent
