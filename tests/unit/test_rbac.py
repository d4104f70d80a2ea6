"""tidegate.rbac: actor kinds, grants scoped by repository globs, role expansion, data errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.errors import ConfigError
from tidegate.rbac import Rbac, Role, default_kind, load_rbac

DEFAULT_RBAC = Path(__file__).resolve().parents[2] / "policies" / "data" / "rbac.yaml"

ROLES = {
    "agent-runner": {"permissions": ["agents.run"]},
    "reviewer": {"permissions": ["patches.approve"]},
    "senior-reviewer": {"includes": ["reviewer"]},
    "security": {"includes": ["reviewer"], "permissions": ["policies.approve"]},
    "admin": {
        "includes": ["security", "senior-reviewer", "agent-runner"],
        "permissions": ["credentials.configure", "models.configure"],
    },
}


def rbac(actors: dict[str, Any], roles: dict[str, Any] | None = None) -> Rbac:
    return load_rbac({"roles": roles if roles is not None else ROLES, "actors": actors})


# --- kinds ---------------------------------------------------------------------------------


def test_kind_defaults_to_agent_for_agent_prefix_else_human() -> None:
    data = rbac({})
    assert data.resolve("agent:codex", "shop").kind == "agent"
    assert data.resolve("alice", "shop").kind == "human"
    # The prefix must lead the id: "my-agent:x" or "Agent:x" are humans.
    assert data.resolve("my-agent:x", "shop").kind == "human"
    assert default_kind("Agent:x") == "human"
    assert default_kind("agent:") == "agent"


def test_kind_from_data_wins_over_the_prefix() -> None:
    data = rbac(
        {
            "agent:pairing": {"kind": "human"},
            "ci-bot": {"kind": "agent"},
            "agent:listed": {},  # listed, kind omitted: the prefix still decides
        }
    )
    assert data.resolve("agent:pairing", "shop").kind == "human"
    assert data.resolve("ci-bot", "shop").kind == "agent"
    assert data.resolve("agent:listed", "shop").kind == "agent"


def test_unknown_actor_has_no_roles_or_permissions() -> None:
    identity = rbac({"alice": {"grants": [{"role": "reviewer"}]}}).resolve("mallory", "shop")
    assert identity.roles == () and identity.permissions == ()
    assert identity.as_input() == {
        "id": "mallory",
        "kind": "human",
        "roles": [],
        "permissions": [],
    }


# --- grants by repository --------------------------------------------------------------------


def test_grants_apply_only_on_matching_repositories() -> None:
    data = rbac(
        {
            "bob": {
                "grants": [
                    {"role": "reviewer", "repositories": ["shop", "acme/*"]},
                    {"role": "security", "repositories": ["acme/payments"]},
                ]
            }
        }
    )
    assert data.resolve("bob", "shop").roles == ("reviewer",)
    assert data.resolve("bob", "acme/web").roles == ("reviewer",)
    assert data.resolve("bob", "acme/payments").roles == ("reviewer", "security")
    assert data.resolve("bob", "acme/payments").permissions == (
        "patches.approve",
        "policies.approve",
    )
    assert data.resolve("bob", "other").roles == ()
    assert data.resolve("bob", "shop/extra").roles == ()
    assert data.resolve("bob", "evil/acme/web").roles == ()


def test_single_star_matches_one_segment_and_double_star_every_repository_id() -> None:
    data = rbac(
        {
            "one": {"grants": [{"role": "reviewer", "repositories": ["*"]}]},
            "all": {"grants": [{"role": "reviewer", "repositories": ["**"]}]},
        }
    )
    assert data.resolve("one", "shop").roles == ("reviewer",)
    assert data.resolve("one", "acme/shop").roles == ()
    for repository in ("shop", "acme/shop", "gitlab.example/group/sub/repo"):
        assert data.resolve("all", repository).roles == ("reviewer",)


def test_empty_repository_list_grants_nothing() -> None:
    data = rbac({"bob": {"grants": [{"role": "reviewer", "repositories": []}]}})
    assert data.resolve("bob", "shop").roles == ()


def test_grant_without_repositories_applies_on_owner_name_ids_too() -> None:
    data = rbac({"bob": {"grants": [{"role": "reviewer"}]}})
    assert data.resolve("bob", "shop").roles == ("reviewer",)
    assert data.resolve("bob", "acme/shop").roles == ("reviewer",)


def test_default_rbac_data_resolves_as_documented() -> None:
    data = load_rbac(yaml.safe_load(DEFAULT_RBAC.read_text()))
    ria = data.resolve("root-ria", "acme/shop")
    assert ria.roles == ("admin", "agent-runner", "reviewer", "security", "senior-reviewer")
    assert ria.permissions == (
        "agents.run",
        "credentials.configure",
        "models.configure",
        "patches.approve",
        "policies.approve",
    )
    assert data.resolve("agent:codex", "acme/shop").permissions == ("agents.run",)
    intern = data.resolve("agent:intern-bot", "shop")
    assert intern.kind == "agent" and intern.permissions == ()
    assert data.resolve("alice", "shop").roles == ("reviewer", "senior-reviewer")


# --- includes --------------------------------------------------------------------------------


def test_includes_are_transitive() -> None:
    roles = {
        "a": {"includes": ["b"], "permissions": ["p.a"]},
        "b": {"includes": ["c"]},
        "c": {"permissions": ["p.c"]},
        "d": {"permissions": ["p.d"]},
    }
    identity = rbac({"x": {"grants": [{"role": "a", "repositories": ["**"]}]}}, roles).resolve(
        "x", "r"
    )
    assert identity.roles == ("a", "b", "c")
    assert identity.permissions == ("p.a", "p.c")


def test_include_cycles_terminate() -> None:
    roles = {
        "a": {"includes": ["b"], "permissions": ["p.a"]},
        "b": {"includes": ["c"], "permissions": ["p.b"]},
        "c": {"includes": ["a"], "permissions": ["p.c"]},
        "self": {"includes": ["self"], "permissions": ["p.self"]},
    }
    data = rbac({"x": {"grants": [{"role": "b"}]}, "y": {"grants": [{"role": "self"}]}}, roles)
    assert data.resolve("x", "r").roles == ("a", "b", "c")
    assert data.resolve("x", "r").permissions == ("p.a", "p.b", "p.c")
    assert data.resolve("y", "r").roles == ("self",)


ROLE_NAMES = [f"r{i}" for i in range(7)]


@st.composite
def role_graphs(draw: st.DrawFn) -> dict[str, list[str]]:
    # Arbitrary directed graphs over the role names: cycles and self loops included.
    return {
        name: draw(st.lists(st.sampled_from(ROLE_NAMES), max_size=4, unique=True))
        for name in ROLE_NAMES
    }


def reachable(graph: dict[str, list[str]], start: list[str]) -> set[str]:
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for other in graph[name]:
            visit(other)

    for name in start:
        visit(name)
    return seen


@settings(max_examples=200, deadline=None)
@given(graph=role_graphs(), granted=st.lists(st.sampled_from(ROLE_NAMES), max_size=3))
def test_expansion_is_the_transitive_closure_and_is_closed(
    graph: dict[str, list[str]], granted: list[str]
) -> None:
    roles = {name: Role(name, (f"perm.{name}",), tuple(inc)) for name, inc in graph.items()}
    data = Rbac(roles, {})
    expanded = data.expand(granted)
    assert expanded == sorted(reachable(graph, granted))
    # Closed: expanding the result adds nothing (idempotent), and every include is inside.
    assert data.expand(expanded) == expanded
    assert all(inc in expanded for name in expanded for inc in graph[name])


# --- malformed data -> ConfigError naming the key path ---------------------------------------


MALFORMED: list[tuple[Any, str]] = [
    ([], "rbac: expected a mapping"),
    ("roles", "rbac: expected a mapping"),
    ({"roles": []}, "rbac.roles: expected a mapping"),
    ({"roles": {"r": []}}, "rbac.roles.r: expected a mapping"),
    ({"roles": {"r": "reviewer"}}, "rbac.roles.r: expected a mapping"),
    ({"roles": {"r": {"permission": ["x"]}}}, "rbac.roles.r: unknown keys ['permission']"),
    ({"roles": {"r": {"permissions": "x"}}}, "rbac.roles.r.permissions"),
    ({"roles": {"r": {"permissions": [""]}}}, "rbac.roles.r.permissions"),
    ({"roles": {"r": {"permissions": [1]}}}, "rbac.roles.r.permissions"),
    ({"roles": {"r": {"includes": "s"}}}, "rbac.roles.r.includes"),
    ({"roles": {"r": {"includes": ["ghost"]}}}, "rbac.roles.r.includes: 'ghost'"),
    ({"roles": {}, "actors": []}, "rbac.actors: expected a mapping"),
    ({"roles": {}, "actors": {"bob": "reviewer"}}, "rbac.actors.bob: expected a mapping"),
    ({"roles": {}, "actors": {"bob": {"kind": "robot"}}}, "rbac.actors.bob.kind: 'robot'"),
    ({"roles": {}, "actors": {"bob": {"kind": None}}}, "rbac.actors.bob.kind"),
    ({"roles": {}, "actors": {"bob": {"grants": {"role": "r"}}}}, "rbac.actors.bob.grants"),
    ({"roles": {}, "actors": {"bob": {"grants": ["r"]}}}, "rbac.actors.bob.grants[0]"),
    ({"roles": {}, "actors": {"bob": {"grants": [{}]}}}, "rbac.actors.bob.grants[0].role: None"),
    (
        {"roles": {"r": {}}, "actors": {"bob": {"grants": [{"role": "r"}, {"role": "s"}]}}},
        "rbac.actors.bob.grants[1].role: 's' is not a declared role",
    ),
    (
        {"roles": {"r": {}}, "actors": {"bob": {"grants": [{"role": ["r"]}]}}},
        "rbac.actors.bob.grants[0].role",
    ),
    (
        {"roles": {"r": {}}, "actors": {"bob": {"grants": [{"role": "r", "repositories": "*"}]}}},
        "rbac.actors.bob.grants[0].repositories",
    ),
    (
        {"roles": {"r": {}}, "actors": {"bob": {"grants": [{"role": "r", "repositories": [""]}]}}},
        "rbac.actors.bob.grants[0].repositories",
    ),
]


@pytest.mark.parametrize(("data", "path"), MALFORMED)
def test_malformed_data_names_the_key_path(data: Any, path: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_rbac(data)
    assert path in raised.value.message


def test_empty_or_missing_sections_are_an_empty_rbac() -> None:
    for data in (None, {}, {"roles": None, "actors": None}):
        loaded = load_rbac(data)
        assert dict(loaded.roles) == {} and dict(loaded.actors) == {}
    loaded = load_rbac({"roles": {"r": None}, "actors": {"bob": None}})
    assert loaded.roles["r"].permissions == () and loaded.actors["bob"].grants == ()


def test_description_is_allowed_on_roles() -> None:
    loaded = load_rbac({"roles": {"r": {"description": "x", "permissions": ["p"]}}})
    assert loaded.roles["r"].permissions == ("p",)


def test_unknown_actor_keys_are_rejected() -> None:
    with pytest.raises(ConfigError, match=r"rbac\.actors\.ci-bot"):
        load_rbac({"roles": {}, "actors": {"ci-bot": {"kinds": "agent"}}})


def test_unknown_grant_keys_are_rejected() -> None:
    data = {
        "roles": {"security": {"permissions": ["policies.approve"]}},
        "actors": {"bob": {"grants": [{"role": "security", "repository": ["shop"]}]}},
    }
    with pytest.raises(ConfigError, match=r"rbac\.actors\.bob\.grants\[0\]"):
        load_rbac(data)
