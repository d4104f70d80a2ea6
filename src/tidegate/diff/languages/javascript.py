"""JavaScript, TypeScript and TSX: definitions and body facts from tree-sitter trees."""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter_javascript
import tree_sitter_typescript
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
    comment_types=frozenset({"comment", "html_comment"}),
    string_types=frozenset({"string", "template_string"}),
)

_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)
_CLASS_VALUES = frozenset({"class"})
_FUNCTION_DECLARATIONS = frozenset(
    {"function_declaration", "generator_function_declaration", "function_signature"}
)
_CLASS_DECLARATIONS = frozenset(
    {"class_declaration", "abstract_class_declaration", "interface_declaration", "enum_declaration"}
)
_ASYNC_CAPABLE = frozenset(
    {
        "arrow_function",
        "function_expression",
        "function_declaration",
        "generator_function",
        "generator_function_declaration",
        "method_definition",
    }
)
_VALUE_WRAPPERS = frozenset(
    {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"}
)
_NOT_WRAPPERS = frozenset(
    {
        "setTimeout",
        "setInterval",
        "setImmediate",
        "queueMicrotask",
        "process.nextTick",
        "require",
        "describe",
        "it",
        "test",
    }
)
_NAMESPACES = frozenset({"internal_module", "module"})
_SIGNATURES = frozenset({"method_signature", "abstract_method_signature", "function_signature"})
_FIELDS = frozenset({"public_field_definition", "field_definition"})

# Test runners: jest, vitest, mocha, jasmine, node:test, playwright.
_TEST_CALLEES = frozenset({"it", "test", "specify", "xit", "xtest", "xspecify", "fit", "ftest"})
_DESCRIBE_CALLEES = frozenset(
    {"describe", "context", "suite", "xdescribe", "xcontext", "fdescribe", "xsuite"}
)
_TEST_MODIFIERS = frozenset(
    {
        "only",
        "skip",
        "todo",
        "concurrent",
        "each",
        "failing",
        "fails",
        "fixme",
        "serial",
        "parallel",
        "sequential",
        "shuffle",
        "describe",
        "slow",
    }
)
_SKIP_MODIFIERS = frozenset({"skip", "todo", "fixme"})
_SKIPPED_CALLEES = frozenset({"xit", "xtest", "xspecify", "xdescribe", "xcontext", "xsuite"})
_FOCUSED_CALLEES = frozenset({"fit", "ftest", "fdescribe"})
_SKIP_CALLS = frozenset(
    {
        "it.skip",
        "test.skip",
        "describe.skip",
        "context.skip",
        "suite.skip",
        "test.describe.skip",
        "test.fixme",
        "it.todo",
        "test.todo",
        "xit",
        "xtest",
        "xdescribe",
        "xcontext",
        "this.skip",
        "ctx.skip",
        "t.skip",
        "t.todo",
        "pending",
    }
)
_EXPECT_CALLEES = frozenset({"expect", "expect.soft", "expect.poll", "chai.expect"})

# Assertion methods of jest/vitest/chai/node:assert beyond the shared lists in syntax.py.
_JS_STRONG = frozenset(
    {
        "equal",
        "equals",
        "eq",
        "eql",
        "strictEqual",
        "deepEqual",
        "deepStrictEqual",
        "throws",
        "throw",
        "rejects",
        "rejectedWith",
        "calledWith",
        "calledOnceWith",
        "calledWithExactly",
        "calledOnce",
        "toBeCalledWith",
        "toBeCalledTimes",
        "toHaveBeenLastCalledWith",
        "toHaveBeenNthCalledWith",
        "toHaveReturnedWith",
        "toHaveReturnedTimes",
        "toThrowErrorMatchingSnapshot",
        "toThrowErrorMatchingInlineSnapshot",
        "toMatchInlineSnapshot",
        "toBeNull",
        "toBeUndefined",
        "toBeNaN",
        "null",
        "undefined",
        "toHaveText",
        "toHaveTextContent",
        "toHaveValue",
        "toHaveURL",
        "toHaveTitle",
        "toHaveCount",
    }
)
_JS_MEDIUM = frozenset(
    {
        "notEqual",
        "notStrictEqual",
        "notDeepEqual",
        "notDeepStrictEqual",
        "include",
        "includes",
        "contain",
        "contains",
        "match",
        "lengthOf",
        "length",
        "above",
        "below",
        "least",
        "most",
        "within",
        "instanceOf",
        "instanceof",
        "property",
        "members",
        "keys",
        "toHaveBeenCalled",
        "toBeCalled",
        "toHaveReturned",
        "called",
        "toHaveClass",
        "toHaveAttribute",
        "toContainText",
    }
)
_NEGATED_WEAK = frozenset(
    {
        "toBeNull",
        "toBeUndefined",
        "toBeNaN",
        "null",
        "undefined",
        "toThrow",
        "toThrowError",
        "throw",
        "toBeDefined",
        "exist",
    }
)
_THROW_MATCHERS = frozenset({"toThrow", "toThrowError", "throw", "rejectedWith"})

_PROMISE_COMBINATORS = frozenset(
    {"Promise.all", "Promise.race", "Promise.allSettled", "Promise.any"}
)
_CONCURRENT_CONSTRUCTORS = frozenset({"Worker", "SharedWorker", "Mutex", "Semaphore"})
_EVAL_CALLEES = frozenset({"eval", "window.eval", "globalThis.eval", "global.eval", "Function"})
_SHELL_EXEC = frozenset({"exec", "execSync"})
_SPAWNS = frozenset({"spawn", "spawnSync", "execFile", "execFileSync", "fork"})
_CHILD_PROCESS = frozenset({"child_process", "childProcess", "cp", "require('child_process')"})
_VM_RUNNERS = frozenset({"runInNewContext", "runInThisContext", "runInContext", "compileFunction"})


@dataclass
@dataclass(frozen=True)
class _Suite:
    """Where a block of test code sits: enclosing describe titles and modifiers."""

    titles: tuple[str, ...] = ()
    callees: tuple[str, ...] = ()
    modifiers: tuple[str, ...] = ()
    skipped: bool = False

    @property
    def scope(self) -> str:
        """The scope of non-test definitions and statements inside the describe blocks."""
        return " > ".join(self.titles)


@dataclass(frozen=True)
class _TestCall:
    """A recognized it()/test()/describe() call."""

    kind: str  # test | describe
    title: str
    callee: str
    callback: Node | None
    skipped: bool
    modifiers: tuple[str, ...]  # skip / only / failing / concurrent, as the test's "decorators"


class JavaScript:
    """The JavaScript / TypeScript / TSX language support (one class, three grammars)."""

    rules = RULES

    def __init__(self, name: str = "javascript") -> None:
        self.name = name

    def parser_language(self) -> object:
        """Return the tree-sitter language object of the dialect."""
        if self.name == "typescript":
            return tree_sitter_typescript.language_typescript()
        if self.name == "tsx":
            return tree_sitter_typescript.language_tsx()
        return tree_sitter_javascript.language()

    def exported(self, definition: Definition) -> bool | None:
        """JavaScript visibility is carried by the ``visibility`` field (``export``)."""
        return None

    # -- definitions --------------------------------------------------------------------------

    def definitions(self, root: Node, path: str) -> list[Definition]:
        """Extract imports, constants, classes, functions, tests and top-level statements."""
        found: list[Definition] = []
        self._block(root, "", found, None)
        return found

    def _block(
        self, block: Node, scope: str, found: list[Definition], suite: _Suite | None
    ) -> None:
        """Walk the statements of the program, a namespace or a describe callback."""
        top = suite is None
        for child in block.named_children:
            kind = child.type
            if kind in RULES.comment_types:
                continue
            if kind == "export_statement":
                self._export(child, scope, found, suite)
            elif kind == "import_statement" and top:
                found.extend(_imports(child, scope))
            elif kind in _FUNCTION_DECLARATIONS or kind in _CLASS_DECLARATIONS:
                self._declaration(child, child, scope, found, "", ())
            elif kind in {"lexical_declaration", "variable_declaration"}:
                self._variables(child, child, scope, found, "", constants=top)
            elif kind == "ambient_declaration":
                inner = next((c for c in child.named_children if c.type != "comment"), None)
                if inner is not None and (
                    inner.type in _FUNCTION_DECLARATIONS or inner.type in _CLASS_DECLARATIONS
                ):
                    self._declaration(child, inner, scope, found, "", ())
                else:
                    found.append(Definition("statement", "", scope, child, RULES))
            elif kind in _NAMESPACES:
                self._namespace(child, child, scope, found, suite)
            elif kind == "expression_statement":
                self._expression(child, scope, found, suite)
            else:
                found.append(Definition("statement", "", scope, child, RULES))

    def _export(
        self, node: Node, scope: str, found: list[Definition], suite: _Suite | None
    ) -> None:
        decorators = _decorators(node)
        declaration = node.child_by_field_name("declaration")
        value = node.child_by_field_name("value")
        if declaration is not None:
            kind = declaration.type
            if kind in _FUNCTION_DECLARATIONS or kind in _CLASS_DECLARATIONS:
                self._declaration(node, declaration, scope, found, "export", decorators)
                return
            if kind in {"lexical_declaration", "variable_declaration"}:
                self._variables(node, declaration, scope, found, "export", constants=suite is None)
                return
            if kind == "ambient_declaration":
                inner = next((c for c in declaration.named_children if c.type != "comment"), None)
                if inner is not None and (
                    inner.type in _FUNCTION_DECLARATIONS or inner.type in _CLASS_DECLARATIONS
                ):
                    self._declaration(node, inner, scope, found, "export", decorators)
                    return
            if kind in _NAMESPACES:
                self._namespace(node, declaration, scope, found, suite)
                return
        elif value is not None and value.type in _FUNCTION_VALUES:
            name = text(value.child_by_field_name("name")) or "default"
            found.append(self._function(node, value, name, scope, "export", decorators))
            return
        elif value is not None and value.type in _CLASS_VALUES:
            name = text(value.child_by_field_name("name")) or "default"
            found.append(self._class(node, value, name, scope, found, "export", decorators))
            return
        found.append(Definition("statement", "", scope, node, RULES))

    def _declaration(
        self,
        outer: Node,
        node: Node,
        scope: str,
        found: list[Definition],
        visibility: str,
        decorators: tuple[str, ...],
    ) -> None:
        name = text(node.child_by_field_name("name")) or "default"
        if node.type in _CLASS_DECLARATIONS:
            decorators = decorators + _decorators(node)
            found.append(self._class(outer, node, name, scope, found, visibility, decorators))
        else:
            found.append(self._function(outer, node, name, scope, visibility, decorators))

    def _namespace(
        self,
        outer: Node,
        node: Node,
        scope: str,
        found: list[Definition],
        suite: _Suite | None,
    ) -> None:
        body = node.child_by_field_name("body")
        name = squash(text(node.child_by_field_name("name"))).strip("'\"")
        if body is None or not name:
            found.append(Definition("statement", "", scope, outer, RULES))
            return
        self._block(body, f"{scope}.{name}" if scope else name, found, suite)

    def _function(
        self,
        outer: Node,
        node: Node,
        name: str,
        scope: str,
        visibility: str,
        decorators: tuple[str, ...],
        prefix: tuple[Node, ...] = (),
        body: Node | None = None,
    ) -> Definition:
        body = body or node.child_by_field_name("body")
        if body is None:
            # A signature (overload, abstract or interface method): nothing to compare but
            # the signature; the name stands in as a body that never changes.
            body = node.child_by_field_name("name") or node
        return Definition(
            kind="function",
            name=name,
            scope=scope,
            node=outer,
            rules=RULES,
            body=body,
            params=_params(node),
            return_type=_type_text(node.child_by_field_name("return_type")),
            decorators=decorators,
            visibility=visibility,
            concurrency="async" if any(c.type == "async" for c in node.children) else "",
            prefix=prefix,
            start=line_of(prefix[0]) if prefix else 0,
        )

    def _class(
        self,
        outer: Node,
        node: Node,
        name: str,
        scope: str,
        found: list[Definition],
        visibility: str,
        decorators: tuple[str, ...],
    ) -> Definition:
        qualname = f"{scope}.{name}" if scope else name
        body = node.child_by_field_name("body")
        start = len(found)
        fields: list[str] = []
        if body is not None:
            if node.type == "enum_declaration":
                fields.extend(
                    text(c.child_by_field_name("name") or c)
                    for c in body.named_children
                    if c.type != "comment"
                )
            else:
                fields = self._members(body, qualname, found)
        members = tuple(d.name for d in found[start:] if d.scope == qualname and d.name)
        return Definition(
            kind="class",
            name=name,
            scope=scope,
            node=outer,
            rules=RULES,
            body=body,
            bases=_bases(node),
            decorators=decorators,
            visibility=visibility,
            members=members + tuple(fields),
        )

    def _members(self, body: Node, scope: str, found: list[Definition]) -> list[str]:
        """Add a class or interface body's methods; return the names of its other members.

        Fields, property signatures and static blocks are not statements of their own: a class
        added or removed would otherwise also change "top-level code" in its scope. A change to
        them alone still shows as the file's residual ``module.body_changed``.
        """
        fields: list[str] = []
        pending: list[Node] = []
        for child in body.named_children:
            kind = child.type
            if kind == "comment":
                continue
            if kind == "decorator":
                pending.append(child)
                continue
            prefix = tuple(pending)
            pending = []
            decorators = tuple(_decorator_text(d) for d in prefix) + _decorators(child)
            visibility = _accessibility(child)
            if kind == "method_definition" or kind in _SIGNATURES:
                name = squash(text(child.child_by_field_name("name")))
                found.append(
                    self._function(child, child, name, scope, visibility, decorators, prefix)
                )
            elif kind in _FIELDS:
                name_node = child.child_by_field_name("name") or child.child_by_field_name(
                    "property"
                )
                name = squash(text(name_node))
                value = child.child_by_field_name("value")
                if value is not None and value.type in _FUNCTION_VALUES:
                    found.append(
                        self._function(child, value, name, scope, visibility, decorators, prefix)
                    )
                else:
                    fields.append(name)
            elif kind == "property_signature":
                fields.append(squash(text(child.child_by_field_name("name"))))
        return fields

    def _variables(
        self,
        outer: Node,
        declaration: Node,
        scope: str,
        found: list[Definition],
        visibility: str,
        *,
        constants: bool,
    ) -> None:
        declarators = [c for c in declaration.named_children if c.type == "variable_declarator"]
        is_const = any(c.type == "const" for c in declaration.children)
        for declarator in declarators:
            node = outer if len(declarators) == 1 else declarator
            name_node = declarator.child_by_field_name("name")
            value = _unwrap(declarator.child_by_field_name("value"))
            name = text(name_node)
            if name_node is not None and name_node.type == "identifier" and value is not None:
                if value.type in _FUNCTION_VALUES:
                    found.append(self._function(node, value, name, scope, visibility, ()))
                    continue
                if value.type in _CLASS_VALUES:
                    found.append(self._class(node, value, name, scope, found, visibility, ()))
                    continue
                wrapped = _wrapped_function(value)
                if wrapped is not None:
                    # memo(() => ...), asyncHandler(async (req, res) => ...): the wrapper call
                    # is the body, so its own arguments are compared as well.
                    found.append(
                        self._function(node, wrapped, name, scope, visibility, (), body=value)
                    )
                    continue
            module = _required_module(value) if constants else None
            if module is not None and name_node is not None:
                found.extend(_require_bindings(node, name_node, module, scope))
                continue
            if (
                constants
                and is_const
                and name_node is not None
                and name_node.type == "identifier"
                and value is not None
            ):
                found.append(
                    Definition("constant", name, scope, node, RULES, value=squash(text(value)))
                )
                continue
            found.append(Definition("statement", "", scope, node, RULES))

    def _expression(
        self, statement: Node, scope: str, found: list[Definition], suite: _Suite | None
    ) -> None:
        expression = statement.named_children[0] if statement.named_child_count else None
        if expression is None:
            found.append(Definition("statement", "", scope, statement, RULES))
            return
        if expression.type in _NAMESPACES:
            self._namespace(statement, expression, scope, found, suite)
            return
        if expression.type == "call_expression":
            call = _test_call(expression)
            if call is not None:
                self._test(statement, call, found, suite or _Suite())
                return
        if expression.type == "assignment_expression" and suite is None:
            definition = self._assigned_function(statement, expression, scope)
            if definition is not None:
                found.append(definition)
                return
        found.append(Definition("statement", "", scope, statement, RULES))

    def _assigned_function(
        self, statement: Node, assignment: Node, scope: str
    ) -> Definition | None:
        """``exports.f = function`` and ``X.prototype.f = function`` are function definitions."""
        left = assignment.child_by_field_name("left")
        right = assignment.child_by_field_name("right")
        if left is None or right is None or left.type != "member_expression":
            return None
        if right.type not in _FUNCTION_VALUES:
            return None
        target = compact(text(left.child_by_field_name("object")))
        name = text(left.child_by_field_name("property"))
        if target in {"exports", "module.exports"}:
            return self._function(statement, right, name, scope, "export", ())
        if target.endswith(".prototype"):
            owner = target[: -len(".prototype")]
            qualified = f"{scope}.{owner}" if scope else owner
            return self._function(statement, right, name, qualified, "", ())
        return None

    def _test(
        self, statement: Node, call: _TestCall, found: list[Definition], suite: _Suite
    ) -> None:
        callback = call.callback
        body = callback.child_by_field_name("body") if callback is not None else None
        skipped = suite.skipped or call.skipped
        if call.kind == "describe":
            inner = _Suite(
                titles=(*suite.titles, call.title),
                callees=(*suite.callees, call.callee),
                modifiers=(*suite.modifiers, *call.modifiers),
                skipped=skipped,
            )
            if body is not None and body.type == "statement_block":
                self._block(body, inner.scope, found, inner)
            else:
                found.append(Definition("statement", "", suite.scope, statement, RULES))
            return
        found.append(
            Definition(
                kind="test",
                name=" > ".join((*suite.titles, call.title)),
                scope="",
                node=statement,
                rules=RULES,
                body=body,
                concurrency="async"
                if callback is not None and any(c.type == "async" for c in callback.children)
                else "",
                skipped=skipped,
                decorators=(*suite.modifiers, *call.modifiers),
                markers=suite.callees,
            )
        )

    # -- facts --------------------------------------------------------------------------------

    def facts(self, node: Node, is_test: bool) -> Facts:
        """Collect calls, raises, handlers, conditions, loops, returns and markers under node."""
        collector = FactCollector()
        consumed: set[int] = set()
        parent = node.parent
        if (
            not is_test
            and parent is not None
            and parent.type == "arrow_function"
            and node.type != "statement_block"
            and _same(parent.child_by_field_name("body"), node)
        ):
            collector.returned(squash(text(node)), node)
        for item in iter_nodes(node):
            kind = item.type
            if kind in {"call_expression", "member_expression"}:
                if item.id in consumed:
                    continue
                if is_test and _chain_top(item) and self._assertion(item, collector, consumed):
                    continue
                if kind == "call_expression":
                    self._call(item, collector)
            elif kind == "new_expression":
                self._new(item, collector)
            elif kind == "throw_statement":
                collector.facts.raises.append(Fact(_thrown(item), line_of(item)))
            elif kind == "catch_clause":
                collector.facts.handlers.append(_handler(item))
            elif kind == "if_statement":
                condition = item.child_by_field_name("condition")
                collector.condition(_unparen(condition), item, condition)
            elif kind == "else_clause":
                if not any(c.type == "if_statement" for c in item.named_children):
                    collector.facts.elses.append(Fact("else", line_of(item)))
            elif kind == "ternary_expression":
                condition = item.child_by_field_name("condition")
                collector.condition(squash(text(condition)), item, condition)
            elif kind == "switch_case":
                case = item.child_by_field_name("value")
                collector.condition(f"case {squash(text(case))}", item, case)
            elif kind == "switch_default":
                collector.facts.elses.append(Fact("default", line_of(item)))
            elif kind in {"for_statement", "for_in_statement", "while_statement"}:
                body = item.child_by_field_name("body")
                parts = [c for c in item.named_children if not _same(body, c)]
                collector.loop(_loop_header(item), item, *parts)
                if kind == "for_in_statement" and any(c.type == "await" for c in item.children):
                    collector.concurrency("for await", item)
            elif kind == "do_statement":
                condition = item.child_by_field_name("condition")
                collector.loop(f"do while ({_unparen(condition)})", item, condition)
            elif kind == "return_statement":
                returned = next((c for c in item.named_children if c.type != "comment"), None)
                collector.returned(squash(text(returned)), item)
            elif kind == "await_expression":
                collector.concurrency("await", item)
            elif kind in _ASYNC_CAPABLE:
                if item.id != node.id and any(c.type == "async" for c in item.children):
                    collector.concurrency("async function", item)
            elif kind == "pair":
                key = _key_text(item.child_by_field_name("key"))
                value = text(item.child_by_field_name("value"))
                if key == "rejectUnauthorized" and value == "false":
                    collector.sensitive(
                        "rejectUnauthorized=false", "TLS certificate checks disabled", item
                    )
            elif kind in {"assignment_expression", "augmented_assignment_expression"}:
                self._assignment(item, collector)
            elif kind in {"string", "template_string"}:
                literal_secret(item, text(item)[1:-1], _name_context(item), collector)
        return collector.facts

    def _assertion(self, top: Node, collector: FactCollector, consumed: set[int]) -> bool:
        """Record a test assertion (an ``expect(...)`` chain, ``assert``, ``assert.*``)."""
        spine = _spine(top)
        names = [
            text(n.child_by_field_name("property")) for n in spine if n.type == "member_expression"
        ]
        arguments = top.child_by_field_name("arguments") if top.type == "call_expression" else None
        args = _args(arguments)
        expects = ""
        is_expect = any(
            n.type == "call_expression"
            and compact(text(n.child_by_field_name("function"))) in _EXPECT_CALLEES
            for n in spine
        )
        if is_expect:
            method = names[0] if names else "expect"
            if method in _THROW_MATCHERS:
                expects = _argument(arguments, 0)
        elif top.type == "call_expression":
            callee = callee_name(text(top.child_by_field_name("function")))
            if not (
                callee == "assert"
                or callee.startswith(("assert.", "chai.assert."))
                or ".assert." in callee
            ):
                return False
            method = "assert" if callee == "assert" else callee.rsplit(".", 1)[-1]
            if method in {"throws", "rejects"}:
                expects = _argument(arguments, 1)
        else:
            return False
        consumed.update(n.id for n in spine)
        strength = _strength(method, args, negated="not" in names)
        collector.facts.assertions.append(
            Assertion(squash(text(top)), strength, line_of(top), expects)
        )
        return True

    def _call(self, node: Node, collector: FactCollector) -> None:
        function = node.child_by_field_name("function")
        callee = callee_name(text(function))
        args = _args(node.child_by_field_name("arguments"))
        parent = node.parent
        if callee in _SKIP_CALLS:
            collector.facts.skips.append(Fact(callee, line_of(node), f"{callee}()"))
            return
        if parent is not None and parent.type == "throw_statement":
            return
        collector.call(callee, args, node)
        tail = callee.rsplit(".", 1)[-1]
        head = callee.rsplit(".", 1)[0] if "." in callee else ""
        flat = compact(args)
        if callee in _PROMISE_COMBINATORS:
            collector.concurrency(callee, node)
        elif callee.startswith("Atomics."):
            collector.concurrency("Atomics", node)
        if callee in _EVAL_CALLEES:
            collector.sensitive(callee, f"`{callee}()` of dynamic code", node)
        elif tail in _SHELL_EXEC and (not head or head in _CHILD_PROCESS):
            collector.sensitive("child_process.exec", f"shell command via `{callee}()`", node)
        elif tail in _SPAWNS and "shell:true" in flat:
            collector.sensitive("shell:true", f"`{callee}(..., {{shell: true}})`", node)
        elif tail in _VM_RUNNERS and (head in {"vm", ""} or head.endswith(".vm")):
            collector.sensitive(callee, f"dynamic code via `{callee}()`", node)

    def _new(self, node: Node, collector: FactCollector) -> None:
        constructor = callee_name(text(node.child_by_field_name("constructor")))
        tail = constructor.rsplit(".", 1)[-1]
        if constructor == "Function":
            collector.sensitive("new Function", "`new Function()` of dynamic code", node)
        elif constructor == "vm.Script":
            collector.sensitive("vm.Script", "dynamic code via `new vm.Script()`", node)
        if tail in _CONCURRENT_CONSTRUCTORS:
            collector.concurrency(f"new {tail}", node)

    def _assignment(self, node: Node, collector: FactCollector) -> None:
        left = compact(text(node.child_by_field_name("left")))
        right = compact(text(node.child_by_field_name("right")))
        if "NODE_TLS_REJECT_UNAUTHORIZED" in left:
            collector.sensitive(
                "NODE_TLS_REJECT_UNAUTHORIZED", "TLS certificate checks disabled process-wide", node
            )
        elif left.endswith("rejectUnauthorized") and right == "false":
            collector.sensitive("rejectUnauthorized=false", "TLS certificate checks disabled", node)


# -- helpers ----------------------------------------------------------------------------------


def _same(a: Node | None, b: Node) -> bool:
    return a is not None and a.id == b.id


def _unwrap(value: Node | None) -> Node | None:
    """Strip parentheses and TypeScript ``as``/``satisfies``/``!`` around a value."""
    while value is not None and value.type in _VALUE_WRAPPERS and value.named_child_count:
        value = value.named_children[0]
    return value


def _wrapped_function(value: Node) -> Node | None:
    """Return the function passed to a wrapper call (``memo(fn)``), if exactly one is."""
    if value.type != "call_expression":
        return None
    callee = callee_name(text(value.child_by_field_name("function")))
    if callee in _NOT_WRAPPERS:
        return None
    arguments = value.child_by_field_name("arguments")
    functions = [
        c for c in (arguments.named_children if arguments else []) if c.type in _FUNCTION_VALUES
    ]
    return functions[0] if len(functions) == 1 else None


def _string_value(node: Node | None) -> str:
    """Return a string or template literal's content without its quotes."""
    raw = text(node)
    if node is not None and node.type in {"string", "template_string"} and len(raw) >= 2:
        return raw[1:-1]
    return raw


def _key_text(node: Node | None) -> str:
    if node is None:
        return ""
    if node.type == "string":
        return _string_value(node)
    return text(node)


def _imports(node: Node, scope: str) -> list[Definition]:
    module = _string_value(node.child_by_field_name("source"))
    imports: list[Definition] = []
    for child in node.named_children:
        if child.type == "import_require_clause":
            source = child.child_by_field_name("source")
            module = _string_value(source)
            bound = next((c for c in child.named_children if c.type == "identifier"), None)
            if bound is not None:
                imports.append(Definition("import", text(bound), scope, node, RULES, value=module))
        elif child.type == "import_clause":
            for item in child.named_children:
                imports.extend(_clause_bindings(node, item, module, scope))
    if not imports:
        imports.append(Definition("import", module, scope, node, RULES, value=module))
    return imports


def _clause_bindings(node: Node, item: Node, module: str, scope: str) -> list[Definition]:
    if item.type == "identifier":
        return [Definition("import", text(item), scope, node, RULES, value=module)]
    if item.type == "namespace_import":
        alias = next((c for c in item.named_children if c.type == "identifier"), None)
        return [Definition("import", text(alias), scope, node, RULES, value=f"{module}.*")]
    bindings: list[Definition] = []
    if item.type == "named_imports":
        for spec in item.named_children:
            if spec.type != "import_specifier":
                continue
            name = _key_text(spec.child_by_field_name("name"))
            alias = spec.child_by_field_name("alias")
            bound = text(alias) if alias is not None else name
            bindings.append(
                Definition("import", bound, scope, node, RULES, value=f"{module}.{name}")
            )
    return bindings


def _required_module(value: Node | None) -> str | None:
    """Return ``y.z`` for ``require('y').z`` (and ``y`` for ``require('y')``), else None."""
    path: list[str] = []
    node = value
    while node is not None:
        if node.type == "await_expression":
            node = node.named_children[0] if node.named_child_count else None
        elif node.type == "member_expression":
            path.append(text(node.child_by_field_name("property")))
            node = node.child_by_field_name("object")
        elif node.type == "call_expression":
            function = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            first = (
                arguments.named_children[0] if arguments and arguments.named_child_count else None
            )
            if function is None or text(function) not in {"require", "import"}:
                return None
            if first is None or first.type not in {"string", "template_string"}:
                return None
            return ".".join([_string_value(first), *reversed(path)])
        else:
            return None
    return None


def _require_bindings(node: Node, pattern: Node, module: str, scope: str) -> list[Definition]:
    if pattern.type != "object_pattern":
        return [Definition("import", squash(text(pattern)), scope, node, RULES, value=module)]
    bindings: list[Definition] = []
    for item in pattern.named_children:
        if item.type == "shorthand_property_identifier_pattern":
            name = text(item)
            bindings.append(
                Definition("import", name, scope, node, RULES, value=f"{module}.{name}")
            )
        elif item.type == "pair_pattern":
            key = _key_text(item.child_by_field_name("key"))
            bound = squash(text(item.child_by_field_name("value")))
            bindings.append(
                Definition("import", bound, scope, node, RULES, value=f"{module}.{key}")
            )
        elif item.type == "object_assignment_pattern":
            name = text(item.child_by_field_name("left"))
            bindings.append(
                Definition("import", name, scope, node, RULES, value=f"{module}.{name}")
            )
        elif item.type == "rest_pattern":
            bindings.append(
                Definition("import", squash(text(item)), scope, node, RULES, value=module)
            )
    return bindings


def _decorator_text(node: Node) -> str:
    return squash(text(node))[1:].strip()


def _decorators(node: Node) -> tuple[str, ...]:
    return tuple(_decorator_text(c) for c in node.named_children if c.type == "decorator")


def _accessibility(node: Node) -> str:
    modifier = next((c for c in node.named_children if c.type == "accessibility_modifier"), None)
    return text(modifier)


def _bases(node: Node) -> tuple[str, ...]:
    bases: list[str] = []
    for child in node.named_children:
        if child.type == "class_heritage":
            for clause in child.named_children:
                if clause.type == "extends_clause":
                    bases.extend(_clause_types(clause, "extends"))
                elif clause.type == "implements_clause":
                    bases.extend(_clause_types(clause, "implements"))
                elif clause.type != "comment":
                    bases.append(squash(text(clause)))  # JavaScript: extends <expression>
        elif child.type == "extends_type_clause":
            bases.extend(_clause_types(child, "extends"))
    return tuple(bases)


def _clause_types(clause: Node, keyword: str) -> list[str]:
    value = squash(text(clause))
    if value.startswith(keyword):
        value = value[len(keyword) :]
    return [part.strip() for part in _split_top(value) if part.strip()]


def _split_top(value: str) -> list[str]:
    """Split on commas outside brackets (``A<B, C>, D`` -> ``A<B, C>``, ``D``)."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in value:
        if char in "<([{":
            depth += 1
        elif char in ">)]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _type_text(node: Node | None) -> str:
    value = squash(text(node))
    return value[1:].strip() if value.startswith(":") else value


def _params(function: Node) -> tuple[Param, ...]:
    single = function.child_by_field_name("parameter")
    if single is not None:
        return (Param(text(single)),)
    node = function.child_by_field_name("parameters")
    params: list[Param] = []
    for child in node.named_children if node else []:
        kind = child.type
        if kind in {"required_parameter", "optional_parameter"}:
            pattern = child.child_by_field_name("pattern")
            kind_text = _type_text(child.child_by_field_name("type"))
            if kind == "optional_parameter":
                kind_text = f"{kind_text} (optional)".strip()
            params.append(
                Param(
                    _pattern_name(pattern),
                    kind_text,
                    squash(text(child.child_by_field_name("value"))),
                )
            )
        elif kind == "assignment_pattern":
            params.append(
                Param(
                    _pattern_name(child.child_by_field_name("left")),
                    default=squash(text(child.child_by_field_name("right"))),
                )
            )
        elif kind != "comment":
            params.append(Param(_pattern_name(child)))
    return tuple(params)


def _pattern_name(node: Node | None) -> str:
    if node is None:
        return ""
    if node.type == "rest_pattern":
        inner = next((c for c in node.named_children if c.type != "comment"), None)
        return "..." + squash(text(inner))
    return squash(text(node))


def _test_call(call: Node) -> _TestCall | None:
    """Recognize ``it('title', fn)``, ``test.skip(...)``, ``describe.each(t)('title', fn)``."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "call_expression":  # test.each(table)('title', fn)
        inner = function.child_by_field_name("function")
        if inner is None or not compact(text(inner)).endswith(".each"):
            return None
        function = inner
    if function.type not in {"identifier", "member_expression"}:
        return None
    callee = compact(text(function))
    parts = callee.split(".")
    if any(not part.isidentifier() for part in parts):
        return None
    modifiers = parts[1:]
    if parts[0] in _DESCRIBE_CALLEES or (parts[0] in _TEST_CALLEES and "describe" in modifiers):
        kind = "describe"
        modifiers = [m for m in modifiers if m != "describe"]
    elif parts[0] in _TEST_CALLEES:
        kind = "test"
    else:
        return None
    if any(m not in _TEST_MODIFIERS for m in modifiers):
        return None
    arguments = call.child_by_field_name("arguments")
    args = [c for c in arguments.named_children if c.type != "comment"] if arguments else []
    if not args:
        return None
    first = args[0]
    if first.type in {"string", "template_string"}:
        title = _string_value(first)
    elif kind == "describe":
        title = squash(text(first))
    else:
        return None
    callback = next((a for a in reversed(args) if a.type in _FUNCTION_VALUES), None)
    if callback is None and kind == "describe":
        return None
    skipped = parts[0] in _SKIPPED_CALLEES or any(m in _SKIP_MODIFIERS for m in modifiers)
    return _TestCall(kind, title, callee, callback, skipped, _modifiers(parts[0], modifiers))


def _modifiers(base: str, modifiers: list[str]) -> tuple[str, ...]:
    """Normalize ``xit``/``it.skip``/``fit``/``it.only``... to skip/only/failing/concurrent."""
    found: list[str] = []
    if base in _SKIPPED_CALLEES:
        found.append("skip")
    elif base in _FOCUSED_CALLEES:
        found.append("only")
    for modifier in modifiers:
        if modifier in _SKIP_MODIFIERS:
            found.append("skip")
        elif modifier in {"only", "concurrent"}:
            found.append(modifier)
        elif modifier in {"failing", "fails"}:
            found.append("failing")
    return tuple(found)


def _chain_top(node: Node) -> bool:
    """Whether a call or member access is the outermost link of its chain."""
    parent = node.parent
    if parent is None:
        return True
    if parent.type == "member_expression":
        return not _same(parent.child_by_field_name("object"), node)
    if parent.type == "call_expression":
        return not _same(parent.child_by_field_name("function"), node)
    return True


def _spine(node: Node) -> list[Node]:
    """Return the links of a call/member chain from the outermost down to its root."""
    spine = [node]
    current: Node | None = node
    while current is not None:
        if current.type == "call_expression":
            current = current.child_by_field_name("function")
        elif current.type == "member_expression":
            current = current.child_by_field_name("object")
        else:
            break
        if current is not None:
            spine.append(current)
    return spine


def _args(arguments: Node | None) -> str:
    """Return a call's arguments without the parentheses; callbacks show only their heads.

    A callback's body is compared through its own facts (they are collected as well), so an
    edit inside ``app.get('/', (req, res) => {...})`` does not also change the call's arguments.
    """
    if arguments is None:
        return ""
    if arguments.type != "arguments" or not any(
        c.type in _FUNCTION_VALUES for c in arguments.named_children
    ):
        args = squash(text(arguments))
        if args.startswith("(") and args.endswith(")"):
            args = args[1:-1].strip()
        return args
    return ", ".join(
        _callback_head(c) if c.type in _FUNCTION_VALUES else squash(text(c))
        for c in arguments.named_children
        if c.type != "comment"
    )


def _callback_head(function: Node) -> str:
    """Return a function expression's text up to its body (``async (a, b) => …``)."""
    body = function.child_by_field_name("body")
    raw = function.text or b""
    if body is not None:
        raw = raw[: body.start_byte - function.start_byte]
    return squash(raw.decode("utf-8", "replace")) + " …"


def _argument(arguments: Node | None, index: int) -> str:
    if arguments is None or arguments.type != "arguments":
        return ""
    items = [c for c in arguments.named_children if c.type != "comment"]
    return squash(text(items[index])) if index < len(items) else ""


def _strength(method: str, args: str, *, negated: bool) -> int:
    strength = assertion_strength(method, args)
    if strength == 1 and method in _JS_STRONG:
        strength = 3
    elif strength == 1 and method in _JS_MEDIUM:
        strength = 2
    if negated:
        return 1 if method in _NEGATED_WEAK else min(strength, 2)
    return strength


def _thrown(node: Node) -> str:
    value = next((c for c in node.named_children if c.type != "comment"), None)
    if value is None:
        return "(re-throw)"
    if value.type == "new_expression":
        return callee_name(text(value.child_by_field_name("constructor")))
    if value.type == "call_expression":
        return callee_name(text(value.child_by_field_name("function")))
    return squash(text(value))


def _handler(node: Node) -> Fact:
    caught = _type_text(node.child_by_field_name("type"))
    if caught in {"", "any", "unknown"}:
        caught = "(everything)"
    return Fact(caught, line_of(node), caught)


def _unparen(node: Node | None) -> str:
    if node is not None and node.type == "parenthesized_expression":
        inner = [c for c in node.named_children if c.type != "comment"]
        return squash(" ".join(text(c) for c in inner))
    return squash(text(node))


def _loop_header(node: Node) -> str:
    body = node.child_by_field_name("body")
    raw = node.text or b""
    if body is not None:
        raw = raw[: body.start_byte - node.start_byte]
    return squash(raw.decode("utf-8", "replace"))


_NAME_PASSTHROUGH = frozenset(
    {
        "parenthesized_expression",
        "binary_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "jsx_expression",
    }
)


def _name_context(node: Node) -> str:
    parent = node.parent
    while parent is not None and parent.type in _NAME_PASSTHROUGH:
        parent = parent.parent
    if parent is None:
        return ""
    kind = parent.type
    if kind == "variable_declarator":
        return text(parent.child_by_field_name("name"))
    if kind == "pair":
        return _key_text(parent.child_by_field_name("key"))
    if kind in {"assignment_expression", "assignment_pattern", "augmented_assignment_expression"}:
        return text(parent.child_by_field_name("left"))
    if kind in _FIELDS:
        return text(parent.child_by_field_name("name") or parent.child_by_field_name("property"))
    if kind in {"required_parameter", "optional_parameter"}:
        return text(parent.child_by_field_name("pattern"))
    if kind == "jsx_attribute":
        return text(parent.named_children[0]) if parent.named_child_count else ""
    return ""
