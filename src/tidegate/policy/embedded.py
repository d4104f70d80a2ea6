"""The embedded engine: regorus (a Rust Rego interpreter) inside this process.

The engine is built once per bundle (parsing every module) and then evaluates inputs warm.
Modules are added under ``ROOTNAME/RELATIVE/PATH.rego`` so regorus's errors point at the file
a reviewer can open; its multi-line diagnostics become one line ``file:line:col: message``.
"""

from __future__ import annotations

import os

# The environment may set RUST_BACKTRACE=1, which buries regorus's error text under a
# backtrace; set it before the extension module can read it.
os.environ["RUST_BACKTRACE"] = "0"

import json
import re
import threading
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from typing import Any

import regorus

from tidegate.policy.bundle import PolicyBundle
from tidegate.policy.engine import (
    DECISION_QUERY,
    QUERY_VAR,
    UNDEFINED,
    EngineInfo,
    query_result,
    wrap_query,
)
from tidegate.policy.errors import PolicyError

ENGINE_NAME = "embedded"
_LOCATION = re.compile(r"-->\s*(?P<file>\S+?):(?P<line>\d+):(?P<col>\d+)")
_ERROR = re.compile(r"^error:\s*", re.MULTILINE)


@cache
def regorus_version() -> str:
    """Return the engine version recorded with decisions ("regorus X.Y.Z")."""
    try:
        return "regorus " + metadata.version("gordon-to-regorus")
    except metadata.PackageNotFoundError:
        return "regorus (unknown version)"


def regorus_message(error: BaseException) -> str:
    """Turn regorus's multi-line diagnostic into ``file:line:col: message`` on one line."""
    text = str(error).strip()
    location = _LOCATION.search(text)
    marker = _ERROR.search(text)
    if marker is not None:
        message = " ".join(text[marker.end() :].split())
    else:
        message = " ".join(
            line.strip() for line in text.splitlines() if line.strip() and "|" not in line
        )
    message = message or "unknown regorus error"
    if location is None:
        return message
    return f"{location['file']}:{location['line']}:{location['col']}: {message}"


def build_regorus(bundle: PolicyBundle, *, with_tests: bool = False, coverage: bool = False) -> Any:
    """Return a regorus engine loaded with the bundle's modules (and tests) and its data."""
    engine = regorus.Engine()
    if coverage:
        engine.set_enable_coverage(True)
    files = bundle.modules + (bundle.tests if with_tests else ())
    for policy_file in files:
        try:
            engine.add_policy(bundle.source_name(policy_file.path), policy_file.text)
        except RuntimeError as exc:
            raise PolicyError(regorus_message(exc)) from exc
    try:
        engine.add_data_json(json.dumps({"tidegate": dict(bundle.data)}))
    except RuntimeError as exc:
        raise PolicyError(f"the policy data cannot be loaded: {regorus_message(exc)}") from exc
    return engine


def _values(raw: str) -> list[Any]:
    """Return the value of the first expression of each result of eval_query_as_json."""
    document = json.loads(raw)
    return [result["expressions"][0]["value"] for result in document.get("result", [])]


def _bindings(raw: str, name: str) -> list[Any]:
    """Return the values bound to ``name`` in each result of eval_query_as_json."""
    document = json.loads(raw)
    return [
        result["bindings"][name]
        for result in document.get("result", [])
        if name in result.get("bindings", {})
    ]


class EmbeddedEngine:
    """Evaluates a bundle with regorus, built once; thread-safe (one evaluation at a time)."""

    def __init__(self, bundle: PolicyBundle) -> None:
        """Parse the bundle's modules and load its data; PolicyError names file:line:col."""
        self._bundle = bundle
        self._engine = build_regorus(bundle)
        # regorus keeps the input in the engine: evaluations must not interleave.
        self._lock = threading.Lock()
        self._info = EngineInfo(name=ENGINE_NAME, version=regorus_version(), url=None)

    @property
    def info(self) -> EngineInfo:
        """Return the engine's identity."""
        return self._info

    @property
    def bundle(self) -> PolicyBundle:
        """Return the bundle this engine evaluates."""
        return self._bundle

    def evaluate(self, input_doc: Mapping[str, Any]) -> Any:
        """Return the raw value of data.tidegate.gate.decision, or UNDEFINED."""
        payload = json.dumps(input_doc)
        with self._lock:
            try:
                self._engine.set_input_json(payload)
                # A query, not eval_rule_as_json: that answers the string "<undefined>" for
                # an undefined rule, indistinguishable from a rule with that value. A query
                # answers no result at all, and costs the same.
                raw = self._engine.eval_query_as_json(DECISION_QUERY)
            except RuntimeError as exc:
                raise PolicyError(regorus_message(exc)) from exc
        values = _values(raw)
        return values[0] if values else UNDEFINED

    def eval_query(self, query: str, input_doc: Mapping[str, Any]) -> Any:
        """Return the value of one Rego expression (a list for several results), or UNDEFINED."""
        payload = json.dumps(input_doc)
        with self._lock:
            try:
                self._engine.set_input_json(payload)
                raw = self._engine.eval_query_as_json(wrap_query(query))
            except RuntimeError as exc:
                raise PolicyError(regorus_message(exc)) from exc
        return query_result(_bindings(raw, QUERY_VAR))
