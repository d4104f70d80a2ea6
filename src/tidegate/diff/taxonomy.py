"""The change-kind taxonomy: stable dotted ids, their default significance and meaning."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Significance(IntEnum):
    """How much a change can alter behaviour, after ChangeDistiller's scheme (ordered)."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRUCIAL = 4

    @property
    def label(self) -> str:
        """The lower-case name used in JSON and text output."""
        return self.name.lower()

    @classmethod
    def parse(cls, label: str) -> Significance:
        """Return the significance named by ``label`` (``none`` .. ``crucial``)."""
        return cls[label.upper()]


@dataclass(frozen=True)
class Kind:
    """One change kind: its id, default significance, group and a one-line meaning."""

    id: str
    significance: Significance
    summary: str

    @property
    def group(self) -> str:
        """The first dotted component (``function`` for ``function.param.added``)."""
        return self.id.split(".", 1)[0]


N, L, M, H, C = (
    Significance.NONE,
    Significance.LOW,
    Significance.MEDIUM,
    Significance.HIGH,
    Significance.CRUCIAL,
)

_KINDS: tuple[Kind, ...] = (
    # whole files and confidence
    Kind("file.added", L, "a new file"),
    Kind("file.removed", M, "a file was deleted"),
    Kind("file.renamed", L, "a file was renamed or moved (content changes are reported as well)"),
    Kind("file.binary", M, "a binary file changed; its content was not analysed"),
    Kind("file.too_large", M, "a file over the size limit changed; its content was not analysed"),
    Kind("parse.failed", H, "a source file does not parse (syntax errors); not analysed"),
    Kind("language.unsupported", M, "a file in a language without a grammar; not analysed"),
    # definitions
    Kind("function.added", L, "a new function or method"),
    Kind("function.removed", M, "a function or method was deleted"),
    Kind("function.renamed", M, "a function or method was renamed (same body, new name)"),
    Kind("function.moved", L, "a function or method moved to another class, scope or file"),
    Kind(
        "function.body_changed",
        L,
        "the body changed in a way no more specific kind describes",
    ),
    Kind("function.param.added", M, "a parameter was added"),
    Kind("function.param.removed", H, "a parameter was removed"),
    Kind("function.param.renamed", M, "a parameter was renamed in place"),
    Kind("function.param.reordered", H, "the same parameters in a different order"),
    Kind("function.param.default_changed", H, "a parameter's default value changed"),
    Kind("function.param.type_changed", M, "a parameter's declared type changed"),
    Kind("function.return_type_changed", M, "the declared return type changed"),
    Kind("function.decorator.added", M, "a decorator or annotation was added"),
    Kind("function.decorator.removed", M, "a decorator or annotation was removed"),
    Kind("function.visibility_changed", M, "public/private/protected/export/pub changed"),
    Kind("class.added", L, "a new class, struct, interface, trait or enum"),
    Kind("class.removed", M, "a class, struct, interface, trait or enum was deleted"),
    Kind("class.renamed", M, "a class was renamed (same members, new name)"),
    Kind("class.base_changed", H, "base classes, extends or implements changed"),
    Kind("constant.added", L, "a new module-level constant"),
    Kind("constant.removed", L, "a module-level constant was deleted"),
    Kind("constant.changed", M, "a module-level constant's value changed"),
    Kind("module.body_changed", L, "top-level code outside any definition changed"),
    # exceptions
    Kind("exception.raise_added", M, "a new raise/throw/panic"),
    Kind("exception.raise_removed", M, "a raise/throw/panic was removed"),
    Kind("exception.raise_type_changed", H, "a raise now raises a different exception type"),
    Kind("exception.handler_added", M, "a new except/catch handler"),
    Kind("exception.handler_removed", H, "an except/catch handler was removed"),
    Kind("exception.handler_changed", H, "a handler now catches different exception types"),
    # control flow
    Kind("condition.changed", H, "an if/elif/ternary/case condition expression changed"),
    Kind("condition.branch_added", M, "a new if/elif/else/case branch"),
    Kind("condition.branch_removed", M, "an if/elif/else/case branch was removed"),
    Kind("loop.added", M, "a new for/while/loop"),
    Kind("loop.removed", M, "a loop was removed"),
    Kind("loop.condition_changed", H, "a loop's condition or iteration header changed"),
    Kind("return.value_changed", M, "a returned expression changed"),
    # calls and imports
    Kind("call.added", L, "a call to a callee not called there before"),
    Kind("call.removed", L, "a call was removed"),
    Kind("call.replaced", M, "a call site now calls a different callee"),
    Kind("call.args_changed", L, "a call keeps its callee but its arguments changed"),
    Kind("import.added", L, "a new import / use / include"),
    Kind("import.removed", L, "an import was removed"),
    Kind("import.replaced", M, "a name is now imported from a different module"),
    Kind("concurrency.changed", H, "async/await, locks, threads, goroutines or channels changed"),
    # tests
    Kind("test.added", L, "a new test"),
    Kind("test.removed", H, "a test was deleted"),
    Kind("test.assertion_removed", H, "an assertion was removed from a test"),
    Kind("test.assertion_weakened", H, "an assertion now checks less than before"),
    Kind("test.skip_added", H, "a test is now skipped or disabled"),
    # configuration and dependencies
    Kind("config.key_added", L, "a key was added to a JSON/YAML/TOML file"),
    Kind("config.key_removed", M, "a key was removed from a JSON/YAML/TOML file"),
    Kind("config.key_changed", M, "a key's value changed in a JSON/YAML/TOML file"),
    Kind("dependency.added", M, "a new dependency in a manifest"),
    Kind("dependency.removed", L, "a dependency was removed from a manifest"),
    Kind("dependency.version_changed", M, "a dependency's version constraint changed"),
    # no semantic change
    Kind("docs.only", N, "only comments, docstrings or documentation files changed"),
    Kind("formatting.only", N, "only whitespace, layout or equivalent quoting changed"),
    # risk markers
    Kind(
        "security.sensitive_call",
        C,
        "eval/exec, a shell, unsafe deserialization or disabled TLS verification was introduced",
    ),
    Kind("secret.added", C, "a credential-looking literal was added"),
)

KINDS: dict[str, Kind] = {kind.id: kind for kind in _KINDS}


def kind(kind_id: str) -> Kind:
    """Return the kind with id ``kind_id``; raise KeyError for an unknown id."""
    return KINDS[kind_id]
