"""JSON (de)serialisation helpers for the public API."""

import datetime as dt
import decimal
import json
import uuid
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return value.hex
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(payload: Any, pretty: bool = False) -> str:
    if pretty:
        return json.dumps(payload, default=_default, indent=2, sort_keys=True)
    return json.dumps(payload, default=_default, separators=(",", ":"))


def loads(raw: str | bytes) -> Any:
    return json.loads(raw)


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    if not content_type.startswith("application/json"):
        raise ValueError(f"unsupported content type {content_type!r}")
    payload = loads(body)
    if not isinstance(payload, dict):
        raise ValueError("request body must be a JSON object")
    return payload


def dump_response(status: int, body: Any) -> tuple[int, dict[str, str], str]:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    return status, headers, dumps(body)
