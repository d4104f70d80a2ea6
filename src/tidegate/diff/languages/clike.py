"""C and C++: definitions and body facts from tree-sitter-c and tree-sitter-cpp trees."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import tree_sitter_c
import tree_sitter_cpp
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
# and "a" (a string) the same token; its quote and character leaves stay distinct tokens.
RULES = TokenRules(
    comment_types=frozenset({"comment"}),
    string_types=frozenset({"string_literal", "raw_string_literal", "system_lib_string"}),
)

_CLASS_SPECIFIERS = frozenset(
    {"struct_specifier", "class_specifier", "union_specifier", "enum_specifier"}
)
_PREPROC_BLOCKS = frozenset(
    {"preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "preproc_elifdef"}
)
_DECLARATOR_WRAPPERS = frozenset(
    {
        "pointer_declarator",
        "reference_declarator",
        "array_declarator",
        "parenthesized_declarator",
        "init_declarator",
        "attributed_declarator",
        "function_declarator",
    }
)
_NAME_TYPES = frozenset(
    {
        "identifier",
        "field_identifier",
        "type_identifier",
        "qualified_identifier",
        "destructor_name",
        "operator_name",
        "template_function",
        "operator_cast",
    }
)
_SENSITIVE = frozenset(
    {
        "system",
        "_wsystem",
        "popen",
        "_popen",
        "execl",
        "execlp",
        "execle",
        "execv",
        "execvp",
        "execve",
        "execvpe",
        "gets",
    }
)
_THREAD_CALLS = frozenset({"thread", "jthread", "async"})
_LOCK_METHODS = frozenset({"lock", "unlock", "try_lock", "lock_shared", "unlock_shared"})
_C_THREADS = frozenset(
    {"thrd_create", "thrd_join", "mtx_lock", "mtx_unlock", "mtx_init", "cnd_wait", "cnd_signal"}
)
_SYNC_WORDS = (
    "lock_guard",
    "unique_lock",
    "scoped_lock",
    "shared_lock",
    "shared_mutex",
    "recursive_mutex",
    "timed_mutex",
    "mutex",
    "condition_variable",
    "jthread",
    "thread",
    "atomic",
    "future",
    "promise",
    "pthread_t",
    "pthread_mutex_t",
)
_STRING_HOLDERS = frozenset(
    {"concatenated_string", "parenthesized_expression", "cast_expression", "pointer_expression"}
)
_GTEST_ASSERTION = re.compile(r"^(?:ASSERT|EXPECT)_[A-Z_]+$")
_TEST_MACROS = frozenset({"TEST", "TEST_F", "TEST_P", "TYPED_TEST", "TYPED_TEST_P"})


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


def _strip_parens(value: str) -> str:
    value = squash(value)
    if value.startswith("(") and value.endswith(")"):
        return value[1:-1].strip()
    return value


def _unwrap(declarator: Node | None) -> Node | None:
    """Follow a declarator chain (pointers, references, arrays, functions) to the declared name."""
    node = declarator
    while node is not None and node.type in _DECLARATOR_WRAPPERS:
        inner = node.child_by_field_name("declarator")
        if inner is None:
            inner = next(
                (c for c in node.named_children if c.type in _DECLARATOR_WRAPPERS | _NAME_TYPES),
                None,
            )
        node = inner
    return node


def _function_declarator(declarator: Node | None) -> Node | None:
    node = declarator
    while node is not None and node.type != "function_declarator":
        if node.type not in _DECLARATOR_WRAPPERS:
            return None
        inner = node.child_by_field_name("declarator")
        if inner is None:
            inner = next((c for c in node.named_children if c.type in _DECLARATOR_WRAPPERS), None)
        node = inner
    return node


def _without(outer: Node, inner: Node | None) -> str:
    """Return the text of ``outer`` with ``inner``'s text cut out, whitespace removed."""
    raw = outer.text or b""
    if inner is None:
        return compact(raw.decode("utf-8", "replace"))
    start = inner.start_byte - outer.start_byte
    end = inner.end_byte - outer.start_byte
    return compact((raw[:start] + raw[end:]).decode("utf-8", "replace"))


def _base_type(node: Node) -> str:
    """Return the qualified base type of a declaration (``const char``, ``std::string``)."""
    parts = [
        text(c)
        for c in node.children
        if c.type in {"type_qualifier", "sized_type_specifier"}
        or node.field_name_for_child(_child_index(node, c)) == "type"
    ]
    return squash(" ".join(parts))


def _child_index(parent: Node, child: Node) -> int:
    for index, candidate in enumerate(parent.children):
        if candidate.id == child.id:
            return index
    return -1


def _scoped_name(node: Node | None) -> tuple[list[str], str]:
    """Split a (possibly qualified) declarator name into its scope parts and the bare name."""
    scope: list[str] = []
    while node is not None and node.type == "qualified_identifier":
        part = node.child_by_field_name("scope")
        if part is not None:
            if part.type == "template_type":
                part = part.child_by_field_name("name")
            if part is not None and text(part):
                scope.append(squash(text(part)))
        node = node.child_by_field_name("name")
    if node is not None and node.type == "template_function":
        node = node.child_by_field_name("name")
    return scope, squash(text(node))


class _Extractor:
    """One file's walk for definitions (the dialect; whether the file is in a tests folder)."""

    def __init__(self, cpp: bool, in_tests: bool) -> None:
        self.cpp = cpp
        self.in_tests = in_tests

    def block(self, block: Node, scope: str, found: list[Definition], access: str | None) -> None:
        """Walk a translation unit, namespace, linkage, class body or preprocessor block."""
        skip: set[int] = set()
        if block.type in _PREPROC_BLOCKS:
            for field in ("name", "condition"):
                guard = block.child_by_field_name(field)
                if guard is not None:
                    skip.add(guard.id)
        for child in block.named_children:
            kind = child.type
            if kind == "comment" or child.id in skip:
                continue
            if kind == "access_specifier":
                access = squash(text(child)).rstrip(":").strip()
            elif kind in _PREPROC_BLOCKS:
                self.block(child, scope, found, access)
            else:
                self._item(child, child, scope, found, access)

    def _item(
        self, outer: Node, node: Node, scope: str, found: list[Definition], access: str | None
    ) -> None:
        kind = node.type
        if kind == "template_declaration":
            inner = next(
                (
                    c
                    for c in node.named_children
                    if c.type
                    in {
                        "function_definition",
                        "declaration",
                        "field_declaration",
                        *_CLASS_SPECIFIERS,
                    }
                ),
                None,
            )
            if inner is not None:
                self._item(outer, inner, scope, found, access)
                return
        elif kind == "function_definition":
            found.append(self._function(outer, node, scope, access))
            return
        elif (
            kind in _CLASS_SPECIFIERS
            and node.child_by_field_name("body") is not None
            and node.child_by_field_name("name") is not None
        ):
            found.append(self._class(outer, node, scope, found))
            return
        elif kind in {"type_definition", "declaration", "field_declaration"}:
            specifier = node.child_by_field_name("type")
            if (
                specifier is not None
                and specifier.type in _CLASS_SPECIFIERS
                and specifier.child_by_field_name("body") is not None
            ):
                alias = _unwrap(node.child_by_field_name("declarator"))
                name = text(alias) if kind == "type_definition" and alias is not None else ""
                if name or text(specifier.child_by_field_name("name")):
                    found.append(self._class(outer, specifier, scope, found, name))
                    return
            if kind != "type_definition" and self._constants(outer, node, scope, found, access):
                return
        elif kind == "namespace_definition":
            body = node.child_by_field_name("body")
            name = text(node.child_by_field_name("name")).replace("::", ".")
            if body is not None:
                self.block(body, _join(scope, compact(name)), found, None)
                return
        elif kind == "linkage_specification":
            body = node.child_by_field_name("body")
            if body is not None and body.type == "declaration_list":
                self.block(body, scope, found, access)
                return
            if body is not None:
                self._item(body, body, scope, found, access)
                return
        elif kind == "preproc_include":
            header = squash(text(node.child_by_field_name("path")))
            header = header.strip('"').removeprefix("<").removesuffix(">")
            found.append(Definition("import", header, scope, outer, RULES, value=header))
            return
        elif kind == "preproc_def":
            found.append(
                Definition(
                    "constant",
                    text(node.child_by_field_name("name")),
                    scope,
                    outer,
                    RULES,
                    value=squash(text(node.child_by_field_name("value"))),
                )
            )
            return
        found.append(Definition("statement", "", scope, outer, RULES))

    def _constants(
        self, outer: Node, node: Node, scope: str, found: list[Definition], access: str | None
    ) -> bool:
        """Record a ``const``/``constexpr`` declaration with an initializer as constants.

        At file or namespace level any such declaration counts; in a class only a ``static``
        one (the C++ analogue of Java's ``static final``).
        """
        qualifiers = {text(c) for c in node.children if c.type == "type_qualifier"}
        if not qualifiers & {"const", "constexpr", "constinit"}:
            return False
        if node.type == "field_declaration":
            storage = {text(c) for c in node.children if c.type == "storage_class_specifier"}
            value = node.child_by_field_name("default_value")
            if "static" not in storage or value is None:
                return False
            declarator = node.child_by_field_name("declarator")
            found.append(
                Definition(
                    "constant",
                    text(_unwrap(declarator)),
                    scope,
                    outer,
                    RULES,
                    value=squash(text(value)),
                    visibility=access or "",
                )
            )
            return True
        if access is not None:
            return False
        declarators = [
            c
            for c in node.children_by_field_name("declarator")
            if c.type == "init_declarator" and _function_declarator(c) is None
        ]
        for declarator in declarators:
            found.append(
                Definition(
                    "constant",
                    text(_unwrap(declarator)),
                    scope,
                    outer,
                    RULES,
                    value=squash(text(declarator.child_by_field_name("value"))),
                )
            )
        return bool(declarators)

    def _function(self, outer: Node, node: Node, scope: str, access: str | None) -> Definition:
        declarator = node.child_by_field_name("declarator")
        function = _function_declarator(declarator)
        parts, name = _scoped_name(
            function.child_by_field_name("declarator") if function is not None else declarator
        )
        parameters = function.child_by_field_name("parameters") if function is not None else None
        kind = "function"
        if (
            name in _TEST_MACROS
            and parameters is not None
            and node.child_by_field_name("type") is None
        ):
            kind = "test"
            name = ".".join(compact(text(p)) for p in parameters.named_children)
            params: tuple[Param, ...] = ()
        else:
            params = _params(parameters)
            if self.in_tests and name.startswith("test_"):
                kind = "test"
        if access is not None:
            visibility = access
        else:
            storage = {text(c) for c in node.children if c.type == "storage_class_specifier"}
            visibility = "static" if "static" in storage else ""
        return_type = ""
        if node.child_by_field_name("type") is not None and declarator is not None:
            return_type = squash(_base_type(node) + " " + _without(declarator, function)).strip()
        return Definition(
            kind=kind,
            name=name,
            scope=".".join([scope, *parts]).strip(".") if parts else scope,
            node=outer,
            rules=RULES,
            body=node.child_by_field_name("body"),
            params=params,
            return_type=return_type,
            visibility=visibility,
        )

    def _class(
        self, outer: Node, node: Node, scope: str, found: list[Definition], alias: str = ""
    ) -> Definition:
        name = text(node.child_by_field_name("name")) or alias
        qualname = _join(scope, name)
        body = node.child_by_field_name("body")
        bases: tuple[str, ...] = ()
        clause = next((c for c in node.named_children if c.type == "base_class_clause"), None)
        if clause is not None:
            bases = _bases(clause)
        members: list[str] = []
        if body is not None and node.type == "enum_specifier":
            members = [
                text(c.child_by_field_name("name"))
                for c in body.named_children
                if c.type == "enumerator"
            ]
        elif body is not None:
            start = len(found)
            default = "public" if node.type != "class_specifier" or not self.cpp else "private"
            self.block(body, qualname, found, default if self.cpp else "")
            for item in found[start:]:
                if item.scope == qualname and item.name:
                    members.append(item.name)
                elif item.scope == qualname and item.node.type == "field_declaration":
                    members.extend(_field_names(item.node))
        return Definition(
            kind="class",
            name=name,
            scope=scope,
            node=outer,
            rules=RULES,
            body=body,
            bases=bases,
            members=tuple(members),
        )


class CLike:
    """The C and C++ language support (one class, two grammars)."""

    rules = RULES

    def __init__(self, dialect: str) -> None:
        self.name = dialect
        self.cpp = dialect == "cpp"

    def parser_language(self) -> object:
        """Return the tree-sitter language object of the dialect."""
        if self.cpp:
            return tree_sitter_cpp.language()
        return tree_sitter_c.language()

    def exported(self, definition: Definition) -> bool | None:
        """Linkage is not compared on renames (``static`` changes are visibility changes)."""
        return None

    # -- definitions --------------------------------------------------------------------------

    def definitions(self, root: Node, path: str) -> list[Definition]:
        """Extract includes, constants, structs/classes, functions and top-level statements."""
        found: list[Definition] = []
        parts = PurePosixPath(path).parts[:-1]
        in_tests = any(p in {"test", "tests", "testing"} for p in parts)
        _Extractor(self.cpp, in_tests).block(root, "", found, None)
        return found

    # -- facts --------------------------------------------------------------------------------

    def facts(self, node: Node, is_test: bool) -> Facts:
        """Collect calls, throws, handlers, conditions, loops, returns and markers under node."""
        collector = FactCollector()
        for item in iter_nodes(node, _is_assertion if is_test else None):
            kind = item.type
            if kind == "call_expression":
                self._call(item, is_test, collector)
            elif kind in {"throw_statement", "throw_expression"}:
                collector.facts.raises.append(Fact(_thrown(item), line_of(item)))
            elif kind == "catch_clause":
                caught = _caught(item.child_by_field_name("parameters"))
                collector.facts.handlers.append(Fact(caught, line_of(item), caught))
            elif kind == "if_statement":
                condition = _strip_parens(text(item.child_by_field_name("condition")))
                collector.condition(condition, item)
            elif kind == "else_clause":
                if not any(c.type == "if_statement" for c in item.named_children):
                    collector.facts.elses.append(Fact("else", line_of(item)))
            elif kind == "conditional_expression":
                collector.condition(squash(text(item.child_by_field_name("condition"))), item)
            elif kind == "case_statement":
                value = item.child_by_field_name("value")
                collector.condition(f"case {squash(text(value))}" if value else "default", item)
            elif kind in {"for_statement", "for_range_loop", "while_statement", "do_statement"}:
                collector.loop(_loop_header(item), item)
            elif kind == "return_statement":
                value = next((c for c in item.named_children if c.type != "comment"), None)
                collector.returned(squash(text(value)), item)
            elif kind in {"declaration", "field_declaration"}:
                self._declaration(item, collector)
            elif kind in {"co_await_expression", "co_yield_statement"}:
                collector.concurrency("await", item)
            elif kind in {"string_literal", "raw_string_literal", "concatenated_string"}:
                parent = item.parent
                if parent is None or parent.type != "concatenated_string":
                    literal_secret(item, _string_value(item), _name_context(item), collector)
            elif kind == "preproc_def":
                defined = squash(text(item.child_by_field_name("value")))
                if len(defined) >= 2 and defined[0] == '"' and defined[-1] == '"':
                    name = text(item.child_by_field_name("name"))
                    literal_secret(item, defined[1:-1], name, collector)
        return collector.facts

    def _call(self, node: Node, is_test: bool, collector: FactCollector) -> None:
        parent = node.parent
        if parent is not None and parent.type in {"throw_statement", "throw_expression"}:
            return
        function = node.child_by_field_name("function")
        callee = callee_name(text(function))
        args = _strip_parens(text(node.child_by_field_name("arguments")))
        if is_test and (callee == "assert" or _GTEST_ASSERTION.match(callee)):
            collector.facts.assertions.append(
                Assertion(squash(text(node)), _assertion_strength(callee, args), line_of(node))
            )
            return
        collector.call(callee, args, node)
        tail = callee.rsplit("::", 1)[-1]
        member = "." in callee or "->" in callee
        method = callee.replace("->", ".").rsplit(".", 1)[-1]
        if not member and tail in _SENSITIVE:
            collector.sensitive(tail, f"`{callee}()` runs a command or reads unbounded input", node)
        if callee.startswith("std::") and tail in _THREAD_CALLS:
            collector.concurrency(f"std::{tail}", node)
        elif callee.startswith("pthread_") or callee in _C_THREADS:
            collector.concurrency(callee, node)
        elif member and method in _LOCK_METHODS:
            collector.concurrency(method, node)

    def _declaration(self, node: Node, collector: FactCollector) -> None:
        declared = compact(text(node.child_by_field_name("type")))
        if not self.cpp and "pthread" not in declared:
            return
        for word in _SYNC_WORDS:
            if word in declared:
                collector.concurrency(word, node)
                return


def _is_assertion(node: Node) -> bool:
    """Whether ``node`` is an assertion call (calls in its arguments are part of the check)."""
    if node.type != "call_expression":
        return False
    callee = text(node.child_by_field_name("function"))
    return callee == "assert" or _GTEST_ASSERTION.match(callee) is not None


def _assertion_strength(macro: str, args: str) -> int:
    """Return how much an ``assert()`` or GoogleTest ``EXPECT_*``/``ASSERT_*`` checks."""
    check = macro.split("_", 1)[-1]
    if macro == "assert" or check in {"TRUE", "FALSE"}:
        return assertion_strength("assert!", args)
    if check in {"EQ", "STREQ", "STRCASEEQ", "DOUBLE_EQ", "FLOAT_EQ", "THROW", "THAT"}:
        return 3
    if check in {"NE", "LT", "LE", "GT", "GE", "NEAR", "STRNE", "STRCASENE", "ANY_THROW"}:
        return 2
    return 1


def _bases(clause: Node) -> tuple[str, ...]:
    bases: list[str] = []
    for child in clause.named_children:
        if child.type in {"access_specifier", "comment"} or child.type == "virtual":
            continue
        bases.append(squash(text(child)))
    return tuple(bases)


def _field_names(node: Node) -> list[str]:
    names = []
    for declarator in node.children_by_field_name("declarator"):
        name = _unwrap(declarator)
        if name is not None:
            names.append(text(name))
    return names


def _params(node: Node | None) -> tuple[Param, ...]:
    params: list[Param] = []
    for index, child in enumerate(node.named_children if node else []):
        kind = child.type
        if kind == "comment":
            continue
        if kind in {"variadic_parameter", "..."} or text(child) == "...":
            params.append(Param("..."))
            continue
        declarator = child.child_by_field_name("declarator")
        base = _base_type(child)
        if declarator is None:
            if base == "void" and node is not None and node.named_child_count == 1:
                continue
            params.append(Param(f"#{index + 1}", base))
            continue
        name_node = _unwrap(declarator)
        if name_node is not None and name_node.type == "parameter_list":
            name_node = None
        shown = squash(text(name_node)) if name_node is not None else f"#{index + 1}"
        param_type = squash(f"{base} {_without(declarator, name_node)}")
        default = squash(text(child.child_by_field_name("default_value")))
        params.append(Param(shown, param_type, default))
    return tuple(params)


def _thrown(node: Node) -> str:
    value = next((c for c in node.named_children if c.type != "comment"), None)
    if value is None:
        return "(re-throw)"
    if value.type == "call_expression":
        return callee_name(text(value.child_by_field_name("function")))
    if value.type == "new_expression":
        return squash(text(value.child_by_field_name("type")))
    if value.type == "compound_literal_expression":
        return squash(text(value.child_by_field_name("type")))
    return compact(text(value))


def _caught(parameters: Node | None) -> str:
    if parameters is None or any(c.type == "..." for c in parameters.children):
        return "(everything)"
    declaration = next((c for c in parameters.named_children if c.type != "comment"), None)
    if declaration is None:
        return "(everything)"
    caught = text(declaration.child_by_field_name("type"))
    return compact(caught) or compact(text(declaration))


def _loop_header(node: Node) -> str:
    body = node.child_by_field_name("body")
    if node.type == "do_statement":
        return f"do while {_strip_parens(text(node.child_by_field_name('condition')))}"
    if node.type == "while_statement":
        return f"while {_strip_parens(text(node.child_by_field_name('condition')))}"
    raw = node.text or b""
    end = body.start_byte - node.start_byte if body is not None else len(raw)
    header = squash(raw[:end].decode("utf-8", "replace"))
    return "for " + _strip_parens(header.removeprefix("for").strip())


def _string_value(node: Node) -> str:
    if node.type == "concatenated_string":
        return "".join(_string_value(c) for c in node.named_children)
    return "".join(
        text(c) for c in node.named_children if c.type in {"string_content", "raw_string_content"}
    )


def _name_context(node: Node) -> str:
    """Return the name a string literal initializes or is assigned to."""
    parent = node.parent
    while parent is not None and parent.type in _STRING_HOLDERS:
        parent = parent.parent
    if parent is None:
        return ""
    if parent.type == "init_declarator":
        return text(_unwrap(parent.child_by_field_name("declarator")))
    if parent.type == "assignment_expression":
        return text(parent.child_by_field_name("left"))
    if parent.type == "initializer_pair":
        return squash(text(parent.child_by_field_name("designator")))
    if parent.type == "field_declaration":
        return text(_unwrap(parent.child_by_field_name("declarator")))
    if parent.type == "preproc_def":
        return text(parent.child_by_field_name("name"))
    return ""
