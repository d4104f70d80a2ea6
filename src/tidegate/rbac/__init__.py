"""Identities, roles and permissions: who may run agents, approve patches, configure credentials.

The data lives with the policies (``policies/data/rbac.yaml``, at ``data.tidegate.rbac``) so the
security team owns it; this module resolves it for one actor on one repository.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tidegate.errors import ConfigError
from tidegate.globs import glob_match

AGENT_PREFIX = "agent:"
ACTOR_KINDS = ("agent", "human")


@dataclass(frozen=True)
class Role:
    """A named role: the permissions it grants and the roles it includes."""

    name: str
    permissions: tuple[str, ...]
    includes: tuple[str, ...]


@dataclass(frozen=True)
class Grant:
    """A role granted to an actor on the repositories matching any of its globs."""

    role: str
    repositories: tuple[str, ...]


@dataclass(frozen=True)
class ActorRecord:
    """An actor as the RBAC data declares it."""

    id: str
    kind: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Identity:
    """An actor resolved on one repository: kind, roles (expanded) and permissions."""

    id: str
    kind: str
    roles: tuple[str, ...]
    permissions: tuple[str, ...]

    def as_input(self) -> dict[str, Any]:
        """Return the identity as the gate input's ``actor`` object."""
        return {
            "id": self.id,
            "kind": self.kind,
            "roles": list(self.roles),
            "permissions": list(self.permissions),
        }


@dataclass(frozen=True)
class Rbac:
    """The roles and actors of one policy bundle."""

    roles: Mapping[str, Role]
    actors: Mapping[str, ActorRecord]

    def resolve(self, actor_id: str, repository: str) -> Identity:
        """Return what ``actor_id`` is and may do on ``repository``."""
        record = self.actors.get(actor_id)
        kind = record.kind if record else default_kind(actor_id)
        granted = [
            grant.role
            for grant in (record.grants if record else ())
            if any(glob_match(pattern, repository) for pattern in grant.repositories)
        ]
        roles = self.expand(granted)
        permissions = sorted({p for role in roles for p in self.roles[role].permissions})
        return Identity(actor_id, kind, tuple(roles), tuple(permissions))

    def expand(self, names: Sequence[str]) -> list[str]:
        """Return ``names`` and every role they include, transitively, sorted."""
        seen: set[str] = set()
        pending = list(names)
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            pending.extend(self.roles[name].includes)
        return sorted(seen)


def default_kind(actor_id: str) -> str:
    """Return the kind of an actor the data does not list: ``agent:`` ids are agents."""
    return "agent" if actor_id.startswith(AGENT_PREFIX) else "human"


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _role(name: str, spec: Any) -> Role:
    where = f"rbac.roles.{name}"
    body = _mapping(spec, where)
    unknown = set(body) - {"permissions", "includes", "description"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    return Role(
        name,
        _strings(body.get("permissions"), f"{where}.permissions"),
        _strings(body.get("includes"), f"{where}.includes"),
    )


def _actor(actor_id: str, spec: Any, roles: Mapping[str, Role]) -> ActorRecord:
    where = f"rbac.actors.{actor_id}"
    body = _mapping(spec, where)
    unknown = set(body) - {"kind", "grants", "description"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)} (expected kind, grants)")
    kind = body.get("kind", default_kind(actor_id))
    if kind not in ACTOR_KINDS:
        raise ConfigError(f"{where}.kind: {kind!r} is not one of {', '.join(ACTOR_KINDS)}")
    grants_value = body.get("grants", [])
    if not isinstance(grants_value, list):
        raise ConfigError(f"{where}.grants: expected a list")
    grants = []
    for index, raw in enumerate(grants_value):
        grant_where = f"{where}.grants[{index}]"
        grant = _mapping(raw, grant_where)
        unknown = set(grant) - {"role", "repositories"}
        if unknown:
            raise ConfigError(
                f"{grant_where}: unknown keys {sorted(unknown)} (expected role, repositories)"
            )
        role = grant.get("role")
        if not isinstance(role, str) or role not in roles:
            raise ConfigError(f"{grant_where}.role: {role!r} is not a declared role")
        # Without repositories a grant holds everywhere: `**` also matches owner/name ids.
        repositories = _strings(grant.get("repositories", ["**"]), f"{grant_where}.repositories")
        grants.append(Grant(role, repositories))
    return ActorRecord(actor_id, kind, tuple(grants))


def load_rbac(data: Any) -> Rbac:
    """Read the ``rbac`` data document; raise ConfigError naming the key path at fault."""
    body = _mapping(data, "rbac")
    roles = {
        name: _role(name, spec) for name, spec in _mapping(body.get("roles"), "rbac.roles").items()
    }
    for role in roles.values():
        for included in role.includes:
            if included not in roles:
                raise ConfigError(
                    f"rbac.roles.{role.name}.includes: {included!r} is not a declared role"
                )
    actors = {
        actor_id: _actor(actor_id, spec, roles)
        for actor_id, spec in _mapping(body.get("actors"), "rbac.actors").items()
    }
    return Rbac(roles, actors)
