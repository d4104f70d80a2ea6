"""The OPA engine: an Open Policy Agent server over its REST API (through opa-python-client).

With a bundle, the engine pushes it when built: every module with ``PUT /v1/policies/ID``
(ID = ``tidegate/<relative path>``; stale ``tidegate/`` modules are deleted first) and every
data document with ``PUT /v1/data/tidegate/<name>``. With ``use_server_bundles`` nothing is
pushed: the server evaluates what its own bundles hold. A decision is
``POST /v1/data/tidegate/gate/decision`` with ``{"input": ...}``; no ``result`` = undefined.

OPA reports no version on /health or in a header; the engine asks the server itself with the
ad-hoc query ``opa.runtime().version`` (``POST /v1/query``), "unknown" if that fails.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit

import requests
import urllib3
from opa_client import OpaClient
from opa_client.errors import (
    ConnectionsError,
    DeletePolicyError,
    RegoParseError,
)

from tidegate.policy.bundle import PolicyBundle
from tidegate.policy.engine import (
    DECISION_PATH,
    QUERY_VAR,
    UNDEFINED,
    EngineInfo,
    query_result,
    wrap_query,
)
from tidegate.policy.errors import PolicyError

ENGINE_NAME = "opa"
POLICY_PREFIX = "tidegate/"
DATA_ROOT = "tidegate"
DEFAULT_TIMEOUT = 10.0
SERVER_BUNDLES = "opa-bundles"
_DEFAULT_PORTS = {"http": 80, "https": 443}

T = TypeVar("T")


def mask_url(url: str) -> str:
    """Return ``url`` with any user:password replaced by ``***`` (safe to print and record)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"***@{host}").geturl()


def _parse_url(url: str) -> tuple[SplitResult, int]:
    """Split an OPA URL (http[s]://[user:password@]host[:port]); PolicyError if unusable."""
    masked = mask_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise PolicyError(f"OPA URL {masked} is not valid: {exc}") from exc
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise PolicyError(f"OPA URL {masked} must be http://HOST[:PORT] or https://HOST[:PORT]")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise PolicyError(
            f"OPA URL {masked} must not have a path or query (the API is at /v1 of the server)"
        )
    return parts, port if port is not None else _DEFAULT_PORTS[parts.scheme]


def _auth_headers(parts: SplitResult) -> dict[str, str]:
    """Return the Authorization header the URL's userinfo asks for (user:password = Basic)."""
    if parts.username is None:
        return {}
    if parts.password is None:
        # A bare user part carries a bearer token (OPA's --authentication=token).
        return {"Authorization": f"Bearer {parts.username}"}
    pair = f"{parts.username}:{parts.password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


class OpaEngine:
    """Evaluates decisions on an OPA server; pushes the bundle first unless told otherwise."""

    def __init__(
        self,
        url: str,
        bundle: PolicyBundle | None,
        *,
        use_server_bundles: bool,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Connect, push ``bundle`` (unless ``use_server_bundles``) and ask for the version."""
        if bundle is None and not use_server_bundles:
            raise PolicyError("the OPA engine needs a policy bundle to push (or server bundles)")
        parts, port = _parse_url(url)
        self._url = mask_url(url)
        self._bundle = None if use_server_bundles else bundle
        self._names: dict[str, str] = {}
        if self._bundle is not None:
            self._names = {
                POLICY_PREFIX + f.path: self._bundle.source_name(f.path)
                for f in self._bundle.modules
            }
        self._client = OpaClient(
            host=parts.hostname,
            port=port,
            ssl=parts.scheme == "https",
            headers=_auth_headers(parts) or None,
            # One attempt: a gate must not hang on a dead server, and must not repeat a
            # request whose failure it reports.
            retries=0,
            timeout=timeout,
        )
        if self._bundle is not None:
            self._push(self._bundle)
        else:
            # Nothing to push: still find out now whether the server is there at all.
            self._call("list policies", self._client.get_policies_list)
        self._info = EngineInfo(name=ENGINE_NAME, version=self._version(), url=self._url)
        self._server_digest = self._bundle_revisions() if use_server_bundles else None

    @property
    def info(self) -> EngineInfo:
        """Return the engine's identity (the URL with credentials masked)."""
        return self._info

    @property
    def server_policy_digest(self) -> str | None:
        """With server bundles: "opa-bundles" plus the revisions OPA reports; else None."""
        return self._server_digest

    def close(self) -> None:
        """Close the HTTP session."""
        self._client.close_connection()

    def evaluate(self, input_doc: Mapping[str, Any]) -> Any:
        """Return the raw value of data.tidegate.gate.decision, or UNDEFINED."""
        package, rule = DECISION_PATH.rsplit("/", 1)
        body = self._call(
            "evaluate the decision",
            lambda: self._client.query_rule(dict(input_doc), package.replace("/", "."), rule),
        )
        if not isinstance(body, dict):
            raise PolicyError(f"OPA at {self._url} answered something that is not an object")
        return body.get("result", UNDEFINED)

    def eval_query(self, query: str, input_doc: Mapping[str, Any]) -> Any:
        """Return the value of one Rego expression (a list for several results), or UNDEFINED."""
        wrapped = wrap_query(query)
        body = self._call(
            "evaluate the query", lambda: self._client.ad_hoc_query(wrapped, dict(input_doc))
        )
        results = body.get("result", []) if isinstance(body, dict) else []
        return query_result([r[QUERY_VAR] for r in results if QUERY_VAR in r])

    # -------------------------------------------------------------------------------- internals

    def _push(self, bundle: PolicyBundle) -> None:
        """Replace the server's tidegate/ modules with the bundle's and push its data."""
        wanted = {POLICY_PREFIX + f.path: f for f in bundle.modules}
        existing = self._call("list policies", self._client.get_policies_list)
        for policy_id in sorted(existing):
            if policy_id.startswith(POLICY_PREFIX) and policy_id not in wanted:
                self._call(
                    f"delete stale policy {policy_id}",
                    partial(self._client.delete_policy, policy_id),
                )
        for policy_id, policy_file in wanted.items():
            self._call(
                f"push {bundle.source_name(policy_file.path)}",
                partial(
                    self._client.update_policy_from_string,
                    policy_file.text,
                    policy_id,
                    rego_compat=False,
                ),
            )
        for name, document in bundle.data.items():
            self._call(
                f"push data.{DATA_ROOT}.{name}",
                partial(self._client.update_or_create_data, dict(document), f"{DATA_ROOT}/{name}"),
            )

    def _version(self) -> str:
        """Ask the server for its version (OPA exposes it only through opa.runtime())."""
        try:
            body = self._call(
                "read the version",
                lambda: self._client.ad_hoc_query("version := opa.runtime().version"),
            )
            results = body.get("result", []) if isinstance(body, dict) else []
            if results and isinstance(results[0].get("version"), str):
                return f"opa {results[0]['version']}"
        except PolicyError:
            pass  # the version is informative; evaluation reports real failures
        return "opa (unknown version)"

    def _bundle_revisions(self) -> str:
        """Return "opa-bundles" plus each server bundle's revision, when the server says."""
        revisions: dict[str, str] = {}
        try:
            status = self._call("read the status", self._client.get_status)
            bundles = status.get("result", {}).get("bundles", {})
            for name, state in bundles.items():
                revisions[name] = str(state.get("active_revision", ""))
        except (PolicyError, AttributeError):
            try:
                body = self._call(
                    "read the bundles",
                    lambda: self._client.get_data("system/bundles"),
                )
                for name, state in (body.get("result") or {}).items():
                    revisions[name] = str(state.get("manifest", {}).get("revision", ""))
            except (PolicyError, AttributeError):
                pass
        if not revisions:
            return SERVER_BUNDLES
        listed = ",".join(f"{name}@{rev}" for name, rev in sorted(revisions.items()))
        return f"{SERVER_BUNDLES}:{listed}"

    def _rename(self, text: str) -> str:
        """Replace OPA policy ids (tidegate/x.rego) with the names messages use elsewhere."""
        for policy_id in sorted(self._names, key=len, reverse=True):
            text = text.replace(policy_id, self._names[policy_id])
        return text

    def _location(self, error: Mapping[str, Any]) -> str:
        """Format one OPA error object as ``file:row:col: message``."""
        message = str(error.get("message", "")).strip()
        location = error.get("location")
        if isinstance(location, Mapping) and location.get("file"):
            name = self._names.get(str(location["file"]), str(location["file"]))
            return f"{name}:{location.get('row', 0)}:{location.get('col', 0)}: {message}"
        return self._rename(message)

    def _call(self, what: str, request: Callable[[], T]) -> T:
        """Run one request; every failure becomes a PolicyError naming the (masked) URL."""
        try:
            return request()
        except RegoParseError as exc:
            errors = [e for e in (exc.errors or []) if isinstance(e, Mapping)]
            if errors:
                detail = self._location(errors[0])
                if len(errors) > 1:
                    detail += f" (and {len(errors) - 1} more)"
            else:
                detail = self._rename(str(exc.message))
            raise PolicyError(detail, hint=f"OPA at {self._url} refused to {what}") from exc
        except requests.HTTPError as exc:
            raise PolicyError(self._http_error(what, exc)) from exc
        except (requests.Timeout, requests.ConnectionError, ConnectionsError) as exc:
            kind = "timed out" if _timed_out(exc) else "cannot connect"
            raise PolicyError(
                f"OPA at {self._url}: {kind} (while trying to {what})",
                hint="start OPA (opa run --server) or check --opa-url / TIDEGATE_OPA_URL",
            ) from exc
        except DeletePolicyError as exc:
            raise PolicyError(f"OPA at {self._url} cannot {what}: {exc.message}") from exc
        except (requests.RequestException, ValueError) as exc:
            raise PolicyError(f"OPA at {self._url} cannot {what}: {type(exc).__name__}") from exc

    def _http_error(self, what: str, exc: requests.HTTPError) -> str:
        """Describe an HTTP error answer, with OPA's own message (file:line when it names one)."""
        response = exc.response
        status = response.status_code if response is not None else "?"
        try:
            body = response.json() if response is not None else {}
        except ValueError:
            body = {}
        if isinstance(body, dict):
            errors = [e for e in body.get("errors", []) if isinstance(e, Mapping)]
            if errors:
                return self._location(errors[0])
            if body.get("message"):
                return self._rename(_strip_code(str(body["message"])))
        return f"OPA at {self._url} cannot {what}: HTTP {status}"


def _strip_code(message: str) -> str:
    """Drop OPA's error code from ``file:line: code: message`` (regorus has no codes)."""
    head, sep, rest = message.partition(": ")
    if sep:
        code, sep2, tail = rest.partition(": ")
        if sep2 and code.endswith("_error") and " " not in code:
            return f"{head}: {tail}"
    return message


def _timed_out(exc: BaseException) -> bool:
    """Whether a request failed by timing out (requests reports a read timeout after the
    retry budget as a ConnectionError wrapping urllib3's timeout)."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # NewConnectionError (connection refused) subclasses urllib3's ConnectTimeoutError.
    return isinstance(reason, urllib3.exceptions.TimeoutError) and not isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )
