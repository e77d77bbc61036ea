"""Where a module-level name gets its value: `user_custom_auth = get_instance_fn(custom_auth)`.

proxy_server.py is about 10k lines, so this is a targeted walk: simple statements only (no
expression trees, no metadata providers) to find assignments to the one name, then a look at the
few expressions those assignments involve. An assignment inside a function sets the module-level
name only under a `global` declaration; without one it is a local that shadows it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from watcher.facts.interface import Assignment, Assignments
from watcher.facts.parse import ParsedModule, blocks, canonical_code, statements, string_value, walk


def _module_level(body: Sequence[cst.CSTNode]) -> Iterator[cst.BaseSmallStatement]:
    """Simple statements of the module itself: into if/try/with blocks, not into defs or classes."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        elif not isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            for suite in blocks(stmt):
                if isinstance(suite, cst.SimpleStatementSuite):
                    yield from suite.body
                else:
                    yield from _module_level(suite.body)


def _targets(small: cst.BaseSmallStatement) -> list[cst.BaseExpression]:
    if isinstance(small, cst.Assign):
        return [target.target for target in small.targets]
    if isinstance(small, cst.AnnAssign | cst.AugAssign):
        return [small.target]
    return []


def _assigns(small: cst.BaseSmallStatement, name: str) -> bool:
    return any(isinstance(t, cst.Name) and t.value == name for t in _targets(small))


class AssignmentFinder:
    def __init__(self, parsed: ParsedModule, name: str, settings_object: str) -> None:
        self.parsed = parsed
        self.name = name
        self.settings_object = settings_object

    def find(self) -> Assignments:
        found: list[Assignment] = []
        for small in _module_level(self.parsed.module.body):
            if _assigns(small, self.name):
                found.append(self._assignment(small, "", None, True))
        for owner, fn in self.parsed.functions.items():
            smalls = list(statements(fn.body))
            declared = any(
                isinstance(s, cst.Global) and any(n.name.value == self.name for n in s.names)
                for s in smalls
            )
            for small in smalls:
                if _assigns(small, self.name):
                    found.append(self._assignment(small, owner, fn, declared))
        return Assignments(self.name, self.settings_object, tuple(found))

    def _assignment(
        self,
        small: cst.BaseSmallStatement,
        owner: str,
        fn: cst.FunctionDef | None,
        binds_global: bool,
    ) -> Assignment:
        value = getattr(small, "value", None)
        if not isinstance(value, cst.BaseExpression):
            return Assignment("", (), binds_global, owner)
        text = canonical_code(value)
        if not isinstance(value, cst.Call):
            return Assignment("", (), binds_global, owner, text, self._line(owner))
        keys = sorted({key for arg in value.args for key in self._settings(arg.value, fn)})
        line = self.parsed.line_of(owner, value) if owner else 0
        return Assignment(
            self.parsed.imports.resolve(value.func), tuple(keys), binds_global, owner, text, line
        )

    def _line(self, owner: str) -> int:
        return self.parsed.lines.function(owner) if owner else 0

    def _settings(self, node: cst.BaseExpression, fn: cst.FunctionDef | None) -> set[str]:
        """Settings keys an argument is read from, directly or through a local variable of the
        same function (`custom_auth = general_settings.get("custom_auth")`, or a walrus)."""
        keys = self._reads(node)
        if not isinstance(node, cst.Name) or fn is None:
            return keys
        for current in walk(fn.body):  # only the function that makes the assignment
            value: cst.BaseExpression | None = None
            if isinstance(current, cst.Assign | cst.AnnAssign) and _assigns(current, node.value):
                value = current.value
            elif isinstance(current, cst.NamedExpr) and isinstance(current.target, cst.Name):
                value = current.value if current.target.value == node.value else None
            if value is not None:
                keys |= self._reads(value)
        return keys

    def _reads(self, node: cst.BaseExpression) -> set[str]:
        """`settings.get("k", ...)` and `settings["k"]` anywhere in an expression."""
        keys: set[str] = set()
        for current in walk(node):
            key: str | None = None
            if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
                func = current.func
                if (
                    func.attr.value == "get"
                    and self._is_settings(func.value)
                    and current.args
                    and current.args[0].keyword is None
                ):
                    key = string_value(current.args[0].value)
            elif isinstance(current, cst.Subscript) and self._is_settings(current.value):
                element = current.slice[0].slice if len(current.slice) == 1 else None
                if isinstance(element, cst.Index):
                    key = string_value(element.value)
            if key is not None:
                keys.add(key)
        return keys

    def _is_settings(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value == self.settings_object


def find_assignments(parsed: ParsedModule, name: str, settings_object: str) -> Assignments:
    return AssignmentFinder(parsed, name, settings_object).find()
