"""Properties of the semantic differ, checked on generated code, bytes and patches (hypothesis).

The generators produce small but realistic modules (functions with parameters and defaults,
branches, loops, calls, classes) so that the properties exercise the real comparison paths,
not only the "old == new" shortcut.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tidegate.diff import (
    FileChange,
    PatchError,
    diff_files,
    diff_patch,
)
from tidegate.diff.compare import Comparer
from tidegate.diff.languages import parser, source_language, support
from tidegate.diff.patch import apply_hunks, parse_patch
from tidegate.diff.syntax import token_streams
from tidegate.schemas import schema_errors

SCHEMA = "semantic-diff"  # schemas.validator() appends ".schema.json"

FAST = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NAMES = ("a", "b", "value", "count", "items", "total", "result", "key", "limit", "node")
FUNCS = ("fetch", "load", "save", "process", "helper", "compute", "check", "render")
CALLEES = ("print", "len", "helper", "self_check", "os.path.join", "time.sleep", "log.info")
WORDS = ("x", "ok", "done", "user", "retry", "spam eggs", "a-b", "")
CLASSES = ("Client", "Store", "Cache", "Worker")


# --------------------------------------------------------------------------------------------
# Python generator
# --------------------------------------------------------------------------------------------


@st.composite
def py_expr(draw: st.DrawFn, depth: int = 0) -> str:
    choice = draw(st.integers(0, 5 if depth < 2 else 2))
    if choice == 0:
        return str(draw(st.integers(0, 1000)))
    if choice == 1:
        return draw(st.sampled_from(NAMES))
    if choice == 2:
        return "'" + draw(st.sampled_from(WORDS)) + "'"
    if choice == 3:
        args = draw(st.lists(py_expr(depth + 1), max_size=3))
        return f"{draw(st.sampled_from(CALLEES))}({', '.join(args)})"
    if choice == 4:
        op = draw(st.sampled_from(["+", "-", "*", "==", "<", "and", "or"]))
        return f"{draw(py_expr(depth + 1))} {op} {draw(py_expr(depth + 1))}"
    return "[" + ", ".join(draw(st.lists(py_expr(depth + 1), max_size=3))) + "]"


@st.composite
def py_block(draw: st.DrawFn, indent: int, depth: int = 0) -> list[str]:
    pad = "    " * indent
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.integers(0, 7 if depth < 2 else 3))
        if choice == 0:
            lines.append(f"{pad}{draw(st.sampled_from(NAMES))} = {draw(py_expr())}")
        elif choice == 1:
            lines.append(f"{pad}{draw(st.sampled_from(CALLEES))}({draw(py_expr())})")
        elif choice == 2:
            lines.append(f"{pad}return {draw(py_expr())}")
        elif choice == 3:
            lines.append(f"{pad}raise ValueError('{draw(st.sampled_from(WORDS))}')")
        elif choice == 4:
            lines.append(f"{pad}if {draw(py_expr())}:")
            lines.extend(draw(py_block(indent + 1, depth + 1)))
            if draw(st.booleans()):
                lines.append(f"{pad}else:")
                lines.extend(draw(py_block(indent + 1, depth + 1)))
        elif choice == 5:
            target = draw(st.sampled_from(NAMES))
            lines.append(f"{pad}for {target} in range({draw(py_expr())}):")
            lines.extend(draw(py_block(indent + 1, depth + 1)))
        elif choice == 6:
            lines.append(f"{pad}while {draw(py_expr())}:")
            lines.extend(draw(py_block(indent + 1, depth + 1)))
        else:
            lines.append(f"{pad}try:")
            lines.extend(draw(py_block(indent + 1, depth + 1)))
            error = draw(st.sampled_from(["ValueError", "KeyError", "Exception"]))
            lines.append(f"{pad}except {error}:")
            lines.extend(draw(py_block(indent + 1, depth + 1)))
    return lines


@st.composite
def py_params(draw: st.DrawFn, method: bool = False) -> str:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    params = ["self"] if method else []
    with_default = False
    for name in names:
        with_default = with_default or draw(st.booleans())
        params.append(f"{name}={draw(py_expr(2))}" if with_default else name)
    return ", ".join(params)


@st.composite
def py_function(draw: st.DrawFn, name: str, indent: int = 0, method: bool = False) -> list[str]:
    pad = "    " * indent
    lines = []
    if draw(st.booleans()):
        lines.append(f"{pad}@{draw(st.sampled_from(['cache', 'staticmethod', 'retry(3)']))}")
    lines.append(f"{pad}def {name}({draw(py_params(method))}):")
    lines.extend(draw(py_block(indent + 1)))
    return lines


@st.composite
def python_module(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for module in draw(st.lists(st.sampled_from(["os", "time", "json", "logging"]), unique=True)):
        lines.append(f"import {module}")
    for index in range(draw(st.integers(0, 2))):
        lines.append(f"LIMIT_{index} = {draw(st.integers(0, 99))}")
    if lines:
        lines += ["", ""]
    names = draw(st.lists(st.sampled_from(FUNCS), unique=True, min_size=1, max_size=3))
    for name in names:
        lines.extend(draw(py_function(name)))
        lines += ["", ""]
    for name in draw(st.lists(st.sampled_from(CLASSES), unique=True, max_size=2)):
        base = draw(st.sampled_from(["", "(Base)", "(object)"]))
        lines.append(f"class {name}{base}:")
        methods = draw(st.lists(st.sampled_from(FUNCS), unique=True, min_size=1, max_size=2))
        for index, method in enumerate(methods):
            if index:
                lines.append("")
            lines.extend(draw(py_function(method, 1, method=True)))
        lines += ["", ""]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# JavaScript and Go generators
# --------------------------------------------------------------------------------------------


@st.composite
def c_expr(draw: st.DrawFn, depth: int = 0, go: bool = False) -> str:
    choice = draw(st.integers(0, 4 if depth < 2 else 2))
    if choice == 0:
        return str(draw(st.integers(0, 1000)))
    if choice == 1:
        return draw(st.sampled_from(NAMES))
    if choice == 2:
        quote = '"' if go else draw(st.sampled_from(["'", '"']))
        return quote + draw(st.sampled_from(WORDS)) + quote
    if choice == 3:
        callee = draw(st.sampled_from(["fmt.Println", "helper", "strings.ToUpper"]))
        if not go:
            callee = draw(st.sampled_from(["console.log", "helper", "Math.max", "fetchData"]))
        args = draw(st.lists(c_expr(depth + 1, go), max_size=3))
        return f"{callee}({', '.join(args)})"
    op = draw(st.sampled_from(["+", "-", "*", "==", "<", "&&"]))
    return f"{draw(c_expr(depth + 1, go))} {op} {draw(c_expr(depth + 1, go))}"


@st.composite
def c_block(draw: st.DrawFn, indent: int, go: bool, depth: int = 0) -> list[str]:
    pad = "\t" * indent if go else "  " * indent
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.integers(0, 5 if depth < 2 else 2))
        name = draw(st.sampled_from(NAMES))
        if choice == 0:
            assign = f"{name} := " if go else f"let {name} = "
            lines.append(f"{pad}{assign}{draw(c_expr(go=go))}" + ("" if go else ";"))
        elif choice == 1:
            lines.append(f"{pad}helper({draw(c_expr(go=go))})" + ("" if go else ";"))
        elif choice == 2:
            lines.append(f"{pad}return {draw(c_expr(go=go))}" + ("" if go else ";"))
        elif choice == 3:
            condition = draw(c_expr(go=go))
            lines.append(f"{pad}if {condition} {{" if go else f"{pad}if ({condition}) {{")
            lines.extend(draw(c_block(indent + 1, go, depth + 1)))
            lines.append(f"{pad}}}")
        elif choice == 4:
            limit = draw(st.integers(1, 10))
            header = (
                f"for {name} := 0; {name} < {limit}; {name}++"
                if go
                else f"for (let {name} = 0; {name} < {limit}; {name}++)"
            )
            lines.append(f"{pad}{header} {{")
            lines.extend(draw(c_block(indent + 1, go, depth + 1)))
            lines.append(f"{pad}}}")
        else:
            if go:
                lines.append(f"{pad}if err := helper({name}); err != nil {{")
                lines.append(f"{pad}\tpanic(err)")
            else:
                lines.append(f"{pad}try {{")
                lines.extend(draw(c_block(indent + 1, go, depth + 1)))
                lines.append(f"{pad}}} catch (err) {{")
                lines.append(f"{pad}  throw new Error('{draw(st.sampled_from(WORDS))}');")
            lines.append(f"{pad}}}")
    return lines


@st.composite
def javascript_module(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.booleans()):
        lines += ["const fs = require('fs');", ""]
    for name in draw(st.lists(st.sampled_from(FUNCS), unique=True, min_size=1, max_size=3)):
        params = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3))
        rendered = [
            f"{p} = {draw(st.integers(0, 9))}" if draw(st.booleans()) else p for p in params
        ]
        export = draw(st.sampled_from(["", "export "]))
        lines.append(f"{export}function {name}({', '.join(rendered)}) {{")
        lines.extend(draw(c_block(1, go=False)))
        lines += ["}", ""]
    return "\n".join(lines)


@st.composite
def go_module(draw: st.DrawFn) -> str:
    lines = ["package main", "", 'import "fmt"', ""]
    for name in draw(st.lists(st.sampled_from(FUNCS), unique=True, min_size=1, max_size=3)):
        params = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3))
        exported = name.capitalize() if draw(st.booleans()) else name
        signature = ", ".join(f"{p} int" for p in params)
        lines.append(f"func {exported}({signature}) int {{")
        lines.extend(draw(c_block(1, go=True)))
        lines += ["\treturn 0", "}", ""]
    lines += ["func use() { fmt.Println() }", ""]
    return "\n".join(lines)


def parses(path: str, source: str) -> bool:
    language = source_language(path)
    assert language is not None
    return not parser(language).parse(source.encode()).root_node.has_error


def kinds_of(path: str, old: bytes | None, new: bytes | None) -> list[str]:
    result = diff_files([FileChange(path=path, old=old, new=new)])
    return [change.kind for change in result.changes]


def compare_with_itself(path: str, source: str) -> None:
    """Parse ``source`` twice (independent trees) and compare it with itself, below the
    ``old == new`` shortcut of the public API: no change, no code change, no comment change."""
    language = source_language(path)
    assert language is not None
    lang = support(language)
    old_tree = parser(language).parse(source.encode())
    new_tree = parser(language).parse(source.encode())
    comparison = Comparer(path, lang).compare(
        lang.definitions(old_tree.root_node, path), lang.definitions(new_tree.root_node, path)
    )
    assert comparison.changes == []
    assert not comparison.code_changed
    assert not comparison.comments_changed
    assert comparison.unmatched_old == [] and comparison.unmatched_new == []
    assert token_streams(old_tree.root_node, lang.rules) == token_streams(
        new_tree.root_node, lang.rules
    )


# --------------------------------------------------------------------------------------------
# (a) a module compared with itself has no changes
# --------------------------------------------------------------------------------------------


@FAST
@given(python_module())
def test_python_module_with_itself_has_no_changes(source: str) -> None:
    assert parses("m.py", source), source
    assert kinds_of("m.py", source.encode(), source.encode()) == []
    compare_with_itself("m.py", source)


@FAST
@given(javascript_module())
def test_javascript_module_with_itself_has_no_changes(source: str) -> None:
    assert parses("m.js", source), source
    assert kinds_of("m.js", source.encode(), source.encode()) == []
    compare_with_itself("m.js", source)


@FAST
@given(go_module())
def test_go_module_with_itself_has_no_changes(source: str) -> None:
    assert parses("m.go", source), source
    assert kinds_of("m.go", source.encode(), source.encode()) == []
    compare_with_itself("m.go", source)


KEEP = "def untouched():\n    return 0\n"


@FAST
@given(python_module())
def test_code_moved_between_files_is_moves_not_removals(source: str) -> None:
    """A module's code cut from one file and pasted into another (both kept): every function
    is function.moved, none is function.removed/function.added."""
    result = diff_files(
        [
            FileChange(
                path="old_home.py", old=(KEEP + "\n\n" + source).encode(), new=KEEP.encode()
            ),
            FileChange(
                path="new_home.py", old=KEEP.encode(), new=(KEEP + "\n\n" + source).encode()
            ),
        ]
    )
    kinds = [change.kind for change in result.changes]
    assert "function.removed" not in kinds
    assert "function.added" not in kinds
    top_level = re.findall(r"^def (\w+)\(", source, flags=re.MULTILINE)
    moved = {change.symbol for change in result.changes if change.kind == "function.moved"}
    assert set(top_level) <= moved
    assert schema_errors(result.to_json(), SCHEMA) == []


@pytest.mark.parametrize("target", ["added", "removed"])
def test_function_moved_into_a_new_file_or_out_of_a_deleted_file_is_moved(target: str) -> None:
    function = (
        "def fetch(a, b=1):\n    x = helper(a)\n    if x:\n        return b\n    return x + 1\n"
    )
    with_it = (KEEP + "\n\n" + function).encode()
    if target == "added":  # extract a function into a new module
        changes = [
            FileChange(path="big.py", old=with_it, new=KEEP.encode()),
            FileChange(path="small.py", old=None, new=function.encode()),
        ]
    else:  # fold a deleted module into an existing one
        changes = [
            FileChange(path="small.py", old=function.encode(), new=None),
            FileChange(path="big.py", old=KEEP.encode(), new=with_it),
        ]
    kinds = diff_files(changes).kinds()
    assert "function.moved" in kinds
    assert not kinds & {"function.removed", "function.added"}


# --------------------------------------------------------------------------------------------
# (b) pure reformatting is exactly one formatting.only
# --------------------------------------------------------------------------------------------


def reindent_python(source: str) -> str:
    """Re-indent 4-space Python to 2 spaces (every line's leading spaces halved)."""
    out = []
    for line in source.splitlines(keepends=True):
        stripped = line.lstrip(" ")
        width = len(line) - len(stripped)
        assert width % 4 == 0
        out.append(" " * (width // 2) + stripped)
    return "".join(out)


_SINGLE = re.compile(r"'([^'\"\\\n]*)'")
_DOUBLE = re.compile(r"\"([^'\"\\\n]*)\"")


def swap_quotes(source: str) -> str:
    """Swap 'a' <-> "a" for every simple literal (no quote or backslash inside)."""
    marker = "\x00"
    source = _SINGLE.sub(lambda m: f"{marker}{m.group(1)}{marker}", source)
    source = _DOUBLE.sub(lambda m: f"'{m.group(1)}'", source)
    return source.replace(marker, '"')


def add_blank_lines(source: str, where: list[int]) -> str:
    lines = source.splitlines(keepends=True)
    for index in sorted({w % (len(lines) + 1) for w in where}, reverse=True):
        lines.insert(index, "\n")
    return "".join(lines)


def add_trailing_whitespace(source: str, where: list[int], pad: str) -> str:
    lines = source.splitlines(keepends=True)
    for index in {w % len(lines) for w in where}:
        body = lines[index].removesuffix("\n")
        lines[index] = body + pad + ("\n" if lines[index].endswith("\n") else "")
    return "".join(lines)


REFORMATS = ("reindent", "quotes", "blank_lines", "trailing_whitespace", "all")


def reformat(source: str, how: str, where: list[int], pad: str, python: bool) -> str:
    if how in {"reindent", "all"} and python:
        source = reindent_python(source)
    if how in {"quotes", "all"}:
        source = swap_quotes(source)
    if how in {"blank_lines", "all"}:
        source = add_blank_lines(source, where)
    if how in {"trailing_whitespace", "all"}:
        source = add_trailing_whitespace(source, where, pad)
    return source


WHERE = st.lists(st.integers(0, 10_000), min_size=1, max_size=5)
PAD = st.sampled_from([" ", "  ", "\t", " \t "])


def test_reformatters_change_the_text() -> None:
    """The reformatters used below really change the text (so the property can fail)."""
    source = "def f(a='x'):\n    if a:\n        return \"y\"\n"
    assert reindent_python(source) == "def f(a='x'):\n  if a:\n    return \"y\"\n"
    assert swap_quotes(source) == "def f(a=\"x\"):\n    if a:\n        return 'y'\n"
    assert add_blank_lines(source, [1]) == "def f(a='x'):\n\n    if a:\n        return \"y\"\n"
    assert add_trailing_whitespace(source, [0], " ").startswith("def f(a='x'): \n")


@FAST
@given(python_module(), st.sampled_from(REFORMATS), WHERE, PAD)
def test_python_reformatting_is_exactly_one_formatting_only(
    source: str, how: str, where: list[int], pad: str
) -> None:
    after = reformat(source, how, where, pad, python=True)
    assume(after != source)
    assert parses("m.py", after), after
    result = diff_files([FileChange(path="m.py", old=source.encode(), new=after.encode())])
    assert [change.kind for change in result.changes] == ["formatting.only"], (source, after)
    assert result.files[0].analysed


@FAST
@given(javascript_module(), st.sampled_from(REFORMATS), WHERE, PAD)
def test_javascript_reformatting_is_exactly_one_formatting_only(
    source: str, how: str, where: list[int], pad: str
) -> None:
    after = reformat(source, how, where, pad, python=False)
    if how in {"reindent", "all"}:
        after = after.replace("  ", "\t")  # JavaScript: re-indent with tabs
    assume(after != source)
    assert parses("m.js", after), after
    assert kinds_of("m.js", source.encode(), after.encode()) == ["formatting.only"]


@FAST
@given(go_module(), st.sampled_from(["blank_lines", "trailing_whitespace"]), WHERE, PAD)
def test_go_layout_changes_are_exactly_one_formatting_only(
    source: str, how: str, where: list[int], pad: str
) -> None:
    after = reformat(source, how, where, pad, python=False)
    assume(after != source)
    assert kinds_of("m.go", source.encode(), after.encode()) == ["formatting.only"]


def test_a_real_change_next_to_reformatting_is_not_formatting_only() -> None:
    """The reformatting property is not vacuous: changing a default while reformatting is
    reported as the default change, not formatting."""
    source = "def f(a, b='x'):\n    return helper(a, b)\n"
    after = reindent_python(swap_quotes(source)).replace('b="x"', 'b="y"')
    assert kinds_of("m.py", source.encode(), after.encode()) == ["function.param.default_changed"]


def test_rust_char_to_string_literal_is_not_formatting() -> None:
    old = b"fn f(s: &str) -> bool {\n    let c = 'a';\n    s.contains(c)\n}\n"
    new = b'fn f(s: &str) -> bool {\n    let c = "a";\n    s.contains(c)\n}\n'
    assert "formatting.only" not in kinds_of("lib.rs", old, new)


def test_go_rune_to_string_literal_is_not_formatting() -> None:
    old = b"package main\n\nfunc f() rune {\n\treturn 'a'\n}\n"
    new = b'package main\n\nfunc f() rune {\n\treturn "a"\n}\n'
    assert "formatting.only" not in kinds_of("m.go", old, new)


# --------------------------------------------------------------------------------------------
# (c) the JSON document always validates
# --------------------------------------------------------------------------------------------


def mutate(source: str, edits: list[tuple[int, str]]) -> str:
    """Apply small line-level edits: replace, delete, duplicate or insert lines."""
    lines = source.splitlines(keepends=True)
    for position, action in edits:
        if not lines:
            break
        index = position % len(lines)
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "default":
            lines[index] = re.sub(r"=(\d+)", lambda m: f"={int(m.group(1)) + 1}", lines[index])
        elif action == "callee":
            lines[index] = lines[index].replace("helper(", "asyncio.sleep(")
        elif action == "number":
            lines[index] = re.sub(r"\b(\d+)\b", lambda m: str(int(m.group(1)) * 2), lines[index])
        elif action == "rename":
            lines[index] = lines[index].replace("value", "renamed")
        else:
            lines.insert(index, action)
    return "".join(lines)


EDITS = st.lists(
    st.tuples(
        st.integers(0, 10_000),
        st.sampled_from(
            [
                "delete",
                "duplicate",
                "default",
                "callee",
                "number",
                "rename",
                "    eval(value)\n",
                "    os.system(value)\n",
                "password = 'Zx8vQ2mN7pL4kR9sT3wY6'\n",
                "def (\n",
            ]
        ),
    ),
    max_size=4,
)


def assert_valid(document: dict[str, object]) -> None:
    errors = schema_errors(document, SCHEMA)
    assert errors == [], errors


@FAST
@given(python_module(), python_module(), EDITS, st.sampled_from(["modify", "add", "remove"]))
def test_json_of_generated_python_pairs_validates(
    before: str, other: str, edits: list[tuple[int, str]], mode: str
) -> None:
    after = mutate(before, edits)
    changes = [
        FileChange(path="pkg/a.py", old=before.encode(), new=after.encode()),
        FileChange(path="pkg/b.py", old=other.encode(), new=before.encode(), old_path="b_old.py"),
    ]
    if mode == "add":
        changes.append(FileChange(path="pkg/c.py", old=None, new=after.encode()))
    elif mode == "remove":
        changes.append(FileChange(path="pkg/c.py", old=after.encode(), new=None))
    result = diff_files(changes)
    document = result.to_json()
    assert_valid(document)
    summary = document["summary"]
    assert isinstance(summary, dict)
    assert summary["changes"] == len(result.changes)
    assert summary["files"] == len(changes)


@FAST
@given(
    st.sampled_from([(javascript_module(), "m.js"), (go_module(), "m.go")]).flatmap(
        lambda pair: st.tuples(pair[0], pair[0], st.just(pair[1]))
    ),
    EDITS,
)
def test_json_of_generated_js_and_go_pairs_validates(
    modules: tuple[str, str, str], edits: list[tuple[int, str]]
) -> None:
    before, other, path = modules
    after = mutate(before, edits)
    result = diff_files(
        [
            FileChange(path=path, old=before.encode(), new=after.encode()),
            FileChange(path="x_" + path, old=before.encode(), new=other.encode()),
        ]
    )
    assert_valid(result.to_json())


def test_three_new_calls_on_one_line_are_not_a_pattern() -> None:
    result = diff_files(
        [
            FileChange(
                path="m.py",
                old=b"def f():\n    return 0\n",
                new=b"def f():\n    return g(1) + g(2) + g(3)\n",
            )
        ]
    )
    assert [c.kind for c in result.changes].count("call.added") == 3
    assert all(len(pattern.sites) >= 3 for pattern in result.patterns)
    assert_valid(result.to_json())


CONFIG_TEXT = st.text(
    alphabet=st.sampled_from(list("abkv019 =:[]{}\",'\n\t-.#_")), min_size=0, max_size=120
)


@FAST
@given(
    st.sampled_from(
        [
            "config.json",
            "package.json",
            "settings.yaml",
            "ci.yml",
            "pyproject.toml",
            "Cargo.toml",
            "requirements.txt",
        ]
    ),
    st.one_of(st.none(), CONFIG_TEXT),
    st.one_of(st.none(), CONFIG_TEXT),
)
def test_json_of_arbitrary_config_pairs_validates(
    path: str, old: str | None, new: str | None
) -> None:
    result = diff_files(
        [
            FileChange(
                path=path,
                old=None if old is None else old.encode(),
                new=None if new is None else new.encode(),
            )
        ]
    )
    assert_valid(result.to_json())


# --------------------------------------------------------------------------------------------
# (d) arbitrary bytes never raise
# --------------------------------------------------------------------------------------------

BYTES_PATHS = ("m.py", "m.go", "data.json", "conf.yaml", "conf.toml", "m.js", "lib.rs")
NOT_ANALYSED = {"parse.failed", "file.binary"}


def realistic_or_random_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        python_module().map(str.encode),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.binary(max_size=40).map(lambda b: b"def f(a=1):\n    return a\n" + b),
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(BYTES_PATHS),
    realistic_or_random_bytes(),
    realistic_or_random_bytes(),
)
@example("m.py", b"def f():\n    return 1\n", b"def f():\n    return \xff\n")
@example("m.py", b"x = 1\n", b"x = 1\x00\n")
@example("data.json", b"{}", b"\xfe\xff")
def test_arbitrary_bytes_never_raise(path: str, old: bytes, new: bytes) -> None:
    result = diff_files([FileChange(path=path, old=old, new=new)])
    (item,) = result.files
    kinds = {change.kind for change in item.changes}
    assert_valid(result.to_json())
    if not item.analysed:
        assert item.reason in {"binary", "parse_failed"}
        assert kinds & NOT_ANALYSED, kinds
    if b"\x00" in old[:8192] or b"\x00" in new[:8192]:
        assert kinds == {"file.binary"}
    else:
        valid_utf8 = True
        try:
            old.decode("utf-8")
            new.decode("utf-8")
        except UnicodeDecodeError:
            valid_utf8 = False
        if not valid_utf8 and old != new:
            assert "parse.failed" in kinds
            assert not item.analysed


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(BYTES_PATHS), realistic_or_random_bytes())
def test_arbitrary_bytes_added_or_removed_never_raise(path: str, content: bytes) -> None:
    for old, new in ((None, content), (content, None)):
        result = diff_files([FileChange(path=path, old=old, new=new)])
        kinds = result.kinds()
        assert ("file.added" if old is None else "file.removed") in kinds
        assert_valid(result.to_json())


@pytest.mark.parametrize("side", ["added", "removed"])
def test_added_or_removed_go_mod_does_not_raise(side: str) -> None:
    content = b"module example.com/m\n\ngo 1.22\n\nrequire golang.org/x/mod v0.20.0\n"
    old, new = (None, content) if side == "added" else (content, None)
    result = diff_files([FileChange(path="go.mod", old=old, new=new)])
    assert f"file.{side if side == 'added' else 'removed'}" in result.kinds()


# --------------------------------------------------------------------------------------------
# (e) arbitrary patch text either parses or raises PatchError
# --------------------------------------------------------------------------------------------

BASE_FILES = {
    "m.py": b"import os\n\n\ndef f(a, b=1):\n    if a:\n        return os.getcwd()\n"
    b"    return b\n\n\ndef g():\n    return 2\n",
    "lib/util.go": b"package lib\n\nfunc Add(a int, b int) int {\n\treturn a + b\n}\n",
    "README.md": b"# Title\n\nSome text.\n",
}
# A lone "." line stands for a blank context line (" "), which editors and linters strip.
REAL_PATCH = re.sub(
    r"(?m)^\.$",
    " ",
    """diff --git a/m.py b/m.py
index 1111111..2222222 100644
--- a/m.py
+++ b/m.py
@@ -1,7 +1,7 @@
 import os
.
.
-def f(a, b=1):
+def f(a, b=2):
     if a:
         return os.getcwd()
     return b
@@ -9,3 +9,4 @@ def f(a, b=1):
.
 def g():
-    return 2
+    helper()
+    return 3
diff --git a/lib/util.go b/lib/util.go
--- a/lib/util.go
+++ b/lib/util.go
@@ -1,5 +1,5 @@
 package lib
.
-func Add(a int, b int) int {
-\treturn a + b
+func Add(a int, b int, c int) int {
+\treturn a + b + c
 }
diff --git a/README.md b/README.md
deleted file mode 100644
--- a/README.md
+++ /dev/null
@@ -1,3 +0,0 @@
-# Title
-
-Some text.
diff --git a/new.py b/new.py
new file mode 100644
--- /dev/null
+++ b/new.py
@@ -0,0 +1,2 @@
+def h():
+    return 0
""",
)


def read_base(path: str) -> bytes | None:
    return BASE_FILES.get(path)


def only_patch_errors(text: str) -> None:
    """diff_patch either returns a schema-valid result or raises PatchError, nothing else."""
    try:
        result = diff_patch(text, read_base)
    except PatchError as exc:
        message = str(exc)
    else:
        assert_valid(result.to_json())
        return
    assert message.strip()


def test_the_real_patch_applies() -> None:
    result = diff_patch(REAL_PATCH, read_base)
    kinds = result.kinds()
    assert {
        "function.param.default_changed",
        "function.param.added",
        "file.removed",
        "file.added",
        "return.value_changed",
    } <= kinds


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_is_a_result_or_a_patch_error(text: str) -> None:
    only_patch_errors(text)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "--- a/m.py\n",
                "+++ b/m.py\n",
                "--- /dev/null\n",
                "+++ /dev/null\n",
                "@@ -1,3 +1,3 @@\n",
                "@@ -0,0 +1 @@\n",
                "@@ -1 +0,0 @@\n",
                "@@ -4 +4 @@\n",
                "-def f(a, b=1):\n",
                "+def f(a, b=2):\n",
                " import os\n",
                " \n",
                "\\ No newline at end of file\n",
                "diff --git a/m.py b/m.py\n",
                "rename from m.py\n",
                "rename to n.py\n",
                "Binary files a/x.png and b/x.png differ\n",
                "new file mode 100644\n",
                "deleted file mode 100644\n",
                "garbage\n",
                "\n",
            ]
        ),
        max_size=14,
    )
)
def test_patch_shaped_line_soup_is_a_result_or_a_patch_error(lines: list[str]) -> None:
    only_patch_errors("".join(lines))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(REAL_PATCH)))
def test_a_truncated_real_patch_is_a_result_or_a_patch_error(cut: int) -> None:
    only_patch_errors(REAL_PATCH[:cut])


HEADER_CHARS = st.sampled_from(list("0123456789,+- @x\t"))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_flipped_characters_in_hunk_headers_are_a_result_or_a_patch_error(
    data: st.DataObject,
) -> None:
    lines = REAL_PATCH.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if line.startswith("@@")]
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.sampled_from(headers))
        line = lines[index]
        position = data.draw(st.integers(0, len(line) - 2))
        lines[index] = line[:position] + data.draw(HEADER_CHARS) + line[position + 1 :]
    only_patch_errors("".join(lines))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_flipped_characters_anywhere_are_a_result_or_a_patch_error(data: st.DataObject) -> None:
    text = REAL_PATCH
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text) - 1))
        text = text[:position] + data.draw(st.characters()) + text[position + 1 :]
    only_patch_errors(text)


# --------------------------------------------------------------------------------------------
# applying a git-made patch reproduces the new file byte for byte
# --------------------------------------------------------------------------------------------

LINE_TEXT = st.sampled_from(["a", "b", "c", "def f():", "    return 1", "", "x = 'y'", "\t"])


@st.composite
def file_bytes(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(LINE_TEXT, max_size=25))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(lines)
    if lines and draw(st.booleans()):
        text += ending
    return text.encode()


def git_diff(tmp: Path, old: bytes, new: bytes) -> str:
    (tmp / "a").mkdir(exist_ok=True)
    (tmp / "b").mkdir(exist_ok=True)
    (tmp / "a" / "f.txt").write_bytes(old)
    (tmp / "b" / "f.txt").write_bytes(new)
    completed = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", "a/f.txt", "b/f.txt"],
        cwd=tmp,
        capture_output=True,
        check=False,
    )
    assert completed.returncode in {0, 1}, completed.stderr
    return completed.stdout.decode()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file_bytes(), file_bytes())
def test_applying_a_git_patch_reproduces_the_new_bytes(
    tmp_path_factory: pytest.TempPathFactory, old: bytes, new: bytes
) -> None:
    text = git_diff(tmp_path_factory.mktemp("roundtrip"), old, new)
    files = parse_patch(text)
    if old == new:
        assert files == []
        return
    (item,) = files
    assert apply_hunks(old, item.hunks, item.path) == new
