"""Where a dotted name lives in the upstream tree: its module file and the name inside it."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator

import libcst as cst

from watcher.facts.parse import ParsedModule, dotted


def package_of(path: str) -> list[str]:
    """The package a module belongs to, as components: `a/b/c.py` and `a/b/__init__.py` -> a, b."""
    return path.split("/")[:-1]


def absolute(origin: str, path: str) -> str:
    """An import origin made absolute: `.x.f` in `a/b/c.py` is `a.b.x.f`; `..f` is `a.f`."""
    dots = len(origin) - len(origin.lstrip("."))
    if not dots:
        return origin
    base = package_of(path)
    if dots > 1:
        base = base[: len(base) - (dots - 1)]
    rest = origin[dots:]
    return ".".join([*base, rest]) if rest else ".".join(base)


def module_name(path: str) -> str:
    """`a/b/c.py` -> `a.b.c`; `a/b/__init__.py` -> `a.b`."""
    stem = path[: -len(".py")] if path.endswith(".py") else path
    parts = stem.split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_file(name: str, files: Collection[str]) -> tuple[str, str] | None:
    """(`a/b.py`, `f.g`) for `a.b.f.g`: the longest prefix of the name that is a module file."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        stem = "/".join(parts[:cut])
        for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
            if candidate in files:
                return candidate, ".".join(parts[cut:])
    return None


def instances(parsed: ParsedModule) -> dict[str, tuple[str, bool]]:
    """Module-level `x = SomeClass(...)`: variable -> (the class's dotted name, imported or not)."""
    found: dict[str, tuple[str, bool]] = {}
    for stmt in parsed.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                targets = [t.target for t in small.targets]
                value: cst.Call = small.value
            elif isinstance(small, cst.AnnAssign) and isinstance(small.value, cst.Call):
                targets, value = [small.target], small.value
            else:
                continue
            origin = dotted(value.func)
            imported = origin.split(".")[0] in parsed.imports.names
            for target in targets:
                if isinstance(target, cst.Name) and origin:
                    found[target.value] = (parsed.imports.resolve(value.func), imported)
    return found


_Function = ast.FunctionDef | ast.AsyncFunctionDef


def _defs_in(body: list[ast.stmt]) -> Iterator[_Function | ast.ClassDef]:
    """Function and class definitions in a block and its nested blocks, in source order, not
    inside them."""
    for stmt in body:
        if isinstance(stmt, _Function | ast.ClassDef):
            yield stmt
        else:
            for block in ("body", "orelse", "finalbody"):
                yield from _defs_in(getattr(stmt, block, []))
            for handler in getattr(stmt, "handlers", []):
                yield from _defs_in(handler.body)
            for case in getattr(stmt, "cases", []):
                yield from _defs_in(case.body)


def nested_def_line(module: ast.Module, owner: str, chain: str) -> int:
    """Line of the nested def `chain` ('inner', 'inner#2', 'inner.deeper') in function `owner`
    ('f' or 'Class.method'); 0 when it cannot be found."""
    body: list[ast.stmt] = module.body
    node: _Function | ast.ClassDef | None = None
    for part in owner.split("."):
        node = next((d for d in _defs_in(body) if d.name == part), None)
        if node is None:
            return 0
        body = node.body
    for part in chain.split("."):
        name, _, ordinal = part.partition("#")
        twins = [fn for fn in _defs_in(body) if isinstance(fn, _Function) and fn.name == name]
        index = int(ordinal) - 1 if ordinal else 0
        if index >= len(twins):
            return 0
        node = twins[index]
        body = twins[index].body
    return node.lineno if isinstance(node, _Function) else 0
