"""Go: definitions and body facts from tree-sitter-go trees."""

from __future__ import annotations

import re

import tree_sitter_go
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

RULES = TokenRules(
    comment_types=frozenset({"comment"}),
    string_types=frozenset({"interpreted_string_literal", "raw_string_literal"}),
)

_TEST_PREFIXES = ("Test", "Benchmark", "Fuzz", "Example")
_TESTING_TYPES = re.compile(r"^\*?testing\.(T|B|F|TB|M)$")
_TESTING_NAMES = frozenset({"t", "b", "f", "tb"})
_FAIL_METHODS = frozenset({"Error", "Errorf", "Fatal", "Fatalf", "Fail", "FailNow"})
_SKIP_METHODS = frozenset({"Skip", "Skipf", "SkipNow"})
_ASSERT_PACKAGES = frozenset({"assert", "require", "is", "qt"})
_VERSION_ELEMENT = re.compile(r"^v\d+$")
_DOT_VERSION = re.compile(r"\.v\d+$")
_SHELLS = frozenset({"sh", "bash", "/bin/sh", "/bin/bash", "zsh", "/bin/zsh", "cmd", "cmd.exe"})
_LOCK_METHODS = frozenset({"Lock", "Unlock", "RLock", "RUnlock", "TryLock", "TryRLock"})
_CONCURRENCY_TYPES = re.compile(r"^(sync\.\w+|atomic\.\w+|errgroup\.Group|semaphore\.Weighted)$")
_NIL_CHECK = re.compile(r"^!?\(?\s*\w[\w.]*\s*(==|!=)\s*nil\s*\)?$|^nil\s*(==|!=)")
_EQUALITY_CALL = re.compile(r"(DeepEqual|Equal|cmp\.Diff)\b")


class Go:
    """The Go language support."""

    name = "go"
    rules = RULES

    def parser_language(self) -> object:
        """Return the tree-sitter language object."""
        return tree_sitter_go.language()

    def exported(self, definition: Definition) -> bool | None:
        """A Go name is exported when it starts with an upper-case letter."""
        return definition.name[:1].isupper()

    # -- definitions --------------------------------------------------------------------------

    def definitions(self, root: Node, path: str) -> list[Definition]:
        """Extract imports, constants, types, functions, methods, tests and top-level code."""
        in_test_file = path.endswith("_test.go")
        found: list[Definition] = []
        classes: dict[str, Definition] = {}
        for child in root.named_children:
            kind = child.type
            if kind == "comment":
                continue
            if kind == "import_declaration":
                found.extend(_imports(child))
            elif kind == "const_declaration":
                found.extend(_constants(child))
            elif kind == "function_declaration":
                found.append(_function(child, "", in_test_file))
            elif kind == "method_declaration":
                found.append(_function(child, _receiver_type(child), in_test_file))
            elif kind == "type_declaration":
                for item in _types(child):
                    found.append(item)
                    if item.kind == "class":
                        classes[item.name] = item
            else:
                found.append(Definition("statement", "", "", child, RULES))
        for item in found:
            owner = classes.get(item.scope)
            if owner is not None and item.kind in {"function", "test"}:
                owner.members = (*owner.members, item.name)
        return found

    # -- facts --------------------------------------------------------------------------------

    def facts(self, node: Node, is_test: bool) -> Facts:
        """Collect calls, panics, conditions, loops, returns, assertions and markers under node."""
        collector = FactCollector()
        testing_names = set(_TESTING_NAMES) | _testing_params(node)
        asserted: list[tuple[int, int]] = []
        for item in iter_nodes(node):
            kind = item.type
            if kind == "call_expression":
                inside = any(low <= item.start_byte < high for low, high in asserted)
                if not inside and self._call(item, is_test, testing_names, collector):
                    asserted.append((item.start_byte, item.end_byte))
            elif kind == "if_statement":
                condition_node = item.child_by_field_name("condition")
                collector.condition(squash(text(condition_node)), item, condition_node)
                alternative = item.child_by_field_name("alternative")
                if alternative is not None and alternative.type == "block":
                    collector.facts.elses.append(Fact("else", line_of(alternative)))
            elif kind in {"expression_case", "type_case"}:
                field = "value" if kind == "expression_case" else "type"
                values = [squash(text(c)) for c in item.children_by_field_name(field) if c.is_named]
                collector.condition(f"case {', '.join(values)}", item)
            elif kind == "default_case":
                collector.condition("default", item)
            elif kind == "communication_case":
                communication = squash(text(item.child_by_field_name("communication")))
                collector.condition(f"case {communication}", item)
            elif kind == "for_statement":
                clause = _loop_clause(item)
                collector.loop(f"for {squash(text(clause))}".strip(), item, clause)
            elif kind == "return_statement":
                value = item.named_children[0] if item.named_child_count else None
                collector.returned(squash(text(value)), item)
            elif kind == "go_statement":
                collector.concurrency("go", item)
            elif kind == "send_statement":
                collector.concurrency("chan send", item)
            elif kind == "unary_expression" and _operator(item) == "<-":
                collector.concurrency("chan receive", item)
            elif kind == "select_statement":
                collector.concurrency("select", item)
            elif kind == "qualified_type" and _CONCURRENCY_TYPES.match(compact(text(item))):
                collector.concurrency(compact(text(item)), item)
            elif kind == "parameter_declaration":
                _add_testing_param(item, testing_names)
            elif kind == "keyed_element":
                _keyed_element(item, collector)
            elif kind == "assignment_statement":
                left = compact(text(item.child_by_field_name("left")))
                right = compact(text(item.child_by_field_name("right")))
                if left.endswith("InsecureSkipVerify") and right == "true":
                    collector.sensitive(
                        "InsecureSkipVerify", "TLS verification disabled (InsecureSkipVerify)", item
                    )
            elif kind in RULES.string_types:
                literal_secret(item, _string_value(item), _name_context(item), collector)
        return collector.facts

    def _call(
        self, node: Node, is_test: bool, testing_names: set[str], collector: FactCollector
    ) -> bool:
        """Record one call (or assertion, skip, panic); return True for an assertion."""
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None:
            return False
        if function.type == "func_literal":
            return False  # an immediately invoked function literal; its body is visited anyway
        if function.type == "parenthesized_expression" and any(
            c.type == "func_literal" for c in function.named_children
        ):
            return False
        callee = callee_name(text(function))
        args = _args(arguments)
        operand, _, tail = callee.rpartition(".")
        if callee == "panic":
            collector.facts.raises.append(Fact(_panic_key(arguments), line_of(node)))
            return False
        if callee == "recover":
            collector.facts.handlers.append(Fact("recover", line_of(node), "recover()"))
            return False
        if _is_panic_argument(node):
            return False
        if operand in testing_names and tail in _SKIP_METHODS:
            collector.facts.skips.append(Fact(callee, line_of(node), f"{callee}()"))
            return False
        if is_test and operand in testing_names and tail in _FAIL_METHODS:
            guard = _guard(node)
            shown = squash(text(node))
            strength = 2
            if guard is not None:
                shown = f"if {guard} {{ {shown} }}"
                strength = _guard_strength(guard)
            collector.facts.assertions.append(Assertion(shown, strength, line_of(node)))
            return True
        if is_test and _is_assertion_call(operand, tail):
            collector.facts.assertions.append(
                Assertion(
                    squash(text(node)),
                    assertion_strength(tail.removesuffix("f") if tail != "Equalf" else tail, args),
                    line_of(node),
                    _expected_error(tail, args),
                )
            )
            return True
        collector.call(callee, args, node)
        flat = compact(args)
        if tail in _LOCK_METHODS and operand:
            collector.concurrency(tail, node)
        elif callee.startswith("atomic."):
            collector.concurrency(callee, node)
        elif (callee == "make" and flat.startswith("chan")) or callee == "close":
            collector.concurrency(f"{callee}(chan)", node)
        elif (tail == "Go" and operand) or (
            tail == "Wait" and operand.lower().endswith(("wg", "group"))
        ):
            collector.concurrency(tail, node)
        if callee in {"exec.Command", "exec.CommandContext"}:
            _shell_command(node, arguments, callee, collector)
        return False


def _args(arguments: Node | None) -> str:
    """Return an argument list's text without parentheses; closure bodies become ``{…}``."""
    if arguments is None:
        return ""
    raw = arguments.text or b""
    base = arguments.start_byte
    parts: list[bytes] = []
    position = 0
    for item in iter_nodes(arguments, lambda n: n.type == "func_literal"):
        body = item.child_by_field_name("body") if item.type == "func_literal" else None
        if body is not None:
            parts.append(raw[position : body.start_byte - base])
            parts.append("{…}".encode())
            position = body.end_byte - base
    parts.append(raw[position:])
    args = squash(b"".join(parts).decode("utf-8", "replace"))
    if args.startswith("(") and args.endswith(")"):
        args = args[1:-1].strip()
    return args


def _imports(node: Node) -> list[Definition]:
    imports: list[Definition] = []
    for spec in iter_nodes(node):
        if spec.type != "import_spec":
            continue
        path = _string_value(spec.child_by_field_name("path"))
        alias = text(spec.child_by_field_name("name"))
        if alias in {"", "_", "."}:
            bound = _package_name(path) if alias == "" else f"{alias} {path}"
        else:
            bound = alias
        imports.append(Definition("import", bound, "", spec, RULES, value=path))
    return imports


def _package_name(path: str) -> str:
    """Return the package name an import path binds by default (``/v2`` and ``.v3`` dropped)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) > 1 and _VERSION_ELEMENT.match(parts[-1]):
        parts.pop()
    last = parts[-1] if parts else path
    return _DOT_VERSION.sub("", last)


def _constants(node: Node) -> list[Definition]:
    constants: list[Definition] = []
    previous: list[str] = []
    for index, spec in enumerate(c for c in node.named_children if c.type == "const_spec"):
        names = [text(n) for n in spec.children_by_field_name("name") if n.type == "identifier"]
        value_node = spec.child_by_field_name("value")
        values = [squash(text(v)) for v in value_node.named_children] if value_node else []
        if values:
            previous = values
            implicit = ""
        else:
            implicit = f" (#{index})"
        for position, name in enumerate(names):
            if values:
                value = values[position] if position < len(values) else ""
            else:
                value = (previous[position] if position < len(previous) else "") + implicit
            kind_node = spec.child_by_field_name("type")
            if kind_node is not None and values:
                value = f"{squash(text(kind_node))}({value})"
            constants.append(Definition("constant", name, "", spec, RULES, value=value))
    return constants


def _types(node: Node) -> list[Definition]:
    found: list[Definition] = []
    specs = [c for c in node.named_children if c.type in {"type_spec", "type_alias"}]
    for spec in specs:
        name = text(spec.child_by_field_name("name"))
        body = spec.child_by_field_name("type")
        outer = node if len(specs) == 1 else spec
        if body is None or body.type not in {"struct_type", "interface_type"}:
            found.append(Definition("statement", "", "", outer, RULES))
            continue
        bases: list[str] = []
        members: list[str] = []
        if body.type == "struct_type":
            for field in iter_nodes(body):
                if field.type != "field_declaration":
                    continue
                names = field.children_by_field_name("name")
                if names:
                    members.extend(text(n) for n in names)
                else:
                    embedded = squash(text(field))
                    tag = field.child_by_field_name("tag")
                    if tag is not None:
                        embedded = embedded[: -len(squash(text(tag)))].strip()
                    bases.append(embedded)
        else:
            for element in body.named_children:
                if element.type == "method_elem":
                    members.append(text(element.child_by_field_name("name")))
                elif element.type == "type_elem":
                    bases.append(squash(text(element)))
        found.append(
            Definition(
                "class",
                name,
                "",
                outer,
                RULES,
                body=body,
                bases=tuple(bases),
                members=tuple(members),
            )
        )
    return found


def _receiver_type(node: Node) -> str:
    receiver = node.child_by_field_name("receiver")
    for param in receiver.named_children if receiver else []:
        if param.type != "parameter_declaration":
            continue
        kind = param.child_by_field_name("type")
        while kind is not None and kind.type in {
            "pointer_type",
            "generic_type",
            "parenthesized_type",
        }:
            inner = kind.child_by_field_name("type")
            kind = (
                inner
                if inner is not None
                else (kind.named_children[0] if kind.named_child_count else None)
            )
        return text(kind)
    return ""


def _function(node: Node, scope: str, in_test_file: bool) -> Definition:
    name = text(node.child_by_field_name("name"))
    params = _params(node.child_by_field_name("parameters"))
    is_test = in_test_file and not scope and _is_test(name, params)
    receiver = _params(node.child_by_field_name("receiver")) if scope else ()
    return Definition(
        kind="test" if is_test else "function",
        name=name,
        scope=scope,
        node=node,
        rules=RULES,
        body=node.child_by_field_name("body"),
        params=receiver + params,
        return_type=_result_type(node.child_by_field_name("result")),
    )


def _result_type(node: Node | None) -> str:
    """Return a result's types (names dropped): ``(n int, err error)`` becomes ``(int, error)``."""
    if node is None:
        return ""
    if node.type != "parameter_list":
        return squash(text(node))
    types = [p.type for p in _params(node)]
    return types[0] if len(types) == 1 else f"({', '.join(types)})"


def _is_test(name: str, params: tuple[Param, ...]) -> bool:
    if name == "TestMain":
        return False
    for prefix in _TEST_PREFIXES:
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            if rest[:1].islower():
                return False
            if prefix == "Example":
                return not params
            return len(params) == 1 and bool(_TESTING_TYPES.match(compact(params[0].type)))
    return False


def _params(node: Node | None) -> tuple[Param, ...]:
    params: list[Param] = []
    for child in node.named_children if node else []:
        if child.type not in {"parameter_declaration", "variadic_parameter_declaration"}:
            continue
        kind = squash(text(child.child_by_field_name("type")))
        if child.type == "variadic_parameter_declaration":
            kind = "..." + kind
        names = [text(n) for n in child.children_by_field_name("name") if n.is_named]
        for name in names or [""]:
            shown = f"_{len(params)}" if name in {"", "_"} else name
            params.append(Param(shown, kind))
    return tuple(params)


def _testing_params(node: Node) -> set[str]:
    """Names of the *testing.T-like parameters of the function whose body is ``node``."""
    owner = node.parent if node.type == "block" else node
    parameters = owner.child_by_field_name("parameters") if owner is not None else None
    names: set[str] = set()
    for item in parameters.named_children if parameters is not None else []:
        _add_testing_param(item, names)
    return names


def _add_testing_param(item: Node, names: set[str]) -> None:
    if item.type == "parameter_declaration":
        kind = compact(text(item.child_by_field_name("type")))
        if _TESTING_TYPES.match(kind):
            names.update(text(n) for n in item.children_by_field_name("name") if n.is_named)


def _loop_clause(node: Node) -> Node | None:
    return next((c for c in node.named_children if c.type not in {"block", "comment"}), None)


def _operator(node: Node) -> str:
    operator = node.child_by_field_name("operator")
    return text(operator)


def _panic_key(arguments: Node | None) -> str:
    argument = (
        next((c for c in arguments.named_children if c.type != "comment"), None)
        if arguments
        else None
    )
    if argument is None:
        return "panic"
    if argument.type == "call_expression":
        return f"panic({callee_name(text(argument.child_by_field_name('function')))})"
    if argument.type in RULES.string_types:
        return "panic(string)"
    if argument.type in {"identifier", "selector_expression"}:
        return f"panic({compact(text(argument))})"
    if argument.type == "composite_literal":
        return f"panic({compact(text(argument.child_by_field_name('type')))})"
    if argument.type == "unary_expression" and argument.named_child_count:
        inner = argument.child_by_field_name("operand")
        if inner is not None and inner.type == "composite_literal":
            return f"panic(&{compact(text(inner.child_by_field_name('type')))})"
    return "panic(value)"


def _is_panic_argument(node: Node) -> bool:
    parent = node.parent
    if parent is None or parent.type != "argument_list":
        return False
    call = parent.parent
    if call is None or call.type != "call_expression":
        return False
    return compact(text(call.child_by_field_name("function"))) == "panic"


def _guard(node: Node) -> str | None:
    """Return the condition of the ``if`` whose consequence directly holds ``node``."""
    current = node.parent
    while current is not None and current.type in {
        "expression_statement",
        "statement_list",
        "block",
    }:
        parent = current.parent
        if current.type == "block" and parent is not None and parent.type == "if_statement":
            consequence = parent.child_by_field_name("consequence")
            if consequence is not None and consequence.id == current.id:
                return squash(text(parent.child_by_field_name("condition")))
            return f"!({squash(text(parent.child_by_field_name('condition')))})"
        if current.type == "block":
            return None
        current = parent
    return None


def _guard_strength(condition: str) -> int:
    """How much an ``if cond { t.Errorf(...) }`` checks: 3 equality, 2 relation, 1 nil/truth."""
    flat = condition.strip()
    if _NIL_CHECK.search(flat) or re.fullmatch(r"!?\(?[\w.]+\)?", flat):
        return 1
    if _EQUALITY_CALL.search(flat) or re.search(r"[^!=<>]!=[^=]", flat):
        return 3 if "nil" not in flat else 1
    return 2


def _is_assertion_call(operand: str, tail: str) -> bool:
    root = operand.split(".", 1)[0].split("(", 1)[0]
    if root in _ASSERT_PACKAGES:
        return True
    # suite.Require().Equal(...), s.Assert().NoError(...), a := assert.New(t); a.Equal(...)
    return operand.endswith(("Require()", "Assert()")) and bool(tail[:1].isupper())


def _expected_error(tail: str, args: str) -> str:
    if tail in {"ErrorIs", "ErrorAs"}:
        parts = [p.strip() for p in args.split(",")]
        return parts[2] if len(parts) > 2 else ""
    return ""


def _keyed_element(node: Node, collector: FactCollector) -> None:
    children = [c for c in node.named_children if c.type != "comment"]
    if len(children) < 2:
        return
    key, value = compact(text(children[0])), compact(text(children[-1]))
    if key == "InsecureSkipVerify" and value == "true":
        collector.sensitive(
            "InsecureSkipVerify", "TLS verification disabled (InsecureSkipVerify: true)", node
        )


def _shell_command(
    node: Node, arguments: Node | None, callee: str, collector: FactCollector
) -> None:
    values = [
        _string_value(c) if c.type in RULES.string_types else None
        for c in (arguments.named_children if arguments else [])
        if c.type != "comment"
    ]
    if callee == "exec.CommandContext":
        values = values[1:]
    if len(values) >= 2 and values[0] in _SHELLS and values[1] in {"-c", "/c", "/C"}:
        collector.sensitive(
            "exec.Command(sh -c)", f"shell command via `{callee}({values[0]!r}, '-c', ...)`", node
        )


def _string_value(node: Node | None) -> str:
    raw = text(node)
    if len(raw) >= 2 and raw[0] in {'"', "`"} and raw[-1] == raw[0]:
        return raw[1:-1]
    return raw


def _name_context(node: Node) -> str:
    current = node.parent
    previous = node
    while current is not None and current.type in {
        "expression_list",
        "parenthesized_expression",
        "binary_expression",
        "literal_element",
    }:
        previous, current = current, current.parent
    if current is None:
        return ""
    kind = current.type
    if kind in {"const_spec", "var_spec"}:
        return " ".join(text(n) for n in current.children_by_field_name("name"))
    if kind in {"assignment_statement", "short_var_declaration"}:
        return text(current.child_by_field_name("left"))
    if kind == "keyed_element":
        first = current.named_children[0] if current.named_child_count else None
        if first is not None and first.id != previous.id:
            return text(first)
    return ""
