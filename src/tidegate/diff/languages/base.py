"""Helpers every language module uses to collect body facts."""

from __future__ import annotations

from typing import Protocol

from tree_sitter import Node

from tidegate.diff.syntax import Call, Definition, Fact, Facts, TokenRules, compact, line_of
from tidegate.secrets import credential_kinds


class LanguageSupport(Protocol):
    """One language: its grammar, token rules, definitions and body facts."""

    name: str
    rules: TokenRules

    def parser_language(self) -> object:
        """Return the tree-sitter language capsule from the grammar wheel."""

    def definitions(self, root: Node, path: str) -> list[Definition]:
        """Extract the file's definitions (and top-level statements)."""

    def facts(self, node: Node, is_test: bool) -> Facts:
        """Collect body facts under ``node``."""

    def exported(self, definition: Definition) -> bool | None:
        """Whether a name is visible outside its module (None when the language has no rule)."""


class FactCollector:
    """Accumulates facts with the small normalizations every language shares."""

    def __init__(self) -> None:
        self.facts = Facts()
        self._headers: list[tuple[int, int]] = []

    def header(self, *nodes: Node | None) -> None:
        """Mark condition or loop-header nodes: changes of calls inside them are theirs."""
        for node in nodes:
            if node is not None:
                self._headers.append((node.start_byte, node.end_byte))

    def in_header(self, node: Node) -> bool:
        """Return whether ``node`` lies inside a marked condition or loop header."""
        start = node.start_byte
        return any(low <= start < high for low, high in self._headers)

    def call(self, callee: str, args: str, node: Node) -> None:
        """Record a call site (flagged when it sits in a condition or loop header)."""
        self.facts.calls.append(Call(callee, args, line_of(node), self.in_header(node)))

    def condition(self, condition: str, node: Node, header: Node | None = None) -> None:
        """Record a branch condition; ``header`` is the condition expression's node."""
        self.header(header)
        self.facts.conditions.append(Fact(compact(condition), line_of(node), condition))

    def loop(self, header: str, node: Node, *parts: Node | None) -> None:
        """Record a loop by its header (``for x in y``, ``while cond``); ``parts`` are its nodes."""
        self.header(*parts)
        self.facts.loops.append(Fact(compact(header), line_of(node), header))

    def returned(self, value: str, node: Node) -> None:
        """Record a return statement's value."""
        self.facts.returns.append(Fact(compact(value), line_of(node), value))

    def concurrency(self, marker: str, node: Node) -> None:
        """Record a concurrency construct."""
        self.facts.concurrency.append(Fact(marker, line_of(node)))

    def sensitive(self, marker: str, description: str, node: Node) -> None:
        """Record a security-sensitive construct."""
        self.facts.sensitive.append(Fact(marker, line_of(node), description))


def literal_secret(node: Node, value: str, name: str, collector: FactCollector) -> None:
    """Record a string literal that looks like a credential (by format or by its name)."""
    if len(value) < 8:
        return
    for detector in credential_kinds(name, value):
        collector.facts.secrets.append(Fact(f"{detector}:{value}", line_of(node), detector))
