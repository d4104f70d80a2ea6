"""Which policy decides: the bundle directory, the engine, and what failed while loading them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tidegate.errors import TidegateError
from tidegate.policy.bundle import PolicyBundle, load_bundle
from tidegate.policy.engine import Engine, EngineInfo

POLICY_DIR_NAME = "policies"
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()
_PACKAGED = (
    Path(__file__).resolve().parents[1] / "_policies",  # installed wheel
    Path(__file__).resolve().parents[3] / POLICY_DIR_NAME,  # source checkout / editable install
)


def default_policy_dir(repo: Path) -> Path:
    """Return the repository's own policies/ if it has one, else tidegate's default policies."""
    own = repo / POLICY_DIR_NAME
    if own.is_dir():
        return own
    for candidate in _PACKAGED:
        if candidate.is_dir():
            return candidate
    return own


@dataclass(frozen=True)
class LoadedPolicy:
    """A policy ready to evaluate, or the reason it is not (the gate then fails closed)."""

    source: str
    bundle: PolicyBundle | None
    engine: Engine | None
    error: str | None
    engine_name: str = "embedded"

    @property
    def digest(self) -> str:
        """The policy digest recorded with decisions (sha256 of nothing when unreadable)."""
        return self.bundle.digest if self.bundle else EMPTY_DIGEST

    @property
    def data_digest(self) -> str:
        """The data digest recorded with decisions."""
        return self.bundle.data_digest if self.bundle else EMPTY_DIGEST

    @property
    def data(self) -> dict[str, Any]:
        """The bundle's data documents by name (empty when unreadable)."""
        return dict(self.bundle.data) if self.bundle else {}

    def engine_info(self) -> EngineInfo:
        """The engine's identity, also when it could not be built."""
        if self.engine is not None:
            return self.engine.info
        return EngineInfo(name=self.engine_name, version="unavailable", url=None)


def load_policy(
    policy_dir: Path, *, opa_url: str | None = None, opa_bundles: bool = False
) -> LoadedPolicy:
    """Load the bundle and build its engine; a failure is kept, never raised (fail closed)."""
    name = "opa" if opa_url else "embedded"
    if opa_url and opa_bundles:
        source = "opa-bundles"
        bundle = None
    else:
        source = str(policy_dir)
        try:
            bundle = load_bundle(policy_dir)
        except TidegateError as exc:
            return LoadedPolicy(source, None, None, exc.message, name)
    try:
        if opa_url:
            from tidegate.policy.opa import OpaEngine

            opa = OpaEngine(opa_url, bundle, use_server_bundles=opa_bundles)
            if opa_bundles:
                # The server's bundle revisions are the only policy identity tidegate can record.
                source = opa.server_policy_digest or source
            engine: Engine = opa
        else:
            from tidegate.policy.embedded import EmbeddedEngine

            assert bundle is not None
            engine = EmbeddedEngine(bundle)
    except TidegateError as exc:
        return LoadedPolicy(source, bundle, None, exc.message, name)
    return LoadedPolicy(source, bundle, engine, None, name)


def policy_at_revision(repo: Path, revision: str, scratch: Path) -> Path | None:
    """Extract ``policies/`` as of ``revision`` into ``scratch``; None if that tree has none.

    The gate judges a range with the policy of its base: a patch cannot loosen the policy
    that decides about it.
    """
    import io
    import subprocess
    import tarfile

    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-d", "--name-only", revision, POLICY_DIR_NAME],
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0 or not listed.stdout.strip():
        return None
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", revision, POLICY_DIR_NAME],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(scratch, filter="data")
    return scratch / POLICY_DIR_NAME
