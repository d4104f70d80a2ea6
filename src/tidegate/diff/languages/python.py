"""Python: definitions and body facts from tree-sitter-python trees (the deepest support)."""

from __future__ import annotations

import re

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

_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_LITERALS = frozenset(
    {
        "integer",
        "float",
        "string",
        "concatenated_string",
        "true",
        "false",
        "none",
        "tuple",
        "list",
        "dictionary",
        "set",
        "unary_operator",
    }
)
_CONCURRENCY_CALLS = frozenset(
    {
        "Thread",
        "Lock",
        "RLock",
        "Semaphore",
        "BoundedSemaphore",
        "Condition",
        "Event",
        "Barrier",
        "acquire",
        "release",
        "gather",
        "create_task",
        "ensure_future",
        "run_in_executor",
        "to_thread",
        "run_coroutine_threadsafe",
        "ThreadPoolExecutor",
        "ProcessPoolExecutor",
        "Process",
        "start_new_thread",
        "TaskGroup",
    }
)
_DESERIALIZERS = frozenset(
    {
        "pickle.load",
        "pickle.loads",
        "cPickle.load",
        "cPickle.loads",
        "dill.load",
        "dill.loads",
        "marshal.load",
        "marshal.loads",
        "jsonpickle.decode",
        "shelve.open",
        "yaml.unsafe_load",
        "yaml.unsafe_load_all",
    }
)
_SHELLS = frozenset({"os.system", "os.popen", "commands.getoutput", "commands.getstatusoutput"})
# The node types facts() looks at; everything else is skipped before any other test.
_FACT_TYPES = frozenset(
    {
        "call",
        "raise_statement",
        "except_clause",
        "if_statement",
        "elif_clause",
        "else_clause",
        "conditional_expression",
        "case_clause",
        "for_statement",
        "while_statement",
        "return_statement",
        "assert_statement",
        "await",
        "with_statement",
        "identifier",
        "assignment",
        "string",
    }
)
_SKIP_CALLS = frozenset({"pytest.skip", "self.skipTest", "unittest.skip", "pytest.xfail"})


def _is_doc(node: Node) -> bool:
    if node.type != "expression_statement" or node.named_child_count != 1:
        return False
    child = node.named_children[0]
    if child.type not in {"string", "concatenated_string"}:
        return False
    parent = node.parent
    if parent is None or parent.type not in {"module", "block"}:
        return False
    first = next((c for c in parent.named_children if c.type != "comment"), None)
    return first is not None and first.id == node.id


RULES = TokenRules(
    comment_types=frozenset({"comment"}),
    string_types=frozenset({"string"}),
    is_doc=_is_doc,
    doc_types=frozenset({"expression_statement"}),
)


class Python:
    """The Python language support."""

    name = "python"
    rules = RULES

    def parser_language(self) -> object:
        """Return the tree-sitter language object."""
        import tree_sitter_python

        return tree_sitter_python.language()

    def exported(self, definition: Definition) -> bool | None:
        """Python has no declared visibility."""
        return None

    # -- definitions --------------------------------------------------------------------------

    def definitions(self, root: Node, path: str) -> list[Definition]:
        """Extract imports, constants, classes, functions, tests and top-level statements."""
        found: list[Definition] = []
        self._block(root, "", found)
        return found

    def _block(self, block: Node, scope: str, found: list[Definition]) -> None:
        for child in block.named_children:
            node: Node = child
            decorators: tuple[str, ...] = ()
            if child.type == "decorated_definition":
                definition = child.child_by_field_name("definition")
                if definition is None:
                    continue
                decorators = tuple(
                    squash(text(d))[1:].strip()
                    for d in child.named_children
                    if d.type == "decorator"
                )
                node = definition
            kind = node.type
            if kind == "function_definition":
                found.append(self._function(child, node, scope, decorators))
            elif kind == "class_definition":
                found.append(self._class(child, node, scope, found, decorators))
            elif kind in {"import_statement", "import_from_statement", "future_import_statement"}:
                found.extend(self._imports(child, scope))
            elif (
                kind != "comment" and not _is_doc(child) and not self._constant(child, scope, found)
            ):
                found.append(Definition("statement", "", scope, child, RULES))

    def _function(
        self,
        outer: Node,
        node: Node,
        scope: str,
        decorators: tuple[str, ...],
    ) -> Definition:
        name = text(node.child_by_field_name("name"))
        is_test = name.startswith("test")
        skipped = any(_is_skip_decorator(d) for d in decorators)
        return Definition(
            kind="test" if is_test else "function",
            name=name,
            scope=scope,
            node=outer,
            rules=RULES,
            body=node.child_by_field_name("body"),
            params=_params(node.child_by_field_name("parameters")),
            return_type=squash(text(node.child_by_field_name("return_type"))),
            decorators=decorators,
            concurrency="async" if any(c.type == "async" for c in node.children) else "",
            skipped=skipped,
        )

    def _class(
        self,
        outer: Node,
        node: Node,
        scope: str,
        found: list[Definition],
        decorators: tuple[str, ...],
    ) -> Definition:
        name = text(node.child_by_field_name("name"))
        qualname = f"{scope}.{name}" if scope else name
        bases_node = node.child_by_field_name("superclasses")
        bases = tuple(
            squash(text(b))
            for b in (bases_node.named_children if bases_node else [])
            if b.type != "comment"
        )
        body = node.child_by_field_name("body")
        start = len(found)
        if body is not None:
            self._block(body, qualname, found)
        members = tuple(d.name for d in found[start:] if d.scope == qualname and d.name)
        return Definition(
            kind="class",
            name=name,
            scope=scope,
            node=outer,
            rules=RULES,
            body=body,
            bases=bases,
            decorators=decorators,
            members=members,
        )

    def _imports(self, node: Node, scope: str) -> list[Definition]:
        imports: list[Definition] = []
        if node.type == "import_statement":
            for item in node.named_children:
                if item.type == "aliased_import":
                    module = text(item.child_by_field_name("name"))
                    bound = text(item.child_by_field_name("alias"))
                else:
                    module = bound = text(item)
                imports.append(Definition("import", bound, scope, node, RULES, value=module))
            return imports
        module_node = node.child_by_field_name("module_name")
        module = text(module_node) if module_node is not None else "__future__"
        for item in node.named_children:
            if module_node is not None and item.id == module_node.id:
                continue
            if item.type == "wildcard_import":
                imports.append(
                    Definition("import", f"{module}.*", scope, node, RULES, value=module)
                )
            elif item.type == "aliased_import":
                name = text(item.child_by_field_name("name"))
                bound = text(item.child_by_field_name("alias"))
                imports.append(
                    Definition("import", bound, scope, node, RULES, value=f"{module}.{name}")
                )
            elif item.type in {"dotted_name", "identifier"}:
                name = text(item)
                imports.append(
                    Definition("import", name, scope, node, RULES, value=f"{module}.{name}")
                )
        return imports

    def _constant(self, statement: Node, scope: str, found: list[Definition]) -> bool:
        if statement.type != "expression_statement" or statement.named_child_count != 1:
            return False
        assignment = statement.named_children[0]
        if assignment is None or assignment.type != "assignment":
            return False
        left = assignment.child_by_field_name("left")
        right = assignment.child_by_field_name("right")
        if left is None or left.type != "identifier" or right is None:
            return False
        name = text(left)
        if not (_CONSTANT_NAME.match(name) or right.type in _LITERALS):
            return False
        found.append(
            Definition("constant", name, scope, statement, RULES, value=squash(text(right)))
        )
        return True

    # -- facts --------------------------------------------------------------------------------

    def facts(self, node: Node, is_test: bool) -> Facts:
        """Collect calls, raises, handlers, conditions, loops, returns and markers under node."""
        collector = FactCollector()
        for item in iter_nodes(node):
            kind = item.type
            if kind not in _FACT_TYPES:
                continue
            if kind == "call":
                self._call(item, is_test, collector)
            elif kind == "raise_statement":
                exc = item.named_children[0] if item.named_child_count else None
                if exc is not None and exc.type == "call":
                    exc = exc.child_by_field_name("function")
                name = callee_name(text(exc)) if exc is not None else "(re-raise)"
                collector.facts.raises.append(Fact(name, line_of(item)))
            elif kind == "except_clause":
                collector.facts.handlers.append(_handler(item))
            elif kind in {"if_statement", "elif_clause"}:
                condition_node = item.child_by_field_name("condition")
                collector.condition(squash(text(condition_node)), item, condition_node)
            elif (
                kind == "else_clause"
                and item.parent is not None
                and item.parent.type in {"if_statement"}
            ):
                collector.facts.elses.append(Fact("else", line_of(item)))
            elif kind == "conditional_expression" and item.named_child_count >= 3:
                condition_node = item.named_children[1]
                collector.condition(squash(text(condition_node)), item, condition_node)
            elif kind == "case_clause":
                pattern = " ".join(
                    squash(text(c)) for c in item.named_children if c.type != "block"
                )
                collector.condition(f"case {pattern}", item)
            elif kind == "for_statement":
                left, right = item.child_by_field_name("left"), item.child_by_field_name("right")
                header = f"for {squash(text(left))} in {squash(text(right))}"
                collector.loop(header, item, left, right)
                if item.children and item.children[0].type == "async":
                    collector.concurrency("async for", item)
            elif kind == "while_statement":
                condition_node = item.child_by_field_name("condition")
                collector.loop(f"while {squash(text(condition_node))}", item, condition_node)
            elif kind == "return_statement":
                value = item.named_children[0] if item.named_child_count else None
                collector.returned(squash(text(value)), item)
            elif kind == "assert_statement" and is_test:
                checked = squash(text(item.named_children[0])) if item.named_child_count else ""
                collector.facts.assertions.append(
                    Assertion(squash(text(item)), comparison_strength(checked), line_of(item))
                )
            elif kind == "await":
                collector.concurrency("await", item)
            elif kind == "with_statement":
                self._with(item, collector)
            elif kind == "identifier" and item.end_byte - item.start_byte == len("CERT_NONE"):
                if text(item) == "CERT_NONE":
                    collector.sensitive("ssl.CERT_NONE", "TLS certificate checks disabled", item)
            elif kind == "assignment":
                target = squash(text(item.child_by_field_name("left")))
                assigned = squash(text(item.child_by_field_name("right")))
                if target.endswith("check_hostname") and assigned == "False":
                    collector.sensitive(
                        "check_hostname=False", "TLS host name checks disabled", item
                    )
            elif kind == "string":
                literal_secret(item, _string_value(item), _name_context(item), collector)
        return collector.facts

    def _call(self, node: Node, is_test: bool, collector: FactCollector) -> None:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        callee = callee_name(text(function))
        args = squash(text(arguments))
        if args.startswith("(") and args.endswith(")"):
            args = args[1:-1].strip()
        tail = callee.rsplit(".", 1)[-1]
        parent = node.parent
        if callee in _SKIP_CALLS:
            collector.facts.skips.append(Fact(callee, line_of(node), f"{callee}()"))
            return
        if is_test and (tail.startswith("assert") or callee in {"pytest.raises", "pytest.warns"}):
            first = args.split(",", 1)[0].strip()
            expects = first if "raises" in tail.lower() or tail == "raises" else ""
            collector.facts.assertions.append(
                Assertion(
                    squash(text(node)),
                    assertion_strength(tail if tail != "assert_" else "assert", args),
                    line_of(node),
                    expects,
                )
            )
            return
        if parent is not None and parent.type == "raise_statement":
            return
        collector.call(callee, args, node)
        if tail in _CONCURRENCY_CALLS:
            collector.concurrency(tail, node)
        flat = compact(args)
        if callee in {"eval", "exec", "builtins.eval", "builtins.exec"}:
            collector.sensitive(callee, f"`{callee}()` of dynamic code", node)
        elif callee in _SHELLS:
            collector.sensitive(callee, f"shell command via `{callee}()`", node)
        elif callee.startswith("subprocess.") and "shell=True" in flat:
            collector.sensitive("shell=True", f"`{callee}(..., shell=True)`", node)
        elif callee in _DESERIALIZERS:
            collector.sensitive(callee, f"unsafe deserialization via `{callee}()`", node)
        elif callee in {"yaml.load", "yaml.load_all"} and "SafeLoader" not in flat:
            collector.sensitive(callee, f"`{callee}()` without a safe loader", node)
        elif callee.endswith("_create_unverified_context"):
            collector.sensitive(callee, "TLS verification disabled (unverified context)", node)
        if "verify=False" in flat:
            collector.sensitive("verify=False", f"TLS verification disabled in `{callee}()`", node)

    def _with(self, node: Node, collector: FactCollector) -> None:
        is_async = any(c.type == "async" for c in node.children)
        if is_async:
            collector.concurrency("async with", node)
        clause = next((c for c in node.named_children if c.type == "with_clause"), None)
        for item in clause.named_children if clause else []:
            value = text(item).lower()
            if any(word in value for word in ("lock", "semaphore", "mutex", "condition")):
                collector.concurrency("with lock", node)


def _params(node: Node | None) -> tuple[Param, ...]:
    params: list[Param] = []
    for child in node.named_children if node else []:
        kind = child.type
        if kind == "identifier":
            params.append(Param(text(child)))
        elif kind == "typed_parameter":
            inner = child.named_children[0] if child.named_child_count else None
            name = text(inner)
            if inner is not None and inner.type == "list_splat_pattern":
                name = "*" + text(inner.named_children[0]) if inner.named_child_count else name
            elif inner is not None and inner.type == "dictionary_splat_pattern":
                name = "**" + text(inner.named_children[0]) if inner.named_child_count else name
            params.append(Param(name, squash(text(child.child_by_field_name("type")))))
        elif kind == "default_parameter":
            params.append(
                Param(
                    text(child.child_by_field_name("name")),
                    default=squash(text(child.child_by_field_name("value"))),
                )
            )
        elif kind == "typed_default_parameter":
            params.append(
                Param(
                    text(child.child_by_field_name("name")),
                    squash(text(child.child_by_field_name("type"))),
                    squash(text(child.child_by_field_name("value"))),
                )
            )
        elif kind == "list_splat_pattern":
            params.append(Param("*" + text(child.named_children[0])))
        elif kind == "dictionary_splat_pattern":
            params.append(Param("**" + text(child.named_children[0])))
    return tuple(params)


def _handler(node: Node) -> Fact:
    value = node.child_by_field_name("value") or next(
        (c for c in node.named_children if c.type not in {"block", "comment"}), None
    )
    raw = squash(text(value)) if value is not None else ""
    raw = re.sub(r"\s+as\s+\w+$", "", raw)
    names = sorted(n.strip() for n in raw.strip("()").split(",") if n.strip()) or ["(everything)"]
    caught = ", ".join(names)
    return Fact(caught, line_of(node), caught)


def _string_value(node: Node) -> str:
    parts = [text(c) for c in node.named_children if c.type == "string_content"]
    return "".join(parts)


def _name_context(node: Node) -> str:
    parent = node.parent
    while parent is not None and parent.type in {"concatenated_string", "parenthesized_expression"}:
        parent = parent.parent
    if parent is None:
        return ""
    if parent.type == "assignment":
        return text(parent.child_by_field_name("left"))
    if parent.type == "keyword_argument":
        return text(parent.child_by_field_name("name"))
    if parent.type == "pair":
        return text(parent.child_by_field_name("key"))
    return ""


def _is_skip_decorator(decorator: str) -> bool:
    name = decorator.split("(", 1)[0]
    return name.endswith(
        ("mark.skip", "mark.skipif", "unittest.skip", "skipIf", "skipUnless")
    ) or name in {
        "skip",
        "unittest.skip",
        "pytest.mark.skip",
        "pytest.mark.skipif",
    }
