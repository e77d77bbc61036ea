"""What one upstream module defines, for resolving the names a card mentions.

Module-level functions, classes (their bases, methods, `__init__` signature and annotated fields,
which is what a dataclass or pydantic model accepts as keywords), variables (with the class a
`x = SomeClass(...)` instance comes from), imports (re-exports), and the identifier-like string
literals the module uses (how a setting key such as "custom_auth" is read). Read from the stdlib
syntax tree the line index already holds: no second parse.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from watcher.facts.parse import ParsedModule
from watcher.facts.symbols import absolute
from watcher.pyast import dotted_name

_IDENTIFIER = re.compile(r"^[A-Za-z_][\w.-]{0,79}$")
_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Signature:
    """The keywords a callable accepts; `open` when it takes **kwargs (anything goes)."""

    params: tuple[str, ...]
    open: bool = False


@dataclass(frozen=True)
class ClassInfo:
    line: int
    bases: tuple[str, ...]  # dotted, as written
    methods: dict[str, tuple[int, Signature]]
    fields: dict[str, int]  # annotated class attributes -> line
    init: Signature | None


@dataclass(frozen=True)
class ModuleIndex:
    path: str
    functions: dict[str, tuple[int, Signature]] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    variables: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (line, class)
    imports: dict[str, str] = field(default_factory=dict)  # local -> absolute dotted origin
    strings: dict[str, int] = field(default_factory=dict)  # literal -> first line
    # A settings key -> the global loaded from it (`user_custom_auth = get_instance_fn(value=
    # custom_auth)` where `custom_auth = general_settings.get("custom_auth")`), and its line.
    loaded: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Calls of a bare name: name -> (line, keywords, positional arguments) per call.
    calls: dict[str, list[tuple[int, tuple[str, ...], int]]] = field(default_factory=dict)

    def defines(self, name: str) -> int:
        """Line of the module-level definition of `name` (0: not defined here)."""
        if name in self.functions:
            return self.functions[name][0]
        if name in self.classes:
            return self.classes[name].line
        return self.variables[name][0] if name in self.variables else 0


def signature(node: _Function, skip_self: bool) -> Signature:
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if (
        skip_self
        and names
        and not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
    ):
        names = names[1:]
    return Signature(tuple(names), args.kwarg is not None)


def _dotted(node: ast.expr) -> str:
    """A base class or callee as written; `Generic[T]` and `BaseModel[...]` by their name."""
    return dotted_name(node.value if isinstance(node, ast.Subscript) else node)


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import: the body, and the arms of if/try/with at module level."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If | ast.Try | ast.With):
            for block in ("body", "orelse", "finalbody"):
                yield from _module_level(getattr(stmt, block, []))
            for handler in getattr(stmt, "handlers", []):
                yield from _module_level(handler.body)


def _class_info(node: ast.ClassDef) -> ClassInfo:
    methods: dict[str, tuple[int, Signature]] = {}
    fields: dict[str, int] = {}
    for stmt in _module_level(node.body):
        if isinstance(stmt, _Function):
            methods.setdefault(stmt.name, (stmt.lineno, signature(stmt, skip_self=True)))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            fields.setdefault(stmt.target.id, stmt.lineno)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    fields.setdefault(target.id, stmt.lineno)
    init = methods["__init__"][1] if "__init__" in methods else None
    bases = tuple(b for b in (_dotted(base) for base in node.bases) if b)
    return ClassInfo(node.lineno, bases, methods, fields, init)


def _key_read(value: ast.expr) -> str:
    """The settings key an expression reads: `x.get("k", ...)` or `x["k"]` -> 'k'; else ''."""
    func = value.func if isinstance(value, ast.Call) else None
    if isinstance(value, ast.Call) and isinstance(func, ast.Attribute) and func.attr == "get":
        first = value.args[0] if value.args else None
        return (
            first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        )
    if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant):
        return value.slice.value if isinstance(value.slice.value, str) else ""
    return ""


def _loaded_in(fn: _Function, index: ModuleIndex) -> None:
    """Globals a function loads from a settings key through one local (`global g; k =
    settings.get("key"); g = load(value=k)`)."""
    declared = {n for s in ast.walk(fn) if isinstance(s, ast.Global) for n in s.names}
    locals_: dict[str, str] = {}
    for stmt in ast.walk(fn):
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target = stmt.targets[0]
        if not isinstance(target, ast.Name):
            continue
        if key := _key_read(stmt.value):
            locals_[target.id] = key
        elif isinstance(stmt.value, ast.Call) and (
            target.id in declared or target.id in index.variables
        ):
            args = [*stmt.value.args, *(k.value for k in stmt.value.keywords)]
            for arg in args:
                if isinstance(arg, ast.Name) and arg.id in locals_:
                    index.loaded.setdefault(locals_[arg.id], (target.id, stmt.lineno))


def index_module(parsed: ParsedModule) -> ModuleIndex | None:
    """The module's definitions (None when its syntax is newer than this interpreter reads)."""
    tree = parsed.lines.tree
    if tree is None:
        return None
    index = ModuleIndex(parsed.path)
    for stmt in _module_level(tree.body):
        if isinstance(stmt, _Function):
            index.functions.setdefault(stmt.name, (stmt.lineno, signature(stmt, False)))
        elif isinstance(stmt, ast.ClassDef):
            index.classes.setdefault(stmt.name, _class_info(stmt))
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            origin = _dotted(value.func) if isinstance(value, ast.Call) else ""
            for target in targets:
                if isinstance(target, ast.Name):
                    index.variables.setdefault(target.id, (stmt.lineno, origin))
        elif isinstance(stmt, ast.ImportFrom):
            module = absolute("." * stmt.level + (stmt.module or ""), parsed.path)
            for alias in stmt.names:
                if alias.name != "*":
                    index.imports.setdefault(alias.asname or alias.name, f"{module}.{alias.name}")
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                local = alias.asname or alias.name.split(".")[0]
                index.imports.setdefault(local, alias.name if alias.asname else local)
    for node in ast.walk(tree):
        if isinstance(node, _Function):
            _loaded_in(node, index)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            words = tuple(k.arg for k in node.keywords if k.arg)
            index.calls.setdefault(node.func.id, []).append((node.lineno, words, len(node.args)))
        literal = node.value if isinstance(node, ast.Constant) else None
        if isinstance(literal, str) and _IDENTIFIER.match(literal):
            index.strings.setdefault(literal, getattr(node, "lineno", 0))
    return index
