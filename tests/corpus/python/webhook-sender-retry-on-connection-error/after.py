"""Delivers webhook events to subscriber endpoints."""

import hashlib
import hmac
import json
import logging
import time

import requests

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature-256"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 2.0


class WebhookSender:
    def __init__(self, signing_key: bytes, session: requests.Session | None = None) -> None:
        self.signing_key = signing_key
        self.session = session or requests.Session()

    def sign(self, timestamp: str, body: bytes) -> str:
        message = timestamp.encode() + b"." + body
        digest = hmac.new(self.signing_key, message, hashlib.sha256).hexdigest()
        return f"sha256={digest}"

    def deliver(self, url: str, event: dict) -> bool:
        body = json.dumps(event, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: self.sign(timestamp, body),
        }
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self.session.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
                break
            except requests.ConnectionError:
                if attempt == MAX_ATTEMPTS:
                    raise
                time.sleep(BACKOFF_SECONDS * attempt)
        if response.status_code >= 300:
            logger.warning("webhook to %s failed with %s", url, response.status_code)
        return response.ok

    def deliver_all(self, urls: list[str], event: dict) -> dict[str, bool]:
        results = {}
        for url in urls:
            results[url] = self.deliver(url, event)
        return results
