"""Client for the CRM's REST API."""

import logging
from typing import Any

import requests

log = logging.getLogger(__name__)


class CrmError(Exception):
    pass


class CrmAuthError(CrmError):
    pass


class CrmUnavailable(CrmError):
    pass


class CrmClient:
    def __init__(self, base_url: str, api_token: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {api_token}", "Accept": "application/json"}
        self.session = requests.Session()

    def request(self, method: str, path: str, payload: dict | None = None, retries: int = 3) -> dict:
        attempt = 0
        while attempt < retries:
            try:
                response = self.session.request(
                    method,
                    self.base_url + path,
                    json=payload,
                    headers=self.headers,
                    timeout=self.timeout,
                )
            except requests.RequestException:
                log.warning("%s %s failed (attempt %d)", method, path, attempt + 1)
                attempt += 1
                continue
            if response.status_code == 401:
                raise CrmAuthError("token rejected")
            if response.ok:
                return response.json()
            attempt += 1
        raise CrmUnavailable(f"{method} {path} failed after {attempt} attempts")

    def contact(self, contact_id: str) -> dict:
        return self.request("GET", f"/contacts/{contact_id}")

    def upsert_contact(self, email: str, fields: dict[str, Any]) -> dict:
        return self.request("PUT", "/contacts", {"email": email, **fields})

    def close(self) -> None:
        self.session.close()
