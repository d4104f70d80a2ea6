"""Exceptions raised by API handlers and their HTTP rendering."""

from http import HTTPStatus
from typing import Any


class ApiError(Exception):
    status = HTTPStatus.INTERNAL_SERVER_ERROR
    code = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(ApiError):
    status = HTTPStatus.BAD_REQUEST
    code = "bad_request"


class NotFound(ApiError, LookupError):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"


class Conflict(ApiError):
    status = HTTPStatus.CONFLICT
    code = "conflict"


def render_error(error: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(error, ApiError):
        return int(error.status), error.to_dict()
    return int(HTTPStatus.INTERNAL_SERVER_ERROR), {"code": "internal_error", "message": "unexpected error"}
