"""Pure comparison: match old and new definitions and turn their differences into changes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Protocol, TypeVar

from tree_sitter import Node

from tidegate.diff.model import Change, LineRange
from tidegate.diff.syntax import Assertion, Call, Definition, Fact, Facts, Param, compact, squash

T = TypeVar("T")

RENAME_SIMILARITY = 0.7
MOVE_SIMILARITY = 0.6
CALL_ARGS_SIMILARITY = 0.6


class Language(Protocol):
    """What the comparison needs from a language module."""

    name: str

    def facts(self, node: Node, is_test: bool) -> Facts:
        """Collect body facts under ``node``."""

    def exported(self, definition: Definition) -> bool | None:
        """Whether a name is visible outside its module (None when the language has no rule)."""


def similarity(old: Sequence[str], new: Sequence[str], floor: float = 0.0) -> float:
    """Return the token-sequence similarity ratio (0..1) of two token streams.

    Below ``floor`` the exact value does not matter: cheap upper bounds answer 0.0 first.
    """
    if not old and not new:
        return 1.0
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    if floor and (matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor):
        return 0.0
    return matcher.ratio()


def text_similarity(old: str, new: str) -> float:
    """Return the character similarity ratio of two short texts."""
    if old == new:
        return 1.0
    return SequenceMatcher(None, old, new, autojunk=False).ratio()


def align(
    old: Sequence[T], new: Sequence[T], key: Callable[[T], str]
) -> list[tuple[T | None, T | None]]:
    """Return the unequal regions of two sequences as (old, new) pairs, in source order.

    Within a differing region the i-th old element pairs with the i-th new one; the surplus
    pairs with None. A lone deletion and insertion of the same item cancel (it only moved).
    """
    blocks: list[tuple[T | None, T | None]] = []
    matcher = SequenceMatcher(None, [key(x) for x in old], [key(x) for x in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, news = list(old[i1:i2]), list(new[j1:j2])
        for index in range(max(len(olds), len(news))):
            blocks.append(
                (
                    olds[index] if index < len(olds) else None,
                    news[index] if index < len(news) else None,
                )
            )
    return _cancel_moves(blocks, key)


def _cancel_moves(
    pairs: list[tuple[T | None, T | None]], key: Callable[[T], str]
) -> list[tuple[T | None, T | None]]:
    """Drop a lone deletion and a lone insertion of the same item (it only moved)."""
    deleted = Counter(key(o) for o, n in pairs if o is not None and n is None)
    inserted = Counter(key(n) for o, n in pairs if o is None and n is not None)
    common = deleted & inserted
    if not common:
        return pairs
    drop_old, drop_new = Counter(common), Counter(common)
    kept: list[tuple[T | None, T | None]] = []
    for o, n in pairs:
        if o is not None and n is None and drop_old[key(o)] > 0:
            drop_old[key(o)] -= 1
            continue
        if o is None and n is not None and drop_new[key(n)] > 0:
            drop_new[key(n)] -= 1
            continue
        kept.append((o, n))
    return kept


@dataclass
class FileComparison:
    """The changes of one file plus what stayed unmatched (for cross-file moves)."""

    changes: list[Change] = field(default_factory=list)
    code_changed: bool = False
    comments_changed: bool = False
    unmatched_old: list[Definition] = field(default_factory=list)
    unmatched_new: list[Definition] = field(default_factory=list)


class Comparer:
    """Compares one file's old and new definitions (pure; no I/O)."""

    def __init__(self, path: str, language: Language) -> None:
        self.path = path
        self.language = language
        self.result = FileComparison()
        self._lone_classes: set[str] = set()

    # -- emitting -----------------------------------------------------------------------------

    def emit(
        self,
        kind: str,
        symbol: str,
        description: str,
        old: int | LineRange | None = None,
        new: int | LineRange | None = None,
        extra: dict[str, str] | None = None,
        **details: str,
    ) -> None:
        """Record one change with its evidence (``details`` and ``extra`` become its details)."""
        details = {**details, **(extra or {})}
        self.result.changes.append(
            Change(
                kind=kind,
                file=self.path,
                symbol=symbol,
                description=description,
                old=LineRange(old, old) if isinstance(old, int) else old,
                new=LineRange(new, new) if isinstance(new, int) else new,
                details={k: v for k, v in details.items() if v is not None},
            )
        )

    # -- entry point --------------------------------------------------------------------------

    def compare(self, old: list[Definition], new: list[Definition]) -> FileComparison:
        """Compare every kind of definition and return the file's changes."""
        renamed = self._compare_classes(
            [d for d in old if d.kind == "class"], [d for d in new if d.kind == "class"]
        )
        for item in old:
            item.scope = _rescope(item.scope, renamed)
        self._compare_imports(
            [d for d in old if d.kind == "import"], [d for d in new if d.kind == "import"]
        )
        self._compare_constants(
            [d for d in old if d.kind == "constant"], [d for d in new if d.kind == "constant"]
        )
        self._compare_functions(
            [d for d in old if d.kind in {"function", "test"}],
            [d for d in new if d.kind in {"function", "test"}],
        )
        self._compare_statements(
            [d for d in old if d.kind == "statement"], [d for d in new if d.kind == "statement"]
        )
        return self.result

    def report_added(self, definitions: list[Definition]) -> None:
        """Report what an added file contains: definitions and risk markers."""
        for item in definitions:
            self._report_lone(item, added=True)
            self._risk_markers(None, item)

    def report_removed(self, definitions: list[Definition]) -> None:
        """Report what a removed file held."""
        for item in definitions:
            self._report_lone(item, added=False)

    def _report_lone(self, item: Definition, *, added: bool) -> None:
        if item.kind not in {"test", "function", "class"}:
            return
        span = LineRange(item.start, item.end)
        verb = "added" if added else "removed"
        shown = f"`{item.qualname}()`" if item.kind == "function" else f"`{item.qualname}`"
        self.emit(
            f"{item.kind}.{verb}",
            item.qualname,
            f"{item.kind} {shown} {verb}",
            old=None if added else span,
            new=span if added else None,
        )

    # -- imports and constants ----------------------------------------------------------------

    def _compare_imports(self, old: list[Definition], new: list[Definition]) -> None:
        old_by = _index(old, lambda d: d.name)
        new_by = _index(new, lambda d: d.name)
        for name, item in new_by.items():
            before = old_by.get(name)
            if before is None:
                self._mark_code()
                self.emit(
                    "import.added", "", f"import `{item.value}`", new=item.start, module=item.value
                )
            elif compact(before.value) != compact(item.value):
                self._mark_code()
                self.emit(
                    "import.replaced",
                    "",
                    f"`{name}` now imported from `{item.value}` instead of `{before.value}`",
                    old=before.start,
                    new=item.start,
                    before=before.value,
                    after=item.value,
                )
        for name, item in old_by.items():
            if name not in new_by:
                self._mark_code()
                self.emit(
                    "import.removed",
                    "",
                    f"import `{item.value}` removed",
                    old=item.start,
                    module=item.value,
                )

    def _compare_constants(self, old: list[Definition], new: list[Definition]) -> None:
        old_by = _index(old, lambda d: d.qualname)
        new_by = _index(new, lambda d: d.qualname)
        for name, item in new_by.items():
            before = old_by.get(name)
            if before is None:
                self._mark_code()
                self.emit("constant.added", name, f"constant `{name}` added", new=item.start)
                self._risk_markers(None, item)
            elif before.tokens != item.tokens:
                self._mark_code()
                if compact(before.value) != compact(item.value):
                    self.emit(
                        "constant.changed",
                        name,
                        f"`{name}` changed from {_short(before.value)} to {_short(item.value)}",
                        old=before.start,
                        new=item.start,
                        before=_short(before.value),
                        after=_short(item.value),
                    )
                self._risk_markers(before, item)
            elif before.raw != item.raw:
                self._mark_comments(before, item)
        for name, item in old_by.items():
            if name not in new_by:
                self._mark_code()
                self.emit("constant.removed", name, f"constant `{name}` removed", old=item.start)

    # -- classes ------------------------------------------------------------------------------

    def _compare_classes(self, old: list[Definition], new: list[Definition]) -> dict[str, str]:
        """Compare classes; return the renames (old qualified name -> new) for their members."""
        old_by = _index(old, lambda d: d.qualname)
        new_by = _index(new, lambda d: d.qualname)
        pairs = [(old_by[k], new_by[k]) for k in new_by if k in old_by]
        lone_old = [d for k, d in old_by.items() if k not in new_by]
        lone_new = [d for k, d in new_by.items() if k not in old_by]
        renamed: dict[str, str] = {}
        for before, after in _pair_by_similarity(lone_old, lone_new, _member_similarity, 0.5):
            lone_old.remove(before)
            lone_new.remove(after)
            self._mark_code()
            self.emit(
                "class.renamed",
                after.qualname,
                f"class `{before.qualname}` renamed to `{after.qualname}`",
                old=before.start,
                new=after.start,
                before=before.qualname,
                after=after.qualname,
            )
            pairs.append((before, after))
            renamed[before.qualname] = after.qualname
        for before, after in pairs:
            if tuple(map(compact, before.bases)) != tuple(map(compact, after.bases)):
                self._mark_code()
                self.emit(
                    "class.base_changed",
                    after.qualname,
                    f"bases of `{after.qualname}` changed from ({', '.join(before.bases)}) "
                    f"to ({', '.join(after.bases)})",
                    old=before.start,
                    new=after.start,
                    before=", ".join(before.bases),
                    after=", ".join(after.bases),
                )
            self._compare_visibility(before, after, "class")
        for item in lone_new:
            self._mark_code()
            self._report_lone(item, added=True)
        for item in lone_old:
            self._mark_code()
            self._report_lone(item, added=False)
        self._lone_classes = {d.qualname for d in (*lone_new, *lone_old)}
        return renamed

    # -- functions ----------------------------------------------------------------------------

    def _compare_functions(self, old: list[Definition], new: list[Definition]) -> None:
        old_by = _index(old, lambda d: d.qualname)
        new_by = _index(new, lambda d: d.qualname)
        pairs = [(old_by[k], new_by[k]) for k in new_by if k in old_by]
        lone_old = [d for k, d in old_by.items() if k not in new_by]
        lone_new = [d for k, d in new_by.items() if k not in old_by]
        # Renames: same scope, similar bodies.
        for before, after in _pair_by_similarity(
            lone_old, lone_new, _body_similarity, RENAME_SIMILARITY, same_scope=True
        ):
            lone_old.remove(before)
            lone_new.remove(after)
            self._mark_code()
            if before.kind == "function" and after.kind == "function":
                self.emit(
                    "function.renamed",
                    after.qualname,
                    f"`{before.qualname}()` renamed to `{after.qualname}()`",
                    old=before.start,
                    new=after.start,
                    before=before.name,
                    after=after.name,
                )
                exported_before = self.language.exported(before)
                exported_after = self.language.exported(after)
                if exported_before is not None and exported_before != exported_after:
                    self.emit(
                        "function.visibility_changed",
                        after.qualname,
                        f"`{after.qualname}()` is now "
                        f"{'exported' if exported_after else 'unexported'}",
                        old=before.start,
                        new=after.start,
                    )
            else:
                # A test renamed is reported as its own removal and addition.
                self._report_lone(before, added=False)
                self._report_lone(after, added=True)
                continue
            pairs.append((before, after))
        # Moves: another scope, same name (or very similar body).
        for before, after in _pair_by_similarity(
            lone_old, lone_new, _move_similarity, MOVE_SIMILARITY, same_scope=False
        ):
            lone_old.remove(before)
            lone_new.remove(after)
            self._mark_code()
            self.emit(
                "function.moved",
                after.qualname,
                f"`{before.qualname}()` moved to `{after.qualname}()`",
                old=before.start,
                new=after.start,
                before=before.qualname,
                after=after.qualname,
            )
            pairs.append((before, after))
        for before, after in pairs:
            self._compare_function(before, after)
        for item in lone_new:
            self._mark_code()
            self._report_lone(item, added=True)
            self._risk_markers(None, item)
        for item in lone_old:
            self._mark_code()
            self._report_lone(item, added=False)
        self.result.unmatched_old.extend(d for d in lone_old if d.kind == "function")
        self.result.unmatched_new.extend(d for d in lone_new if d.kind == "function")

    def _compare_function(self, before: Definition, after: Definition) -> None:
        if before.raw == after.raw:
            return
        if before.tokens == after.tokens:
            self._mark_comments(before, after)
            return
        self._mark_code()
        symbol = after.qualname
        if after.kind == "function" and before.kind == "function":
            self._compare_signature(before, after)
        self._compare_decorators(before, after)
        signature_changes = len(self.result.changes)
        has_body = not (before.body is None and after.body is None)
        body_differs = has_body and before.body_tokens != after.body_tokens
        if body_differs or before.concurrency != after.concurrency:
            self.compare_bodies(before, after)
        if body_differs and len(self.result.changes) == signature_changes:
            self.emit(
                "function.body_changed",
                symbol,
                f"body of `{symbol}()` changed",
                old=LineRange(before.start, before.end),
                new=LineRange(after.start, after.end),
            )

    def _compare_signature(self, before: Definition, after: Definition) -> None:
        symbol = after.qualname
        old_names = [p.name for p in before.params]
        new_names = [p.name for p in after.params]
        old_by = {p.name: p for p in before.params}
        new_by = {p.name: p for p in after.params}
        kept: list[str] = []
        if old_names == new_names:
            kept = new_names
        elif sorted(old_names) == sorted(new_names):
            kept = new_names
            self.emit(
                "function.param.reordered",
                symbol,
                f"parameters of `{symbol}()` reordered: ({', '.join(old_names)}) -> "
                f"({', '.join(new_names)})",
                old=before.start,
                new=after.start,
                before=", ".join(old_names),
                after=", ".join(new_names),
            )
        else:
            renamed: dict[str, str] = {}
            if len(old_names) == len(new_names):
                for old_param, new_param in zip(before.params, after.params, strict=True):
                    if (
                        old_param.name != new_param.name
                        and old_param.name not in new_by
                        and new_param.name not in old_by
                    ):
                        renamed[old_param.name] = new_param.name
            for old_name, new_name in renamed.items():
                self.emit(
                    "function.param.renamed",
                    symbol,
                    f"parameter `{old_name}` of `{symbol}()` renamed to `{new_name}`",
                    old=before.start,
                    new=after.start,
                    before=old_name,
                    after=new_name,
                )
            for name in new_names:
                if name not in old_by and name not in renamed.values():
                    self.emit(
                        "function.param.added",
                        symbol,
                        f"parameter `{_param_text(new_by[name])}` added to `{symbol}()`",
                        new=after.start,
                        param=name,
                    )
            for name in old_names:
                if name not in new_by and name not in renamed:
                    self.emit(
                        "function.param.removed",
                        symbol,
                        f"parameter `{name}` removed from `{symbol}()`",
                        old=before.start,
                        new=after.start,
                        param=name,
                    )
            kept = [name for name in new_names if name in old_by]
            kept += [renamed_to for renamed_to in renamed.values()]
            old_by.update({new: old_by[old] for old, new in renamed.items()})
        for name in kept:
            old_param, new_param = old_by[name], new_by[name]
            if compact(old_param.default) != compact(new_param.default):
                self.emit(
                    "function.param.default_changed",
                    symbol,
                    f"default of `{name}` in `{symbol}()` changed from "
                    f"{old_param.default or '(none)'} to {new_param.default or '(none)'}",
                    old=before.start,
                    new=after.start,
                    param=name,
                    before=old_param.default,
                    after=new_param.default,
                )
            if compact(old_param.type) != compact(new_param.type):
                self.emit(
                    "function.param.type_changed",
                    symbol,
                    f"type of `{name}` in `{symbol}()` changed from "
                    f"{old_param.type or '(none)'} to {new_param.type or '(none)'}",
                    old=before.start,
                    new=after.start,
                    param=name,
                    before=old_param.type,
                    after=new_param.type,
                )
        if compact(before.return_type) != compact(after.return_type):
            self.emit(
                "function.return_type_changed",
                symbol,
                f"return type of `{symbol}()` changed from {before.return_type or '(none)'} "
                f"to {after.return_type or '(none)'}",
                old=before.start,
                new=after.start,
                before=before.return_type,
                after=after.return_type,
            )
        self._compare_visibility(before, after, "function")

    def _compare_visibility(self, before: Definition, after: Definition, what: str) -> None:
        if before.visibility == after.visibility:
            return
        shown = f"`{after.qualname}()`" if what == "function" else f"`{after.qualname}`"
        self.emit(
            "function.visibility_changed",
            after.qualname,
            f"{shown} visibility changed from {before.visibility or 'default'} to "
            f"{after.visibility or 'default'}",
            old=before.start,
            new=after.start,
            before=before.visibility,
            after=after.visibility,
        )

    def _compare_decorators(self, before: Definition, after: Definition) -> None:
        symbol = after.qualname
        old = Counter(compact(d) for d in before.decorators)
        new = Counter(compact(d) for d in after.decorators)
        shown = {compact(d): d for d in (*before.decorators, *after.decorators)}
        for key in (new - old).elements():
            if after.skipped and not before.skipped and _is_skip_marker(key):
                continue
            self.emit(
                "function.decorator.added",
                symbol,
                f"decorator `{shown[key]}` added to `{symbol}()`",
                new=after.start,
                decorator=shown[key],
            )
        for key in (old - new).elements():
            self.emit(
                "function.decorator.removed",
                symbol,
                f"decorator `{shown[key]}` removed from `{symbol}()`",
                old=before.start,
                new=after.start,
                decorator=shown[key],
            )
        if after.kind == "test" and after.skipped and not before.skipped:
            self.emit(
                "test.skip_added",
                symbol,
                f"test `{symbol}` is now skipped",
                old=before.start,
                new=after.start,
            )

    # -- bodies -------------------------------------------------------------------------------

    def compare_bodies(self, before: Definition, after: Definition) -> None:
        """Compare the facts of two bodies and emit one change per difference."""
        is_test = after.kind == "test"
        old = self.language.facts(before.body or before.node, is_test)
        new = self.language.facts(after.body or after.node, is_test)
        if before.concurrency:
            old.concurrency.insert(0, Fact(before.concurrency, before.start))
        if after.concurrency:
            new.concurrency.insert(0, Fact(after.concurrency, after.start))
        self.compare_facts(after.qualname, old, new)

    def compare_facts(self, symbol: str, old: Facts, new: Facts) -> None:
        """Emit the changes between two fact sets collected from one symbol's code."""
        shown = f"`{symbol}()`" if symbol else "top-level code"
        self._calls(symbol, shown, old.calls, new.calls)
        for spec, olds, news in (
            (_RAISES, old.raises, new.raises),
            (_HANDLERS, old.handlers, new.handlers),
            (_CONDITIONS, old.conditions, new.conditions),
        ):
            self._aligned(symbol, shown, spec, olds, news)
        for o, n in align(old.elses, new.elses, _key):
            if n and not o:
                self.emit(
                    "condition.branch_added", symbol, f"else branch added in {shown}", new=n.line
                )
            elif o and not n:
                self.emit(
                    "condition.branch_removed",
                    symbol,
                    f"else branch removed from {shown}",
                    old=o.line,
                )
        for o, n in align(old.loops, new.loops, _key):
            if o and n and o.detail.split(" ", 1)[0] == n.detail.split(" ", 1)[0]:
                self.emit(
                    "loop.condition_changed",
                    symbol,
                    f"loop in {shown} changed from `{o.detail}` to `{n.detail}`",
                    old=o.line,
                    new=n.line,
                    before=o.detail,
                    after=n.detail,
                )
                continue
            if n:
                self.emit("loop.added", symbol, f"loop `{n.detail}` added in {shown}", new=n.line)
            if o:
                self.emit(
                    "loop.removed", symbol, f"loop `{o.detail}` removed from {shown}", old=o.line
                )
        for o, n in align(old.returns, new.returns, _key):
            if o and n and not _same_callee(o.detail, n.detail):
                self.emit(
                    "return.value_changed",
                    symbol,
                    f"{shown} returns `{n.detail or '(nothing)'}` instead of "
                    f"`{o.detail or '(nothing)'}`",
                    old=o.line,
                    new=n.line,
                    before=o.detail,
                    after=n.detail,
                )
        self._assertions(symbol, old.assertions, new.assertions)
        for extra in _extra(old.skips, new.skips):
            self.emit(
                "test.skip_added", symbol, f"`{symbol}` now skips: {extra.detail}", new=extra.line
            )
        old_conc = Counter(f.key for f in old.concurrency)
        new_conc = Counter(f.key for f in new.concurrency)
        if old_conc != new_conc:
            added = sorted((new_conc - old_conc).keys())
            removed = sorted((old_conc - new_conc).keys())
            where = [f.line for f in new.concurrency if f.key in added] or [
                f.line for f in old.concurrency if f.key in removed
            ]
            parts = []
            if added:
                parts.append("added " + ", ".join(added))
            if removed:
                parts.append("removed " + ", ".join(removed))
            self.emit(
                "concurrency.changed",
                symbol,
                f"concurrency in {shown}: {'; '.join(parts)}",
                new=where[0] if where else None,
            )
        self._risk_facts(symbol, old, new)

    def _aligned(
        self, symbol: str, shown: str, spec: _PairedKinds, old: list[Fact], new: list[Fact]
    ) -> None:
        """Emit changed / added / removed for facts aligned in source order."""
        for o, n in align(old, new, _key):
            if o and n:
                before, after = spec.value(o), spec.value(n)
                self.emit(
                    spec.changed,
                    symbol,
                    spec.changed_text.format(shown=shown, old=before, new=after),
                    old=o.line,
                    new=n.line,
                    before=before,
                    after=after,
                )
            elif n:
                value = spec.value(n)
                self.emit(
                    spec.added,
                    symbol,
                    spec.added_text.format(shown=shown, new=value),
                    new=n.line,
                    extra={spec.detail: value},
                )
            elif o:
                value = spec.value(o)
                self.emit(
                    spec.removed,
                    symbol,
                    spec.removed_text.format(shown=shown, old=value),
                    old=o.line,
                    extra={spec.detail: value},
                )

    def _calls(self, symbol: str, shown: str, old: list[Call], new: list[Call]) -> None:
        olds = [o for o, _ in align(old, new, lambda c: c.key) if o]
        news = [n for _, n in align(old, new, lambda c: c.key) if n]
        used: set[int] = set()
        unmatched_old: list[Call] = []
        for o in olds:
            match = next(
                (i for i, n in enumerate(news) if i not in used and n.callee == o.callee), None
            )
            if match is None:
                unmatched_old.append(o)
                continue
            used.add(match)
            n = news[match]
            if o.in_header or n.in_header:
                continue  # the condition or loop change that contains it says it
            self.emit(
                "call.args_changed",
                symbol,
                f"arguments of `{n.callee}` in {shown} changed: ({_short(o.args)}) -> "
                f"({_short(n.args)})",
                old=o.line,
                new=n.line,
                callee=n.callee,
                before=_short(o.args),
                after=_short(n.args),
            )
        remaining_new = [n for i, n in enumerate(news) if i not in used]
        for o in list(unmatched_old):
            replacement = next(
                (
                    n
                    for n in remaining_new
                    if text_similarity(compact(o.args), compact(n.args)) >= CALL_ARGS_SIMILARITY
                    and _tail(o.callee) == _tail(n.callee)
                ),
                None,
            ) or next(
                (
                    n
                    for n in remaining_new
                    if compact(o.args) == compact(n.args) and (o.args.strip() or n.args.strip())
                ),
                None,
            )
            if replacement is None:
                continue
            remaining_new.remove(replacement)
            unmatched_old.remove(o)
            if o.in_header or replacement.in_header:
                continue
            self.emit(
                "call.replaced",
                symbol,
                f"`{o.callee}` replaced by `{replacement.callee}` in {shown}",
                old=o.line,
                new=replacement.line,
                before=o.callee,
                after=replacement.callee,
            )
        for n in remaining_new:
            self.emit(
                "call.added",
                symbol,
                f"call to `{n.callee}` added in {shown}",
                new=n.line,
                callee=n.callee,
            )
        for o in unmatched_old:
            self.emit(
                "call.removed",
                symbol,
                f"call to `{o.callee}` removed from {shown}",
                old=o.line,
                callee=o.callee,
            )

    def _assertions(self, symbol: str, old: list[Assertion], new: list[Assertion]) -> None:
        for o, n in align(old, new, lambda a: compact(a.text)):
            if o and n:
                broader = bool(
                    o.expects
                    and n.expects != o.expects
                    and (n.expects in _BROAD or not n.expects)
                    and o.expects not in _BROAD
                )
                if n.strength < o.strength or broader:
                    self.emit(
                        "test.assertion_weakened",
                        symbol,
                        f"assertion in `{symbol}` weakened: `{_short(o.text)}` -> "
                        f"`{_short(n.text)}`",
                        old=o.line,
                        new=n.line,
                        before=_short(o.text),
                        after=_short(n.text),
                    )
            elif o:
                self.emit(
                    "test.assertion_removed",
                    symbol,
                    f"assertion removed from `{symbol}`: `{_short(o.text)}`",
                    old=o.line,
                    assertion=_short(o.text),
                )

    def _risk_facts(self, symbol: str, old: Facts, new: Facts) -> None:
        for extra in _extra(old.sensitive, new.sensitive):
            self.emit(
                "security.sensitive_call",
                symbol,
                f"{extra.detail} in {'`' + symbol + '`' if symbol else 'top-level code'}",
                new=extra.line,
                marker=extra.key,
            )
        for extra in _extra(old.secrets, new.secrets):
            self.emit(
                "secret.added",
                symbol,
                f"credential-looking literal ({extra.detail}) added"
                + (f" in `{symbol}`" if symbol else ""),
                new=extra.line,
                detector=extra.detail,
            )

    def _risk_markers(self, before: Definition | None, after: Definition) -> None:
        """Report sensitive calls and secrets of a definition not otherwise compared."""
        new = self.language.facts(after.node, after.kind == "test")
        old = self.language.facts(before.node, before.kind == "test") if before else Facts()
        self._risk_facts(after.qualname, old, new)

    # -- top-level statements ---------------------------------------------------------------

    def _compare_statements(self, old: list[Definition], new: list[Definition]) -> None:
        by_scope_old: dict[str, list[Definition]] = {}
        by_scope_new: dict[str, list[Definition]] = {}
        for item in old:
            by_scope_old.setdefault(item.scope, []).append(item)
        for item in new:
            by_scope_new.setdefault(item.scope, []).append(item)
        for scope in sorted(set(by_scope_old) | set(by_scope_new)):
            before = by_scope_old.get(scope, [])
            after = by_scope_new.get(scope, [])
            if [d.raw for d in before] == [d.raw for d in after]:
                continue
            if any(scope == c or scope.startswith(c + ".") for c in self._lone_classes):
                # The class itself was added or removed: that change says it all.
                for item in after:
                    self._risk_markers(None, item)
                continue
            old_tokens = [t for d in before for t in d.tokens]
            new_tokens = [t for d in after for t in d.tokens]
            if old_tokens == new_tokens:
                if [d.raw for d in before] != [d.raw for d in after]:
                    self.result.comments_changed = True
                continue
            self._mark_code()
            old_facts = _merge([self.language.facts(d.node, False) for d in before])
            new_facts = _merge([self.language.facts(d.node, False) for d in after])
            count = len(self.result.changes)
            self.compare_facts(scope, old_facts, new_facts)
            if len(self.result.changes) == count:
                changed_old = [d for d in before if d.raw not in {a.raw for a in after}]
                changed_new = [d for d in after if d.raw not in {b.raw for b in before}]
                old_span = (
                    LineRange(changed_old[0].start, changed_old[-1].end) if changed_old else None
                )
                new_span = (
                    LineRange(changed_new[0].start, changed_new[-1].end) if changed_new else None
                )
                self.emit(
                    "module.body_changed",
                    scope,
                    f"top-level code {'of `' + scope + '` ' if scope else ''}changed",
                    old=old_span,
                    new=new_span,
                )

    # -- bookkeeping --------------------------------------------------------------------------

    def _mark_code(self) -> None:
        self.result.code_changed = True

    def _mark_comments(self, before: Definition, after: Definition) -> None:
        if before.streams[1] != after.streams[1]:
            self.result.comments_changed = True


@dataclass(frozen=True)
class _PairedKinds:
    """The kinds and wording for one family of aligned facts (raises, handlers, conditions)."""

    changed: str
    added: str
    removed: str
    changed_text: str
    added_text: str
    removed_text: str
    detail: str
    value: Callable[[Fact], str]


_RAISES = _PairedKinds(
    "exception.raise_type_changed",
    "exception.raise_added",
    "exception.raise_removed",
    "{shown} now raises {new} instead of {old}",
    "{shown} raises {new}",
    "{shown} no longer raises {old}",
    "type",
    lambda fact: fact.key,
)
_HANDLERS = _PairedKinds(
    "exception.handler_changed",
    "exception.handler_added",
    "exception.handler_removed",
    "handler in {shown} now catches {new} instead of {old}",
    "handler for {new} added in {shown}",
    "handler for {old} removed from {shown}",
    "type",
    lambda fact: fact.detail,
)
_CONDITIONS = _PairedKinds(
    "condition.changed",
    "condition.branch_added",
    "condition.branch_removed",
    "condition in {shown} changed from `{old}` to `{new}`",
    "branch `{new}` added in {shown}",
    "branch `{old}` removed from {shown}",
    "condition",
    lambda fact: fact.detail,
)

_BROAD = frozenset({"Exception", "BaseException", "Throwable", "Error", "RuntimeException"})


def _key(fact: Fact) -> str:
    return fact.key


_CALL_EXPRESSION = re.compile(r"^(?:await\s+)?([\w.:]+)\s*\(.*\)$", re.DOTALL)


def _same_callee(old: str, new: str) -> bool:
    """Whether two returned expressions are calls of one callee (the call change says it)."""
    a, b = _CALL_EXPRESSION.match(old), _CALL_EXPRESSION.match(new)
    return bool(a and b and a.group(1) == b.group(1))


def _rescope(scope: str, renamed: dict[str, str]) -> str:
    """Map a scope inside a renamed class to the class's new name."""
    for old, new in renamed.items():
        if scope == old or scope.startswith(old + "."):
            return new + scope[len(old) :]
    return scope


def _tail(callee: str) -> str:
    return callee.rsplit(".", 1)[-1].rsplit("::", 1)[-1]


def _is_skip_marker(decorator: str) -> bool:
    lowered = decorator.lower()
    return "skip" in lowered or "disabled" in lowered or "ignore" in lowered


def _extra(old: list[Fact], new: list[Fact]) -> list[Fact]:
    """Return the facts of ``new`` beyond those already in ``old`` (multiset difference)."""
    remaining = Counter(f.key for f in old)
    extra: list[Fact] = []
    for fact in new:
        if remaining[fact.key] > 0:
            remaining[fact.key] -= 1
        else:
            extra.append(fact)
    return extra


def _merge(parts: list[Facts]) -> Facts:
    merged = Facts()
    for part in parts:
        for name in merged.__dataclass_fields__:
            getattr(merged, name).extend(getattr(part, name))
    return merged


def _index(items: list[Definition], key: Callable[[Definition], str]) -> dict[str, Definition]:
    """Index definitions by key; repeated keys (overloads) get ``#2``, ``#3`` suffixes."""
    index: dict[str, Definition] = {}
    for item in items:
        name = key(item)
        if name in index:
            n = 2
            while f"{name}#{n}" in index:
                n += 1
            name = f"{name}#{n}"
        index[name] = item
    return index


def _body_similarity(old: Definition, new: Definition) -> float:
    if old.kind != new.kind:
        return 0.0
    return similarity(old.body_tokens, new.body_tokens, RENAME_SIMILARITY)


def _move_similarity(old: Definition, new: Definition) -> float:
    if old.kind != new.kind:
        return 0.0
    score = similarity(old.body_tokens, new.body_tokens, 0.4)
    if old.name == new.name:
        return max(score, MOVE_SIMILARITY) if score >= 0.4 else score
    return score if score >= 0.9 else 0.0


def _member_similarity(old: Definition, new: Definition) -> float:
    if old.members or new.members:
        a, b = set(old.members), set(new.members)
        return len(a & b) / len(a | b) if a | b else 0.0
    return similarity(old.body_tokens, new.body_tokens)


def _pair_by_similarity(
    old: list[Definition],
    new: list[Definition],
    score: Callable[[Definition, Definition], float],
    threshold: float,
    *,
    same_scope: bool = True,
) -> list[tuple[Definition, Definition]]:
    """Greedily pair unmatched old and new definitions, best similarity first."""
    if not old or not new:
        return []
    candidates: list[tuple[float, int, int]] = []
    for i, o in enumerate(old):
        for j, n in enumerate(new):
            if same_scope and o.scope != n.scope:
                continue
            if not same_scope and o.scope == n.scope:
                continue
            value = score(o, n)
            if value >= threshold:
                candidates.append((value, i, j))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs: list[tuple[Definition, Definition]] = []
    for _value, i, j in candidates:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        pairs.append((old[i], new[j]))
    return pairs


def _param_text(param: Param) -> str:
    shown = f"{param.name}: {param.type}" if param.type else param.name
    return f"{shown}={param.default}" if param.default else shown


def _short(value: str, limit: int = 80) -> str:
    value = squash(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"
