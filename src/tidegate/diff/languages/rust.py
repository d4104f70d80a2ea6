"""Rust: definitions and body facts from tree-sitter-rust trees (attributes are decorators)."""

from __future__ import annotations

import tree_sitter_rust
from tree_sitter import Node

from tidegate.diff.languages.base import FactCollector, literal_secret
from tidegate.diff.syntax import (
    Assertion,
    Definition,
    Fact,
    Facts,
    Param,
    TokenRules,
    assertion_strength,
    callee_name,
    compact,
    iter_nodes,
    line_of,
    squash,
    text,
)

# char_literal is left out of string_types on purpose: normalize_string would make 'a' (a char)
# and "a" (a &str) the same token. A char literal is a single leaf token anyway.
RULES = TokenRules(
    comment_types=frozenset({"line_comment", "block_comment"}),
    string_types=frozenset({"string_literal", "raw_string_literal"}),
)

_TEST_ATTRIBUTES = frozenset(
    {
        "test",
        "tokio::test",
        "async_std::test",
        "actix_rt::test",
        "actix_web::test",
        "sqlx::test",
        "rstest",
        "test_case",
        "wasm_bindgen_test",
        "quickcheck",
        "proptest",
    }
)
_CLASS_ITEMS = frozenset({"struct_item", "enum_item", "union_item", "trait_item"})
_FUNCTION_ITEMS = frozenset({"function_item", "function_signature_item"})
_COMMENTS = RULES.comment_types
# Assertion macros and the method name assertion_strength knows them by.
_ASSERT_MACROS = {
    "assert": "assert!",
    "debug_assert": "assert!",
    "assert_eq": "assert_eq",
    "debug_assert_eq": "assert_eq",
    "assert_ne": "assert_ne",
    "debug_assert_ne": "assert_ne",
    "assert_matches": "assert_eq",
    "debug_assert_matches": "assert_eq",
}
_PANIC_MACROS = frozenset({"panic", "unreachable", "todo", "unimplemented"})
_CONCURRENCY_MACROS = frozenset({"join", "try_join", "select", "select_biased"})
_SPAWNS = frozenset({"spawn", "spawn_blocking", "spawn_local", "block_on"})
_SYNC_TYPES = frozenset(
    {"Mutex", "RwLock", "Condvar", "Semaphore", "Barrier", "Notify", "OnceLock", "Once"}
)
_LOCK_METHODS = frozenset({"lock", "try_lock", "blocking_lock"})
_CHANNELS = frozenset({"channel", "sync_channel", "unbounded_channel", "unbounded", "bounded"})
_SHELLS = frozenset({"sh", "bash", "zsh", "/bin/sh", "/bin/bash", "/usr/bin/env", "cmd", "cmd.exe"})
_TLS_DANGER = frozenset({"danger_accept_invalid_certs", "danger_accept_invalid_hostnames"})
_NAME_HOLDERS = frozenset(
    {
        "call_expression",
        "arguments",
        "field_expression",
        "reference_expression",
        "token_tree",
        "macro_invocation",
        "try_expression",
        "parenthesized_expression",
    }
)


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


def _attribute_text(node: Node) -> str:
    """Return an attribute item's text without ``#[`` and ``]``."""
    inner = next((c for c in node.named_children if c.type == "attribute"), None)
    return squash(text(inner)) if inner is not None else squash(text(node))


def _attribute_path(attribute: str) -> str:
    return compact(attribute.split("(", 1)[0].split("=", 1)[0])


def _type_name(node: Node | None) -> str:
    """Return the bare name of a type (``Foo`` for ``Foo<T>``, ``&mut Foo`` or ``a::Foo``)."""
    while node is not None:
        if node.type in {"generic_type", "reference_type", "pointer_type"}:
            node = node.child_by_field_name("type")
        elif node.type == "scoped_type_identifier":
            node = node.child_by_field_name("name")
        else:
            return squash(text(node))
    return ""


class Rust:
    """The Rust language support."""

    name = "rust"
    rules = RULES

    def parser_language(self) -> object:
        """Return the tree-sitter language object."""
        return tree_sitter_rust.language()

    def exported(self, definition: Definition) -> bool | None:
        """A Rust item is visible outside its module when it is ``pub``."""
        return definition.visibility.startswith("pub")

    # -- definitions --------------------------------------------------------------------------

    def definitions(self, root: Node, path: str) -> list[Definition]:
        """Extract uses, constants, types, functions, tests and top-level statements."""
        found: list[Definition] = []
        impls: list[tuple[str, str]] = []
        self._block(root, "", found, impls)
        classes = {d.qualname: d for d in found if d.kind == "class"}
        for type_name, trait in impls:
            owner = classes.get(type_name)
            if owner is not None and trait not in owner.bases:
                owner.bases = (*owner.bases, trait)
        return found

    def _block(
        self, block: Node, scope: str, found: list[Definition], impls: list[tuple[str, str]]
    ) -> None:
        attributes: list[Node] = []
        for child in block.named_children:
            kind = child.type
            if kind == "attribute_item":
                attributes.append(child)
                continue
            if kind in _COMMENTS:
                continue
            attrs = tuple(attributes)
            attributes = []
            if kind in _FUNCTION_ITEMS:
                found.append(self._function(child, scope, attrs))
            elif kind in _CLASS_ITEMS:
                found.append(self._class(child, scope, attrs, found, impls))
            elif kind == "impl_item":
                self._impl(child, scope, found, impls)  # its attributes are dropped
            elif kind == "mod_item" and child.child_by_field_name("body") is not None:
                # The module's attributes (#[cfg(test)]) are dropped: a new test module is its
                # tests, not also a top-level change.
                name = text(child.child_by_field_name("name"))
                body = child.child_by_field_name("body")
                assert body is not None
                self._block(body, _join(scope, name), found, impls)
            elif kind == "use_declaration":
                found.extend(self._uses(child, scope, attrs))
            elif kind == "extern_crate_declaration":
                crate = text(child.child_by_field_name("name"))
                alias = text(child.child_by_field_name("alias")) or crate
                found.append(
                    Definition("import", alias, scope, child, RULES, value=crate, prefix=attrs)
                )
            elif kind in {"const_item", "static_item"}:
                found.append(
                    Definition(
                        "constant",
                        text(child.child_by_field_name("name")),
                        scope,
                        child,
                        RULES,
                        value=squash(text(child.child_by_field_name("value"))),
                        visibility=_visibility(child),
                        prefix=attrs,
                        start=line_of(attrs[0]) if attrs else 0,
                    )
                )
            else:
                found.append(self._statement(child, scope, attrs))
        found.extend(self._statement(a, scope) for a in attributes)

    @staticmethod
    def _statement(node: Node, scope: str, attrs: tuple[Node, ...] = ()) -> Definition:
        return Definition(
            "statement",
            "",
            scope,
            node,
            RULES,
            prefix=attrs,
            start=line_of(attrs[0]) if attrs else 0,
        )

    def _function(self, node: Node, scope: str, attrs: tuple[Node, ...]) -> Definition:
        texts = [_attribute_text(a) for a in attrs]
        paths = [_attribute_path(t) for t in texts]
        is_test = any(p in _TEST_ATTRIBUTES for p in paths)
        skipped = "ignore" in paths
        decorators = tuple(
            t
            for t, p in zip(texts, paths, strict=True)
            if p not in _TEST_ATTRIBUTES and p != "ignore"
        )
        modifiers = next((c for c in node.children if c.type == "function_modifiers"), None)
        body = node.child_by_field_name("body")
        return Definition(
            kind="test" if is_test else "function",
            name=text(node.child_by_field_name("name")),
            scope=scope,
            node=node,
            rules=RULES,
            body=body,
            params=_params(node.child_by_field_name("parameters")),
            return_type=squash(text(node.child_by_field_name("return_type"))),
            decorators=decorators,
            visibility=_visibility(node),
            concurrency="async"
            if modifiers is not None and any(c.type == "async" for c in modifiers.children)
            else "",
            skipped=skipped,
            prefix=attrs,
            bodiless=body is None,
            start=line_of(attrs[0]) if attrs else 0,
        )

    def _class(
        self,
        node: Node,
        scope: str,
        attrs: tuple[Node, ...],
        found: list[Definition],
        impls: list[tuple[str, str]],
    ) -> Definition:
        name = text(node.child_by_field_name("name"))
        qualname = _join(scope, name)
        body = node.child_by_field_name("body")
        bases: tuple[str, ...] = ()
        members: tuple[str, ...] = ()
        if node.type == "trait_item":
            bounds = node.child_by_field_name("bounds")
            bases = tuple(
                squash(text(b))
                for b in (bounds.named_children if bounds else [])
                if b.type not in _COMMENTS
            )
            start = len(found)
            if body is not None:
                self._block(body, qualname, found, impls)
            members = tuple(d.name for d in found[start:] if d.scope == qualname and d.name)
        elif body is not None:
            members = tuple(
                text(c.child_by_field_name("name"))
                for c in body.named_children
                if c.type in {"field_declaration", "enum_variant"}
                and c.child_by_field_name("name") is not None
            ) or tuple(squash(text(c)) for c in body.named_children if c.type not in _COMMENTS)
        return Definition(
            kind="class",
            name=name,
            scope=scope,
            node=node,
            rules=RULES,
            body=body,
            bases=bases,
            decorators=tuple(_attribute_text(a) for a in attrs),
            visibility=_visibility(node),
            members=members,
            prefix=attrs,
            start=line_of(attrs[0]) if attrs else 0,
        )

    def _impl(
        self,
        node: Node,
        scope: str,
        found: list[Definition],
        impls: list[tuple[str, str]],
    ) -> None:
        type_name = _type_name(node.child_by_field_name("type"))
        trait = node.child_by_field_name("trait")
        if trait is not None:
            impls.append((_join(scope, type_name), squash(text(trait))))
        body = node.child_by_field_name("body")
        if body is not None:
            self._block(body, _join(scope, type_name), found, impls)

    def _uses(self, node: Node, scope: str, attrs: tuple[Node, ...]) -> list[Definition]:
        bindings: list[tuple[str, str]] = []
        argument = node.child_by_field_name("argument")
        if argument is not None:
            _use_bindings(argument, "", bindings)
        return [
            Definition("import", bound, scope, node, RULES, value=value, prefix=attrs)
            for bound, value in bindings
        ]

    # -- facts --------------------------------------------------------------------------------

    def facts(self, node: Node, is_test: bool) -> Facts:
        """Collect calls, panics, conditions, loops, returns, assertions and markers under node."""
        collector = FactCollector()
        for item in iter_nodes(node):
            kind = item.type
            if kind == "call_expression":
                self._call(item, collector)
            elif kind == "macro_invocation":
                self._macro(item, is_test, collector)
            elif kind == "if_expression":
                collector.condition(squash(text(item.child_by_field_name("condition"))), item)
            elif kind == "else_clause":
                if not any(c.type == "if_expression" for c in item.named_children):
                    collector.facts.elses.append(Fact("else", line_of(item)))
            elif kind == "match_arm":
                pattern = squash(text(item.child_by_field_name("pattern")))
                collector.condition(f"case {pattern}", item)
            elif kind == "for_expression":
                header = (
                    f"for {squash(text(item.child_by_field_name('pattern')))} in "
                    f"{squash(text(item.child_by_field_name('value')))}"
                )
                collector.loop(header, item)
            elif kind == "while_expression":
                collector.loop(f"while {squash(text(item.child_by_field_name('condition')))}", item)
            elif kind == "loop_expression":
                collector.loop("loop", item)
            elif kind == "return_expression":
                value = item.named_children[0] if item.named_child_count else None
                collector.returned(squash(text(value)), item)
            elif kind == "await_expression":
                collector.concurrency("await", item)
            elif kind == "async_block":
                collector.concurrency("async", item)
            elif kind in {"string_literal", "raw_string_literal"}:
                content = "".join(
                    text(c) for c in item.named_children if c.type == "string_content"
                )
                literal_secret(item, content, _name_context(item), collector)
        return collector.facts

    def _call(self, node: Node, collector: FactCollector) -> None:
        callee = _callee(node.child_by_field_name("function"))
        tail = callee.rsplit("::", 1)[-1].rsplit(".", 1)[-1]
        if tail[:1].isupper():
            return  # a tuple struct or enum variant (Some, Ok, Err, Error::Io), not a call
        args = squash(text(node.child_by_field_name("arguments")))
        if args.startswith("(") and args.endswith(")"):
            args = args[1:-1].strip()
        collector.call(callee, args, node)
        segments = callee.replace(".", "::").split("::")
        owner = segments[-2] if len(segments) > 1 else ""
        if tail in _SPAWNS:
            collector.concurrency(tail, node)
        elif tail in _LOCK_METHODS and "." in callee:
            collector.concurrency("lock", node)
        elif owner in _SYNC_TYPES or owner.startswith("Atomic"):
            collector.concurrency(owner, node)
        elif tail in _CHANNELS and owner in {"mpsc", "oneshot", "broadcast", "watch", "channel"}:
            collector.concurrency("channel", node)
        if tail in _TLS_DANGER and compact(args) == "true":
            collector.sensitive(tail, f"TLS verification disabled via `{tail}(true)`", node)
        elif callee.endswith("Command::new") and _shell_with_c(node, args):
            collector.sensitive(
                "Command::new(sh -c)", f"shell command via `Command::new({args})` with -c", node
            )

    def _macro(self, node: Node, is_test: bool, collector: FactCollector) -> None:
        name = compact(text(node.child_by_field_name("macro")))
        tail = name.rsplit("::", 1)[-1]
        tree = next((c for c in node.named_children if c.type == "token_tree"), None)
        args = squash(text(tree))[1:-1].strip() if tree is not None else ""
        if tail in _ASSERT_MACROS and is_test:
            method = _ASSERT_MACROS[tail]
            collector.facts.assertions.append(
                Assertion(squash(text(node)), assertion_strength(method, args), line_of(node))
            )
        elif tail in _PANIC_MACROS:
            collector.facts.raises.append(Fact(f"{tail}!", line_of(node), args))
        else:
            collector.call(f"{name}!", args, node)
            if tail in _CONCURRENCY_MACROS:
                collector.concurrency(f"{tail}!", node)
            if tree is not None:
                _token_tree_calls(tree, collector)


def _visibility(node: Node) -> str:
    modifier = next((c for c in node.children if c.type == "visibility_modifier"), None)
    return compact(text(modifier)) if modifier is not None else ""


def _params(node: Node | None) -> tuple[Param, ...]:
    params: list[Param] = []
    for child in node.named_children if node else []:
        if child.type == "self_parameter":
            params.append(Param("self", squash(text(child))))
        elif child.type == "parameter":
            params.append(
                Param(
                    squash(text(child.child_by_field_name("pattern"))),
                    squash(text(child.child_by_field_name("type"))),
                )
            )
        elif child.type == "variadic_parameter":
            params.append(Param("...", squash(text(child))))
        elif child.type not in {"attribute_item", *_COMMENTS}:
            params.append(Param(squash(text(child)), squash(text(child))))
    return tuple(params)


def _use_bindings(node: Node, prefix: str, out: list[tuple[str, str]]) -> None:
    """Collect (bound name, full path) pairs of a ``use`` tree."""

    def full(path: str) -> str:
        return f"{prefix}::{path}" if prefix and path else prefix or path

    kind = node.type
    if kind == "use_as_clause":
        path = compact(text(node.child_by_field_name("path")))
        out.append((text(node.child_by_field_name("alias")), full(path)))
    elif kind == "use_wildcard":
        path = compact(text(node)).removesuffix("::*").removesuffix("*")
        out.append((f"{full(path)}::*", f"{full(path)}::*"))
    elif kind == "scoped_use_list":
        path = compact(text(node.child_by_field_name("path")))
        inner = node.child_by_field_name("list")
        if inner is not None:
            _use_bindings(inner, full(path), out)
    elif kind == "use_list":
        for child in node.named_children:
            if child.type not in _COMMENTS:
                _use_bindings(child, prefix, out)
    elif kind == "self":
        out.append((prefix.rsplit("::", 1)[-1], prefix))
    else:
        path = compact(text(node))
        out.append((path.rsplit("::", 1)[-1], full(path)))


def _token_tree_calls(tree: Node, collector: FactCollector) -> None:
    """Record calls written inside a macro's token tree (``foo(x)``, ``a::b(x)``, ``x.f()``)."""
    for inner in iter_nodes(tree):
        if inner.type != "token_tree" or not text(inner).startswith("("):
            continue
        previous = inner.prev_sibling
        if previous is None or previous.type not in {"identifier", "self"}:
            continue
        parts = [text(previous)]
        cursor = previous.prev_sibling
        while cursor is not None and cursor.type in {"::", "."}:
            before = cursor.prev_sibling
            if before is None or before.type not in {"identifier", "self", "super", "crate"}:
                break
            parts[:0] = [text(before), text(cursor)]
            cursor = before.prev_sibling
        if cursor is not None and cursor.type in {"fn", "!"}:
            continue
        callee = "".join(parts)
        if callee.rsplit("::", 1)[-1].rsplit(".", 1)[-1][:1].isupper():
            continue
        collector.call(callee, squash(text(inner))[1:-1].strip(), inner)


def _callee(function: Node | None) -> str:
    """Return a callee; a long method chain keeps its first call and last method only.

    ``Client::builder().timeout(t).build()`` is ``Client::builder().build``, so a link added
    in the middle of a builder chain is a new call, not a change of every later callee.
    """
    if function is None or function.type != "field_expression":
        return callee_name(text(function))
    method = text(function.child_by_field_name("field"))
    receiver = function.child_by_field_name("value")
    first: Node | None = None
    while receiver is not None:
        if receiver.type in {"try_expression", "await_expression", "parenthesized_expression"}:
            receiver = receiver.named_children[0] if receiver.named_child_count else None
        elif receiver.type == "call_expression":
            first = receiver
            receiver = receiver.child_by_field_name("function")
        elif receiver.type == "field_expression":
            receiver = receiver.child_by_field_name("value")
        else:
            break
    if first is None:
        return callee_name(text(function))
    return f"{callee_name(text(first.child_by_field_name('function')))}().{method}"


def _string_value(args: str) -> str:
    value = args.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return ""


def _shell_with_c(node: Node, args: str) -> bool:
    """Whether ``Command::new(args)`` starts a shell that is given ``-c`` in its chain or block."""
    if _string_value(args) not in _SHELLS:
        return False
    return '"-c"' in text(_chain_top(node)) or '"-c"' in text(_enclosing_block(node))


def _chain_top(node: Node) -> Node:
    """Return the outermost expression of a method chain (``Command::new(..).arg(..).spawn()``)."""
    current = node
    while current.parent is not None and current.parent.type in {
        "field_expression",
        "call_expression",
        "try_expression",
        "await_expression",
    }:
        current = current.parent
    return current


def _enclosing_block(node: Node) -> Node:
    current = node
    while current.parent is not None and current.type != "block":
        current = current.parent
    return current


def _name_context(node: Node) -> str:
    """Return the name a string literal is bound to (let, const, static, field or assignment)."""
    parent = node.parent
    for _ in range(6):
        if parent is None:
            return ""
        kind = parent.type
        if kind == "let_declaration":
            return text(parent.child_by_field_name("pattern"))
        if kind in {"const_item", "static_item"}:
            return text(parent.child_by_field_name("name"))
        if kind == "field_initializer":
            return text(parent.child_by_field_name("field"))
        if kind in {"assignment_expression", "compound_assignment_expr"}:
            return text(parent.child_by_field_name("left"))
        if kind not in _NAME_HOLDERS:
            return ""
        parent = parent.parent
    return ""
