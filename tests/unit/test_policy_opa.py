"""The OPA engine's REST protocol against a scripted OPA on loopback: push, evaluate, errors.

The real OPA runs in tests/integration/test_policy_engines.py when one is available; this fake
checks what tidegate sends and how it reads every kind of answer.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tidegate.policy.bundle import PolicyBundle, load_bundle
from tidegate.policy.engine import UNDEFINED, decide
from tidegate.policy.errors import PolicyError
from tidegate.policy.opa import OpaEngine, mask_url

POLICIES = Path(__file__).resolve().parents[1] / "data" / "policies"
BASE_INPUT: dict[str, Any] = json.loads((POLICIES / "inputs" / "base.json").read_text())
GOOD_DECISION = {
    "action": "allow",
    "rollout": {"strategy": "automatic", "percent": 5},
    "required_approvals": [],
    "reasons": [],
    "waived": [],
    "risk": {"score": 0, "band": "low", "contributions": []},
}


@dataclass
class Request:
    method: str
    path: str
    body: bytes
    authorization: str | None


@dataclass
class FakeOpa:
    """What the fake server holds and how it answers."""

    requests: list[Request] = field(default_factory=list)
    policies: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    decision: tuple[int, dict[str, Any]] = (200, {"result": GOOD_DECISION})
    query: tuple[int, dict[str, Any]] = (200, {"result": []})
    version: str = "1.4.2"
    url: str = ""

    def answer(self, request: Request) -> tuple[int, dict[str, Any] | None]:
        self.requests.append(request)
        path = request.path
        if request.method == "GET" and path == "/v1/policies/":
            return 200, {"result": [{"id": pid} for pid in sorted(self.policies)]}
        if request.method == "PUT" and path.startswith("/v1/policies/"):
            pid = path.removeprefix("/v1/policies/")
            text = request.body.decode()
            if "BROKEN" in text:
                return 400, {
                    "code": "invalid_parameter",
                    "message": "error(s) occurred while compiling module(s)",
                    "errors": [
                        {
                            "code": "rego_parse_error",
                            "message": "unexpected eof token",
                            "location": {"file": pid, "row": 3, "col": 5},
                        }
                    ],
                }
            self.policies[pid] = text
            return 200, {}
        if request.method == "DELETE" and path.startswith("/v1/policies/"):
            self.policies.pop(path.removeprefix("/v1/policies/"), None)
            return 200, {}
        if request.method == "PUT" and path.startswith("/v1/data/"):
            self.data[path.removeprefix("/v1/data/")] = json.loads(request.body)
            return 204, None
        if request.method == "POST" and path == "/v1/data/tidegate/gate/decision":
            return self.decision
        if request.method == "POST" and path == "/v1/query":
            if "opa.runtime().version" in json.loads(request.body)["query"]:
                return 200, {"result": [{"version": self.version}]}
            return self.query
        if request.method == "GET" and path == "/v1/status":
            return 500, {"code": "internal_error", "message": "status plugin not enabled"}
        if request.method == "GET" and path == "/v1/data/system/bundles":
            return 200, {"result": {"authz": {"manifest": {"revision": "r42"}}}}
        return 404, {"code": "resource_not_found", "message": path}


def serve(state: FakeOpa) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, document = state.answer(
                Request(self.command, self.path, body, self.headers.get("Authorization"))
            )
            payload = b"" if document is None else json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = _handle  # noqa: N815 (http.server's names)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def opa() -> Iterator[FakeOpa]:
    state = FakeOpa()
    server = serve(state)
    # A short poll interval: shutdown() waits for the loop to notice.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def bundle() -> PolicyBundle:
    return load_bundle(POLICIES / "conformance")


def test_building_pushes_every_module_and_data_document(opa: FakeOpa, bundle: PolicyBundle) -> None:
    opa.policies["tidegate/removed.rego"] = "package tidegate.removed\n"
    opa.policies["someone-else/x.rego"] = "package other\n"
    engine = OpaEngine(opa.url, bundle, use_server_bundles=False)
    assert engine.info.name == "opa"
    assert engine.info.version == "opa 1.4.2"
    assert engine.info.url == opa.url
    assert opa.policies == {
        "someone-else/x.rego": "package other\n",  # not ours: left alone
        "tidegate/gate.rego": (POLICIES / "conformance" / "gate.rego").read_text(),
        "tidegate/lib/util.rego": (POLICIES / "conformance" / "lib" / "util.rego").read_text(),
    }
    assert opa.data == {
        "tidegate/risk": dict(bundle.data["risk"]),
        "tidegate/rules": dict(bundle.data["rules"]),
    }
    assert engine.server_policy_digest is None


def test_a_decision_is_posted_with_the_input(opa: FakeOpa, bundle: PolicyBundle) -> None:
    engine = OpaEngine(opa.url, bundle, use_server_bundles=False)
    evaluated = decide(engine, BASE_INPUT)
    assert (evaluated.decision, evaluated.error) == (GOOD_DECISION, None)
    posted = [r for r in opa.requests if r.path == "/v1/data/tidegate/gate/decision"]
    assert [json.loads(r.body) for r in posted] == [{"input": BASE_INPUT}]


def test_no_result_is_undefined_and_fails_closed(opa: FakeOpa, bundle: PolicyBundle) -> None:
    opa.decision = (200, {})
    engine = OpaEngine(opa.url, bundle, use_server_bundles=False)
    assert engine.evaluate(BASE_INPUT) is UNDEFINED
    evaluated = decide(engine, BASE_INPUT)
    assert evaluated.error == "data.tidegate.gate.decision is undefined for this input"
    assert evaluated.decision["action"] == "deny"


def test_an_evaluation_error_names_the_bundle_file(opa: FakeOpa, bundle: PolicyBundle) -> None:
    opa.decision = (
        500,
        {
            "code": "internal_error",
            "message": "tidegate/gate.rego:12: eval_builtin_error: div: divide by zero",
        },
    )
    engine = OpaEngine(opa.url, bundle, use_server_bundles=False)
    evaluated = decide(engine, BASE_INPUT)
    assert evaluated.error == "conformance/gate.rego:12: div: divide by zero"
    assert evaluated.decision["reasons"][0]["rule"] == "engine.error"


def test_a_module_opa_refuses_names_file_row_and_col(opa: FakeOpa, tmp_path: Path) -> None:
    root = tmp_path / "policies"
    root.mkdir()
    (root / "gate.rego").write_text("package tidegate.gate\n# BROKEN\n")
    with pytest.raises(PolicyError) as caught:
        OpaEngine(opa.url, load_bundle(root), use_server_bundles=False)
    assert caught.value.message == "policies/gate.rego:3:5: unexpected eof token"
    assert (
        caught.value.hint is not None and "refused to push policies/gate.rego" in caught.value.hint
    )


def test_server_bundles_push_nothing_and_report_revisions(opa: FakeOpa) -> None:
    engine = OpaEngine(opa.url, None, use_server_bundles=True)
    assert not [r for r in opa.requests if r.method in ("PUT", "DELETE")]
    assert engine.server_policy_digest == "opa-bundles:authz@r42"
    assert engine.evaluate(BASE_INPUT) == GOOD_DECISION


def test_eval_query_wraps_one_expression(opa: FakeOpa, bundle: PolicyBundle) -> None:
    engine = OpaEngine(opa.url, bundle, use_server_bundles=False)
    opa.query = (200, {"result": [{"tidegate_query_value": 558}]})
    assert engine.eval_query("data.tidegate.gate.score", BASE_INPUT) == 558
    sent = json.loads(opa.requests[-1].body)
    assert sent["query"] == "tidegate_query_value := (data.tidegate.gate.score\n)"
    assert sent["input"] == BASE_INPUT
    opa.query = (200, {})
    assert engine.eval_query("input.nothing", BASE_INPUT) is UNDEFINED


def test_credentials_become_a_header_and_are_masked(opa: FakeOpa, bundle: PolicyBundle) -> None:
    url = opa.url.replace("http://", "http://tidegate:s3cret@")
    engine = OpaEngine(url, bundle, use_server_bundles=False)
    assert engine.info.url == opa.url.replace("http://", "http://***@")
    expected = "Basic " + base64.b64encode(b"tidegate:s3cret").decode()
    assert {r.authorization for r in opa.requests} == {expected}


def test_a_refused_connection_names_the_masked_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(PolicyError) as caught:
        OpaEngine(f"http://user:pw@127.0.0.1:{port}", None, use_server_bundles=True, timeout=2)
    assert caught.value.message == (
        f"OPA at http://***@127.0.0.1:{port}: cannot connect (while trying to list policies)"
    )


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(PolicyError) as caught:
            OpaEngine(
                f"http://127.0.0.1:{port}",
                load_bundle(POLICIES / "conformance"),
                use_server_bundles=False,
                timeout=0.2,
            )
    assert caught.value.message == (
        f"OPA at http://127.0.0.1:{port}: timed out (while trying to list policies)"
    )


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1:8181", "http://127.0.0.1:8181/v1", "127.0.0.1:8181", "http://:8181"],
)
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(PolicyError, match="OPA URL"):
        OpaEngine(url, None, use_server_bundles=True)


def test_mask_url() -> None:
    assert mask_url("http://a:b@h:1") == "http://***@h:1"
    assert mask_url("https://token@h") == "https://***@h"
    assert mask_url("http://h:8181") == "http://h:8181"
