"""Client for the vendor's REST and streaming APIs."""

import ssl
from typing import Any

import requests


class VendorClient:
    def __init__(self, base_url: str, api_user: str, ca_bundle: str | None = None, verify_tls: bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.ca_bundle = ca_bundle
        self.verify_tls = verify_tls
        self.timeout = 15
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "X-Api-User": api_user})

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_bundle)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def get(self, path: str, **params: Any) -> dict:
        response = self.session.get(self._url(path), params=params, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, payload: dict) -> dict:
        response = self.session.post(self._url(path), json=payload, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def stream_url(self, channel: str) -> str:
        return self._url(f"stream/{channel}").replace("https://", "wss://", 1)

    def stream_options(self) -> dict[str, Any]:
        return {"ssl": self._ssl_context(), "ping_interval": 20}
