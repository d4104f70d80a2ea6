"""Posts deployment notifications to Slack."""

import logging

import requests

log = logging.getLogger(__name__)


class SlackNotifier:
    def __init__(self, webhook_url: str, channel: str, username: str = "deploy-bot") -> None:
        self.webhook_url = webhook_url
        self.channel = channel
        self.username = username

    def post_message(self, text: str, blocks: list[dict] | None = None) -> bool:
        payload = {"channel": self.channel, "username": self.username, "text": text}
        if blocks:
            payload["blocks"] = blocks
        response = requests.post(
            self.webhook_url, json=payload, timeout=10

        if response.status_code != 200:
            log.warning("slack returned %s: %s", response.status_code, response.text)
            return False
        return True

    def deployment_started(self, service: str, version: str, who: str) -> bool:
        return self.post_message(f":rocket: {who} is deploying {service} {version}")

    def deployment_finished(self, service: str, version: str, seconds: float) -> bool:
        return self.post_message(f":white_check_mark: {service} {version} deployed in {seconds:.0f}s")

    def deployment_failed(self, service: str, version: str, error: str) -> bool:
        block = {"type": "section", "text": {"type": "mrkdwn", "text": f"```{error[:2900]}```"}}
        return self.post_message(f":x: {service} {version} failed", blocks=[block])
