"""Language-neutral syntax model: definitions, body facts, token streams over tree-sitter nodes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from tree_sitter import Node

_STRING_PREFIX = re.compile(r"^([A-Za-z]*)('''|\"\"\"|'|\"|`)", re.DOTALL)


def text(node: Node | None) -> str:
    """Return a node's source text (empty for None); undecodable bytes are replaced."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def squash(value: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends."""
    return " ".join(value.split())


def compact(value: str) -> str:
    """Remove all whitespace (for comparing expressions regardless of layout)."""
    return "".join(value.split())


def line_of(node: Node) -> int:
    """Return the 1-based line a node starts on."""
    return int(node.start_point[0]) + 1


def end_line_of(node: Node) -> int:
    """Return the 1-based line a node ends on (a trailing newline does not count)."""
    row, column = node.end_point
    if column == 0 and row > node.start_point[0]:
        return int(row)
    return int(row) + 1


def iter_nodes(root: Node, prune: Callable[[Node], bool] | None = None) -> Iterator[Node]:
    """Yield ``root`` and its descendants in source order; skip below nodes ``prune`` accepts."""
    cursor = root.walk()
    depth = 0
    while True:
        node = cursor.node
        assert node is not None
        yield node
        if (prune is None or not prune(node)) and cursor.goto_first_child():
            depth += 1
            continue
        while True:
            if depth == 0:
                return
            if cursor.goto_next_sibling():
                break
            cursor.goto_parent()
            depth -= 1


def normalize_string(literal: str) -> str:
    """Return a string literal with equivalent quoting normalized ('a' and "a" become "a")."""
    match = _STRING_PREFIX.match(literal)
    if match is None:
        return literal
    prefix, quote = match.group(1), match.group(2)
    if quote == "`" or not literal.endswith(quote) or len(literal) < len(prefix) + 2 * len(quote):
        return literal
    body = literal[len(prefix) + len(quote) : len(literal) - len(quote)]
    if "\\" in body or "'" in body or '"' in body:
        return literal
    fence = '"""' if len(quote) == 3 else '"'
    return f"{prefix.lower()}{fence}{body}{fence}"


_CLOSERS = frozenset({")", "]", "}"})


def drop_trailing_commas(tokens: list[str]) -> list[str]:
    """Remove a comma that directly precedes a closing bracket."""
    return [
        item
        for index, item in enumerate(tokens)
        if not (item == "," and index + 1 < len(tokens) and tokens[index + 1] in _CLOSERS)
    ]


@dataclass(frozen=True)
class TokenRules:
    """What a language's token stream treats as comments, strings and docstrings."""

    comment_types: frozenset[str]
    string_types: frozenset[str]
    is_doc: Callable[[Node], bool] = lambda _node: False
    doc_types: frozenset[str] = frozenset()  # only nodes of these types are asked is_doc()


def token_streams(
    root: Node, rules: TokenRules, body: Node | None = None
) -> tuple[list[str], list[str]]:
    """Return (code tokens, comment tokens) of ``root``; strings count as one token each."""
    code, comments, _ = _tokens(root, rules, body)
    return code, comments


def token_streams_with_body(
    root: Node, rules: TokenRules, body: Node
) -> tuple[list[str], list[str], list[str]]:
    """Return code and comment tokens of ``root`` and the code tokens of ``body`` within it."""
    return _tokens(root, rules, body)


def _tokens(
    root: Node, rules: TokenRules, body: Node | None
) -> tuple[list[str], list[str], list[str]]:
    """Walk ``root`` once (the hot path of the differ: keep it lean)."""
    comment_types, string_types = rules.comment_types, rules.string_types
    doc_types, is_doc = rules.doc_types, rules.is_doc
    source = root.text or b""
    base = root.start_byte
    ascii_only = source.isascii()
    decoded = source.decode("ascii") if ascii_only else ""
    body_low = body.start_byte if body is not None else -1
    body_high = body.end_byte if body is not None else -1
    code: list[str] = []
    starts: list[int] = []
    comments: list[str] = []
    cursor = root.walk()
    depth = 0
    while True:
        node = cursor.node
        assert node is not None
        kind = node.type
        if kind in comment_types or (kind in doc_types and is_doc(node)):
            comments.append(squash(text(node)))
        elif kind in string_types:
            code.append(normalize_string(text(node)))
            starts.append(node.start_byte)
        elif cursor.goto_first_child():
            depth += 1
            continue
        else:
            low, high = node.start_byte, node.end_byte
            token = decoded[low - base : high - base] if ascii_only else text(node)
            if token and not token.isspace():
                # Leaf text with inner whitespace (JSX text, heredocs) compares by its words.
                code.append(squash(token) if " " in token or "\n" in token else token)
                starts.append(low)
        while True:
            if depth == 0:
                tokens = drop_trailing_commas(code)
                if body is None:
                    return tokens, comments, tokens
                if len(tokens) != len(code):
                    kept = [
                        start
                        for index, start in enumerate(starts)
                        if not (
                            code[index] == ","
                            and index + 1 < len(code)
                            and code[index + 1] in _CLOSERS
                        )
                    ]
                    starts = kept
                body_tokens = [
                    token
                    for token, start in zip(tokens, starts, strict=True)
                    if body_low <= start < body_high
                ]
                return tokens, comments, body_tokens
            if cursor.goto_next_sibling():
                break
            cursor.goto_parent()
            depth -= 1


@dataclass(frozen=True)
class Param:
    """One declared parameter: name (with * or ** for Python splats), type and default."""

    name: str
    type: str = ""
    default: str = ""


@dataclass
class Definition:
    """A function, class, import, constant or test found in a file."""

    kind: str  # function | class | import | constant | test
    name: str
    scope: str
    node: Node
    rules: TokenRules
    body: Node | None = None
    params: tuple[Param, ...] = ()
    return_type: str = ""
    decorators: tuple[str, ...] = ()
    visibility: str = ""
    concurrency: str = ""  # the function's own concurrency modifier: async, synchronized
    bases: tuple[str, ...] = ()
    value: str = ""
    members: tuple[str, ...] = ()
    skipped: bool = False
    start: int = 0
    end: int = 0
    prefix: tuple[
        Node, ...
    ] = ()  # nodes before ``node`` that belong to it (attributes, decorators)
    markers: tuple[str, ...] = ()  # tokens the definition inherits (an enclosing ``describe.skip``)
    bodiless: bool = False  # a signature without a body (interface, trait, prototype)

    def __post_init__(self) -> None:
        if not self.start:
            self.start = line_of(self.node)
        if not self.end:
            self.end = end_line_of(self.node)

    @property
    def qualname(self) -> str:
        """The name qualified by its enclosing scopes (``Client.fetch``)."""
        return f"{self.scope}.{self.name}" if self.scope else self.name

    @cached_property
    def raw(self) -> bytes:
        """The definition's exact source bytes, after its markers and prefix nodes."""
        if not self.prefix and not self.markers:
            return self.node.text or b""
        parts = [marker.encode() for marker in self.markers]
        parts.extend(node.text or b"" for node in (*self.prefix, self.node))
        return b"\n".join(parts)

    @cached_property
    def _walked(self) -> tuple[list[str], list[str], list[str]]:
        """One walk: code tokens, comment tokens and the body's code tokens."""
        code = list(self.markers)
        comments: list[str] = []
        for node in self.prefix:
            node_code, node_comments = token_streams(node, self.rules)
            code.extend(node_code)
            comments.extend(node_comments)
        if self.body is not None and not self.bodiless:
            node_code, node_comments, body = token_streams_with_body(
                self.node, self.rules, self.body
            )
        else:
            node_code, node_comments = token_streams(self.node, self.rules)
            body = []
        code.extend(node_code)
        comments.extend(node_comments)
        if self.body is None and not self.bodiless:
            body = code
        return code, comments, body

    @property
    def streams(self) -> tuple[list[str], list[str]]:
        """Code and comment token streams of the markers, prefix nodes and the definition."""
        walked = self._walked
        return walked[0], walked[1]

    @property
    def tokens(self) -> list[str]:
        """Code tokens (comments and docstrings excluded, quoting normalized)."""
        return self._walked[0]

    @property
    def body_tokens(self) -> list[str]:
        """Code tokens of the body alone (for rename and move similarity); none if bodiless."""
        return self._walked[2]


@dataclass(frozen=True)
class Call:
    """A call site: callee (argument lists stripped) and its arguments' text."""

    callee: str
    args: str
    line: int
    in_header: bool = False

    @property
    def key(self) -> str:
        """The call as compared in sequence alignment."""
        return f"{self.callee}({self.args})"


@dataclass(frozen=True)
class Assertion:
    """An assertion in a test: its text, how much it checks, and an expected exception."""

    text: str
    strength: int
    line: int
    expects: str = ""


@dataclass(frozen=True)
class Fact:
    """A keyed fact at a line (a condition, a raise type, a return value...)."""

    key: str
    line: int
    detail: str = ""


@dataclass
class Facts:
    """Everything the body comparison looks at, in source order."""

    calls: list[Call] = field(default_factory=list)
    raises: list[Fact] = field(default_factory=list)
    handlers: list[Fact] = field(default_factory=list)
    conditions: list[Fact] = field(default_factory=list)
    elses: list[Fact] = field(default_factory=list)
    loops: list[Fact] = field(default_factory=list)
    returns: list[Fact] = field(default_factory=list)
    assertions: list[Assertion] = field(default_factory=list)
    skips: list[Fact] = field(default_factory=list)
    concurrency: list[Fact] = field(default_factory=list)
    sensitive: list[Fact] = field(default_factory=list)
    secrets: list[Fact] = field(default_factory=list)


CALLEE_ARGS = re.compile(r"\((?:[^()]|\([^()]*\))*\)")


def callee_name(callee_text: str) -> str:
    """Return a callee with whitespace and nested argument lists removed (``a.b().c``)."""
    flat = compact(callee_text)
    return CALLEE_ARGS.sub("()", flat) if "(" in flat else flat


_EQUALITY = ("assertEqual", "assertEquals", "assertIs", "assertDictEqual", "assertListEqual")
STRONG_ASSERTIONS = frozenset(
    {
        *_EQUALITY,
        "assertSequenceEqual",
        "assertSetEqual",
        "assertTupleEqual",
        "assertCountEqual",
        "assertMultiLineEqual",
        "assertAlmostEqual",
        "assertRaises",
        "assertRaisesRegex",
        "assertSame",
        "assertArrayEquals",
        "assertIterableEquals",
        "assertLinesMatch",
        "assertThrows",
        "assertThat",
        "toBe",
        "toEqual",
        "toStrictEqual",
        "toHaveBeenCalledWith",
        "toHaveBeenCalledTimes",
        "toThrow",
        "toThrowError",
        "toMatchObject",
        "toMatchSnapshot",
        "toHaveProperty",
        "Equal",
        "Equalf",
        "EqualValues",
        "Exactly",
        "ErrorIs",
        "Same",
        "JSONEq",
        "assert_eq",
        "raises",
    }
)
MEDIUM_ASSERTIONS = frozenset(
    {
        "assertIn",
        "assertNotIn",
        "assertGreater",
        "assertGreaterEqual",
        "assertLess",
        "assertLessEqual",
        "assertNotEqual",
        "assertNotEquals",
        "assertRegex",
        "assertIsInstance",
        "assertWarns",
        "assertLogs",
        "toContain",
        "toContainEqual",
        "toMatch",
        "toHaveLength",
        "toBeGreaterThan",
        "toBeGreaterThanOrEqual",
        "toBeLessThan",
        "toBeLessThanOrEqual",
        "toBeCloseTo",
        "toBeInstanceOf",
        "Contains",
        "Len",
        "Greater",
        "Less",
        "NotEqual",
        "ErrorContains",
        "IsType",
        "assert_ne",
    }
)
BROAD_EXCEPTIONS = frozenset(
    {"Exception", "BaseException", "Throwable", "Error", "RuntimeException", "object"}
)


def assertion_strength(method: str, checked: str) -> int:
    """Return 3 (exact), 2 (relational/membership) or 1 (truthiness, not-none) for an assertion."""
    if method in STRONG_ASSERTIONS:
        return 3
    if method in MEDIUM_ASSERTIONS:
        return 2
    if method in {"assert", "assert!", "debug_assert", "Assert", "True", "False", "ok"}:
        return comparison_strength(checked)
    return 1


_COMPARISON = re.compile(r"(==|!=|<=|>=|<|>|\bin\b|\bnot in\b|\bis not\b|\bis\b)")


def comparison_strength(expression: str) -> int:
    """Return the strength of a bare boolean assertion from its comparison operator."""
    found = _COMPARISON.findall(expression)
    if not found:
        return 1
    operator = found[0]
    if operator in {"is not", "is"} and re.search(r"\b(None|null|nil)\b", expression):
        return 1
    if operator in {"!="} and re.search(r"\b(None|null|nil)\b", expression):
        return 1
    if operator in {"==", "is"}:
        return 3
    return 2
