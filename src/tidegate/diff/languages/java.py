"""Java: definitions and body facts from tree-sitter-java trees."""

from __future__ import annotations

import re

import tree_sitter_java
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
    comparison_strength,
    iter_nodes,
    line_of,
    squash,
    text,
)

RULES = TokenRules(
    comment_types=frozenset({"line_comment", "block_comment"}),
    string_types=frozenset({"string_literal"}),
)

_CLASS_TYPES = frozenset(
    {
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
    }
)
_METHOD_TYPES = frozenset(
    {"method_declaration", "constructor_declaration", "compact_constructor_declaration"}
)
_BODY_TYPES = frozenset({"block", "constructor_body"})
_VISIBILITY = ("public", "private", "protected")
_TEST_ANNOTATIONS = frozenset(
    {"Test", "ParameterizedTest", "RepeatedTest", "TestFactory", "TestTemplate", "Property"}
)
_SKIP_ANNOTATIONS = re.compile(r"^(Disabled\w*|Ignore|Ignored)$")
_ASSERT_CLASSES = frozenset({"Assertions", "Assert", "Assertj", "MatcherAssert", "Truth"})
_ASSUMPTION_CLASSES = frozenset({"Assumptions", "Assume"})
# AssertJ / Truth chain terminals mapped onto the shared strength scale.
_STRONG_CHAIN = frozenset(
    {
        "isEqualTo",
        "isSameAs",
        "isEqualByComparingTo",
        "isEqualToComparingFieldByField",
        "isEqualToIgnoringCase",
        "isEqualToIgnoringWhitespace",
        "containsExactly",
        "containsExactlyInAnyOrder",
        "containsOnly",
        "hasMessage",
        "isExactlyInstanceOf",
        "hasValue",
        "containsEntry",
        "isZero",
        "isOne",
        "isThrownBy",
    }
)
_WEAK_CHAIN = frozenset(
    {
        "isNotNull",
        "isNull",
        "isNotEmpty",
        "isNotBlank",
        "isPresent",
        "isNotPresent",
        "isTrue",
        "isFalse",
        "exists",
        "doesNotThrowAnyException",
    }
)
_WEAK_MATCHERS = re.compile(r"\b(notNullValue|nullValue|anything|instanceOf|isA|any)\(")
_THROW_ROOTS = frozenset({"assertThatThrownBy", "assertThatExceptionOfType", "assertThatCode"})
_CONCURRENCY_TYPES = re.compile(
    r"^(Thread|ReentrantLock|ReentrantReadWriteLock|StampedLock|Semaphore|CountDownLatch"
    r"|CyclicBarrier|Phaser|Atomic\w+|ConcurrentHashMap|ConcurrentLinkedQueue"
    r"|CopyOnWriteArrayList|CopyOnWriteArraySet|LinkedBlockingQueue|ArrayBlockingQueue"
    r"|ThreadPoolExecutor|ScheduledThreadPoolExecutor|ForkJoinPool|CompletableFuture"
    r"|ThreadLocal|Exchanger)$"
)
_CONCURRENCY_CALLS = frozenset(
    {
        "lock",
        "unlock",
        "tryLock",
        "lockInterruptibly",
        "readLock",
        "writeLock",
        "wait",
        "notify",
        "notifyAll",
        "countDown",
        "await",
        "acquire",
        "release",
        "submit",
        "invokeAll",
        "invokeAny",
        "shutdown",
        "shutdownNow",
        "awaitTermination",
        "parallelStream",
        "runAsync",
        "supplyAsync",
        "thenApplyAsync",
        "thenAcceptAsync",
        "thenComposeAsync",
        "allOf",
        "anyOf",
        "startVirtualThread",
        "ofVirtual",
        "ofPlatform",
    }
)
_CONCURRENCY_OWNERS = frozenset({"Executors", "CompletableFuture", "ForkJoinPool", "Thread"})
_SHELLS = frozenset({"sh", "bash", "/bin/sh", "/bin/bash", "zsh", "cmd", "cmd.exe", "powershell"})


class Java:
    """The Java language support."""

    name = "java"
    rules = RULES

    def parser_language(self) -> object:
        """Return the tree-sitter language object."""
        return tree_sitter_java.language()

    def exported(self, definition: Definition) -> bool | None:
        """Java declares visibility with modifiers (reported as visibility changes)."""
        return None

    # -- definitions --------------------------------------------------------------------------

    def definitions(self, root: Node, path: str) -> list[Definition]:
        """Extract imports, classes, methods, constructors, constants, fields and tests."""
        found: list[Definition] = []
        for child in root.named_children:
            kind = child.type
            if kind in RULES.comment_types:
                continue
            if kind == "import_declaration":
                found.append(_import(child))
            elif kind in _CLASS_TYPES:
                self._class(child, "", found)
            else:
                found.append(Definition("statement", "", "", child, RULES))
        return found

    def _class(self, node: Node, scope: str, found: list[Definition]) -> Definition:
        name = text(node.child_by_field_name("name"))
        qualname = f"{scope}.{name}" if scope else name
        modifiers = _modifiers(node)
        bases = _bases(node)
        body = node.child_by_field_name("body")
        start = len(found)
        definition = Definition(
            kind="class",
            name=name,
            scope=scope,
            node=node,
            rules=RULES,
            body=body,
            bases=bases,
            decorators=_annotations(modifiers),
            visibility=_visibility(modifiers),
        )
        found.append(definition)
        junit3 = any(b.split("<", 1)[0].endswith("TestCase") for b in bases)
        interface = node.type in {"interface_declaration", "annotation_type_declaration"}
        if body is not None:
            self._members(body, qualname, found, junit3, interface)
        definition.members = tuple(
            d.name for d in found[start + 1 :] if d.scope == qualname and d.name
        )
        return definition

    def _members(
        self, body: Node, scope: str, found: list[Definition], junit3: bool, interface: bool
    ) -> None:
        for member in body.named_children:
            kind = member.type
            if kind in RULES.comment_types:
                continue
            if kind in _CLASS_TYPES:
                self._class(member, scope, found)
            elif kind in _METHOD_TYPES:
                found.append(_method(member, scope, junit3))
            elif kind in {"field_declaration", "constant_declaration"}:
                found.extend(_field(member, scope, interface))
            elif kind == "enum_body_declarations":
                self._members(member, scope, found, junit3, interface)
            elif kind == "enum_constant":
                arguments = member.child_by_field_name("arguments")
                found.append(
                    Definition(
                        "constant",
                        text(member.child_by_field_name("name")),
                        scope,
                        member,
                        RULES,
                        value=squash(text(arguments)),
                    )
                )
            else:
                found.append(Definition("statement", "", scope, member, RULES))

    # -- facts --------------------------------------------------------------------------------

    def facts(self, node: Node, is_test: bool) -> Facts:
        """Collect calls, throws, catches, conditions, loops, returns and markers under node."""
        collector = FactCollector()
        assertion_ranges: list[tuple[int, int]] = []
        if node.type in _BODY_TYPES and node.parent is not None:
            _trust_all(node.parent, collector)
        for item in iter_nodes(node):
            kind = item.type
            if kind == "method_invocation":
                if any(low <= item.start_byte < high for low, high in assertion_ranges):
                    continue
                self._invocation(item, is_test, collector, assertion_ranges)
            elif kind == "explicit_constructor_invocation":
                constructor = item.child_by_field_name("constructor")
                collector.call(
                    text(constructor), _args(item.child_by_field_name("arguments")), item
                )
            elif kind == "object_creation_expression":
                _creation(item, collector)
            elif kind == "throw_statement":
                thrown = item.named_children[0] if item.named_child_count else None
                if thrown is not None and thrown.type == "object_creation_expression":
                    name = _type_name(thrown.child_by_field_name("type"))
                else:
                    name = compact(text(thrown))
                collector.facts.raises.append(Fact(name, line_of(item)))
            elif kind == "catch_clause":
                collector.facts.handlers.append(_handler(item))
            elif kind == "if_statement":
                condition_node = item.child_by_field_name("condition")
                collector.condition(_unparen(condition_node), item, condition_node)
                alternative = item.child_by_field_name("alternative")
                if alternative is not None and alternative.type != "if_statement":
                    collector.facts.elses.append(Fact("else", line_of(alternative)))
            elif kind == "ternary_expression":
                condition_node = item.child_by_field_name("condition")
                collector.condition(squash(text(condition_node)), item, condition_node)
            elif kind == "switch_label":
                label = squash(text(item))
                collector.condition(label, item)
            elif kind == "for_statement":
                parts = [
                    item.child_by_field_name("init"),
                    item.child_by_field_name("condition"),
                    item.child_by_field_name("update"),
                ]
                header = _between_parens(item)
                collector.loop(f"for ({header})", item, *parts)
            elif kind == "enhanced_for_statement":
                value = item.child_by_field_name("value")
                collector.loop(f"for ({_between_parens(item)})", item, value)
            elif kind == "while_statement":
                condition_node = item.child_by_field_name("condition")
                collector.loop(f"while {_unparen(condition_node)}", item, condition_node)
            elif kind == "do_statement":
                condition_node = item.child_by_field_name("condition")
                collector.loop(f"do while {_unparen(condition_node)}", item, condition_node)
            elif kind == "return_statement":
                value = item.named_children[0] if item.named_child_count else None
                collector.returned(squash(text(value)), item)
            elif kind == "assert_statement" and is_test:
                checked = squash(text(item.named_children[0])) if item.named_child_count else ""
                collector.facts.assertions.append(
                    Assertion(squash(text(item)), comparison_strength(checked), line_of(item))
                )
            elif kind == "synchronized_statement":
                collector.concurrency("synchronized", item)
            elif kind == "modifiers" and item.parent is not None and item.parent.id != node.id:
                # synchronized methods / volatile fields of local and anonymous classes
                for word in _modifier_words(item) & {"synchronized", "volatile"}:
                    collector.concurrency(word, item)
            elif kind in _METHOD_TYPES:
                _trust_all(item, collector)
            elif kind == "lambda_expression":
                _lambda_verifier(item, collector)
            elif kind in {"string_literal", "text_block"}:
                literal_secret(item, _string_value(item), _name_context(item), collector)
        if node.type == "field_declaration" and "volatile" in _modifier_words(_modifiers(node)):
            collector.concurrency("volatile", node)
        return collector.facts

    def _invocation(
        self,
        node: Node,
        is_test: bool,
        collector: FactCollector,
        assertion_ranges: list[tuple[int, int]],
    ) -> None:
        obj = node.child_by_field_name("object")
        name = text(node.child_by_field_name("name"))
        callee = callee_name(f"{text(obj)}.{name}" if obj is not None else name)
        arguments = node.child_by_field_name("arguments")
        args = _args(arguments)
        owner = callee.rsplit(".", 2)[-2] if "." in callee else ""
        if name.startswith("assume") and (owner in _ASSUMPTION_CLASSES or not owner):
            collector.facts.skips.append(Fact(callee, line_of(node), f"{callee}()"))
            return
        if is_test:
            assertion = _assertion(node)
            if assertion is not None:
                assertion_ranges.append((node.start_byte, node.end_byte))
                collector.facts.assertions.append(assertion)
                return
        collector.call(callee, args, node)
        tail = name
        if tail in _CONCURRENCY_CALLS or owner in _CONCURRENCY_OWNERS:
            collector.concurrency(f"{owner}.{tail}" if owner in _CONCURRENCY_OWNERS else tail, node)
        flat = compact(callee)
        if tail == "exec" and "getRuntime()" in flat:
            collector.sensitive(
                "Runtime.exec", "command execution via `Runtime.getRuntime().exec()`", node
            )
        elif tail == "readObject" and not args:
            collector.sensitive(
                "ObjectInputStream.readObject",
                "unsafe deserialization via `ObjectInputStream.readObject()`",
                node,
            )
        elif tail == "command" and _shell_args(arguments):
            collector.sensitive("ProcessBuilder(sh -c)", "shell command via `ProcessBuilder`", node)
        elif tail in {
            "setHostnameVerifier",
            "setDefaultHostnameVerifier",
            "setSSLHostnameVerifier",
        } and re.search(r"Noop|AllowAll|ALLOW_ALL|NoOp", args):
            collector.sensitive(
                "HostnameVerifier(trust-all)", "host name verification disabled", node
            )


def _import(node: Node) -> Definition:
    is_static = any(c.type == "static" for c in node.children)
    name_node = next(
        (c for c in node.named_children if c.type in {"scoped_identifier", "identifier"}), None
    )
    full = compact(text(name_node))
    wildcard = any(c.type == "asterisk" for c in node.named_children)
    if wildcard:
        full += ".*"
        bound = full
    else:
        bound = full.rsplit(".", 1)[-1]
    value = f"static {full}" if is_static else full
    return Definition("import", bound, "", node, RULES, value=value)


def _modifiers(node: Node) -> Node | None:
    return next((c for c in node.named_children if c.type == "modifiers"), None)


def _modifier_words(modifiers: Node | None) -> set[str]:
    return {c.type for c in modifiers.children if not c.is_named} if modifiers else set()


def _visibility(modifiers: Node | None) -> str:
    words = _modifier_words(modifiers)
    return next((v for v in _VISIBILITY if v in words), "")


def _annotations(modifiers: Node | None) -> tuple[str, ...]:
    if modifiers is None:
        return ()
    return tuple(
        squash(text(c)).removeprefix("@").strip()
        for c in modifiers.named_children
        if c.type in {"annotation", "marker_annotation"}
    )


def _annotation_name(annotation: str) -> str:
    return annotation.split("(", 1)[0].rsplit(".", 1)[-1].strip()


def _type_name(node: Node | None) -> str:
    if node is None:
        return ""
    if node.type == "generic_type" and node.named_child_count:
        return compact(text(node.named_children[0]))
    return compact(text(node))


def _bases(node: Node) -> tuple[str, ...]:
    bases: list[str] = []
    superclass = node.child_by_field_name("superclass")
    if superclass is not None:
        bases.extend(squash(text(c)) for c in superclass.named_children)
    for child in node.named_children:
        if child.type in {"super_interfaces", "extends_interfaces"}:
            for type_list in child.named_children:
                bases.extend(squash(text(t)) for t in type_list.named_children)
    return tuple(bases)


def _method(node: Node, scope: str, junit3: bool) -> Definition:
    modifiers = _modifiers(node)
    decorators = _annotations(modifiers)
    names = {_annotation_name(d) for d in decorators}
    name = text(node.child_by_field_name("name")) or scope.rsplit(".", 1)[-1]
    return_node = node.child_by_field_name("type")
    is_test = bool(names & _TEST_ANNOTATIONS) or (
        junit3 and name.startswith("test") and text(return_node) == "void"
    )
    skipped = any(_SKIP_ANNOTATIONS.match(n) for n in names)
    dimensions = node.child_by_field_name("dimensions")
    return_type = squash(text(return_node)) + (compact(text(dimensions)) if dimensions else "")
    return Definition(
        kind="test" if is_test else "function",
        name=name,
        scope=scope,
        node=node,
        rules=RULES,
        body=node.child_by_field_name("body"),
        bodiless=node.child_by_field_name("body") is None,
        params=_params(node.child_by_field_name("parameters")),
        return_type=return_type,
        decorators=decorators,
        visibility=_visibility(modifiers),
        concurrency="synchronized" if "synchronized" in _modifier_words(modifiers) else "",
        skipped=skipped,
    )


def _params(node: Node | None) -> tuple[Param, ...]:
    params: list[Param] = []
    for child in node.named_children if node else []:
        if child.type == "formal_parameter":
            kind = squash(text(child.child_by_field_name("type")))
            dimensions = child.child_by_field_name("dimensions")
            if dimensions is not None:
                kind += compact(text(dimensions))
            params.append(Param(text(child.child_by_field_name("name")), kind))
        elif child.type == "spread_parameter":
            kind = next(
                (
                    squash(text(c))
                    for c in child.named_children
                    if c.type not in {"modifiers", "variable_declarator"}
                ),
                "",
            )
            declarator = next(
                (c for c in child.named_children if c.type == "variable_declarator"), None
            )
            name = text(declarator.child_by_field_name("name")) if declarator else ""
            params.append(Param(name, f"{kind}..."))
    return tuple(params)


def _field(node: Node, scope: str, interface: bool) -> list[Definition]:
    words = _modifier_words(_modifiers(node))
    constant = interface or node.type == "constant_declaration" or {"static", "final"} <= words
    if not constant:
        return [Definition("statement", "", scope, node, RULES)]
    found: list[Definition] = []
    for declarator in node.children_by_field_name("declarator"):
        name = text(declarator.child_by_field_name("name"))
        value = squash(text(declarator.child_by_field_name("value")))
        found.append(Definition("constant", name, scope, node, RULES, value=value))
    return found


def _elided_body(node: Node) -> Node | None:
    """The block of a block-bodied lambda or the body of an anonymous class."""
    if node.type == "lambda_expression":
        body = node.child_by_field_name("body")
        return body if body is not None and body.type == "block" else None
    if node.type == "object_creation_expression":
        return next((c for c in node.named_children if c.type == "class_body"), None)
    return None


def _args(arguments: Node | None) -> str:
    """Return an argument list's text without parentheses; block bodies become ``{…}``."""
    if arguments is None:
        return ""
    raw = arguments.text or b""
    base = arguments.start_byte
    parts: list[bytes] = []
    position = 0
    for item in iter_nodes(arguments, lambda n: _elided_body(n) is not None):
        body = _elided_body(item)
        if body is not None:
            parts.append(raw[position : body.start_byte - base])
            parts.append("{…}".encode())
            position = body.end_byte - base
    parts.append(raw[position:])
    args = squash(b"".join(parts).decode("utf-8", "replace"))
    if args.startswith("(") and args.endswith(")"):
        args = args[1:-1].strip()
    return args


def _unparen(node: Node | None) -> str:
    value = squash(text(node))
    if node is not None and node.type == "parenthesized_expression":
        value = value[1:-1].strip()
    return value


def _between_parens(node: Node) -> str:
    raw = text(node)
    body = node.child_by_field_name("body")
    start = raw.find("(")
    end = (body.start_byte - node.start_byte) if body is not None else len(raw)
    head = raw.encode("utf-8")[: max(end, 0)].decode("utf-8", "replace")
    head = head[start + 1 :] if start >= 0 else head
    head = head.rstrip()
    return squash(head[:-1] if head.endswith(")") else head)


def _handler(node: Node) -> Fact:
    parameter = next((c for c in node.named_children if c.type == "catch_formal_parameter"), None)
    catch_type = (
        next((c for c in parameter.named_children if c.type == "catch_type"), None)
        if parameter
        else None
    )
    names = sorted(compact(text(c)) for c in (catch_type.named_children if catch_type else [])) or [
        "(everything)"
    ]
    caught = ", ".join(names)
    return Fact(caught, line_of(node), caught)


def _chain(node: Node) -> list[Node]:
    """Return the calls of a method chain, innermost first (``assertThat(x)``, ``isEqualTo``)."""
    calls = [node]
    while True:
        obj = calls[0].child_by_field_name("object")
        if obj is None or obj.type != "method_invocation":
            return calls
        calls.insert(0, obj)


def _assertion(node: Node) -> Assertion | None:
    """Return the assertion ``node`` (the outermost call of its chain) makes, if it is one."""
    calls = _chain(node)
    root = calls[0]
    name = text(root.child_by_field_name("name"))
    obj = root.child_by_field_name("object")
    owner = compact(text(obj)).rsplit(".", 1)[-1] if obj is not None else ""
    if not (
        name.startswith("assert")
        or (name in {"fail", "expectThrows"} and owner in {"", *_ASSERT_CLASSES})
    ):
        return None
    root_args = [
        c
        for c in (root.child_by_field_name("arguments") or node).named_children
        if c.type not in RULES.comment_types
    ]
    first = squash(text(root_args[0])) if root_args else ""
    methods = [text(c.child_by_field_name("name")) for c in calls]
    strength = _assertion_strength(methods, root_args)
    expects = ""
    if name in {"assertThrows", "expectThrows", "assertThrowsExactly", "assertThatExceptionOfType"}:
        expects = first.removesuffix(".class").strip()
    elif name in _THROW_ROOTS:
        for call in calls[1:]:
            if text(call.child_by_field_name("name")) in {"isInstanceOf", "isExactlyInstanceOf"}:
                expects = _args(call.child_by_field_name("arguments")).removesuffix(".class")
                strength = max(strength, 3)
    return Assertion(squash(text(node)), strength, line_of(node), expects.strip())


def _assertion_strength(methods: list[str], root_args: list[Node]) -> int:
    root = methods[0]
    if len(methods) == 1:
        if root == "assertThat":
            if len(root_args) < 2:
                return 1
            return 1 if _WEAK_MATCHERS.search(text(root_args[-1])) else 3
        if root == "fail":
            return 2
        if root in {"assertTrue", "assertFalse"} and root_args:
            return max(1, comparison_strength(text(root_args[0])) - 1)
        return assertion_strength(root, text(root_args[0]) if root_args else "")
    terminal = methods[-1]
    if terminal in _STRONG_CHAIN:
        return 3
    if terminal in _WEAK_CHAIN:
        return 1
    return 2


def _creation(node: Node, collector: FactCollector) -> None:
    type_name = _type_name(node.child_by_field_name("type")).rsplit(".", 1)[-1]
    if _CONCURRENCY_TYPES.match(type_name):
        collector.concurrency(f"new {type_name}", node)
    arguments = node.child_by_field_name("arguments")
    if type_name == "ProcessBuilder" and _shell_args(arguments):
        collector.sensitive("ProcessBuilder(sh -c)", "shell command via `ProcessBuilder`", node)
    elif type_name == "ObjectInputStream":
        collector.sensitive(
            "ObjectInputStream", "unsafe deserialization via `ObjectInputStream`", node
        )
    elif type_name in {"NoopHostnameVerifier", "AllowAllHostnameVerifier"}:
        collector.sensitive("HostnameVerifier(trust-all)", "host name verification disabled", node)


def _shell_args(arguments: Node | None) -> bool:
    values = [
        _string_value(c) if c.type == "string_literal" else None
        for c in (arguments.named_children if arguments else [])
    ]
    for index, value in enumerate(values[:-1]):
        if value is not None and value.rsplit("/", 1)[-1] in _SHELLS:
            return values[index + 1] in {"-c", "/c", "/C", "-Command"}
    return False


def _trust_all(method: Node, collector: FactCollector) -> None:
    """Flag a trust-all ``checkServerTrusted`` or a ``verify`` that always returns true."""
    if method.type != "method_declaration":
        return
    name = text(method.child_by_field_name("name"))
    body = method.child_by_field_name("body")
    if body is None:
        return
    statements = [c for c in body.named_children if c.type not in RULES.comment_types]
    if name == "checkServerTrusted" and not statements:
        collector.sensitive(
            "X509TrustManager(trust-all)", "trust-all `X509TrustManager.checkServerTrusted`", method
        )
    elif (
        name == "verify" and len(statements) == 1 and compact(text(statements[0])) == "returntrue;"
    ):
        params = method.child_by_field_name("parameters")
        if params is not None and "SSLSession" in text(params):
            collector.sensitive(
                "HostnameVerifier(trust-all)", "`HostnameVerifier` that accepts any host", method
            )


def _lambda_verifier(node: Node, collector: FactCollector) -> None:
    """Flag ``(host, session) -> true`` used as a HostnameVerifier."""
    body = node.child_by_field_name("body")
    flat = compact(text(body))
    if flat not in {"true", "{returntrue;}"}:
        return
    params = node.child_by_field_name("parameters")
    if params is None or compact(text(params)).count(",") != 1:
        return
    context = node.parent
    while context is not None and context.type in {"argument_list", "parenthesized_expression"}:
        context = context.parent
    if context is None:
        return
    if "HostnameVerifier" in text(context).split("->", 1)[0]:
        collector.sensitive(
            "HostnameVerifier(trust-all)", "`HostnameVerifier` that accepts any host", node
        )


def _string_value(node: Node) -> str:
    raw = text(node)
    if raw.startswith('"""'):
        return raw[3:-3] if raw.endswith('"""') and len(raw) >= 6 else raw
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        return raw[1:-1]
    return raw


def _name_context(node: Node) -> str:
    current = node.parent
    previous = node
    while current is not None and current.type in {"parenthesized_expression", "binary_expression"}:
        previous, current = current, current.parent
    if current is None:
        return ""
    if current.type == "variable_declarator":
        return text(current.child_by_field_name("name"))
    if current.type == "assignment_expression":
        left = current.child_by_field_name("left")
        return text(left) if left is not None and left.id != previous.id else ""
    if current.type == "element_value_pair":
        return text(current.child_by_field_name("key"))
    if current.type == "argument_list":
        call = current.parent
        if call is not None and call.type == "method_invocation":
            name = text(call.child_by_field_name("name"))
            if name.startswith("set") or name in {"put", "setProperty", "property"}:
                args = [c for c in current.named_children if c.type not in RULES.comment_types]
                if name.startswith("set") and len(args) == 1:
                    return name[3:]
                if len(args) == 2 and args[1].id == previous.id:
                    return _string_value(args[0])
    return ""
