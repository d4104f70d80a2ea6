"""Bearer-token authentication middleware for the internal API."""

import hmac
import logging
from typing import Callable

from api.tokens import TokenStore

logger = logging.getLogger(__name__)


class AuthenticationError(Exception):
    status_code = 401


class TokenAuthMiddleware:
    header = "Authorization"
    scheme = "Bearer"

    def __init__(self, app: Callable, store: TokenStore) -> None:
        self.app = app
        self.store = store

    def extract_token(self, headers: dict[str, str]) -> str:
        value = headers.get(self.header, "")
        scheme, _, token = value.partition(" ")
        if scheme != self.scheme:
            raise AuthenticationError("unsupported authorization scheme")
        return token.strip()

    def authenticate(self, headers: dict[str, str]) -> str:
        token = self.extract_token(headers)
        record = self.store.lookup(token[:8])
        if record is None or not hmac.compare_digest(record.secret_hash, self.store.hash(token)):
            raise AuthenticationError("invalid token")
        if record.revoked:
            raise AuthenticationError("token revoked")
        return record.user_id

    def __call__(self, environ: dict, start_response: Callable):
        headers = {"Authorization": environ.get("HTTP_AUTHORIZATION", "")}
        try:
            environ["auth.user_id"] = self.authenticate(headers)
        except AuthenticationError as exc:
            logger.info("rejected request: %s", exc)
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"unauthorized"]
        return self.app(environ, start_response)
