"""Expression text for facts that survives formatting, quote style, import aliases and renames.

A guard such as `if not is_valid_ip:` must read the same after `is_valid_ip` is renamed, and
`if uca is not None:` the same as `if user_custom_auth is not None:` when `uca` is only an import
alias. So, inside the function the expression belongs to:
- a name bound by an import is written as the imported object's own name;
- a local variable bound exactly once, from a call, is written as that call: `_check_valid_ip(...)`,
  also when it is one of several names unpacked from the call's result (upstream turned
  `ok = _check_valid_ip(...)` into `ok, ip = _check_valid_ip(...)` in 2024-08 without changing
  the check);
- any other local variable is written `_`;
- parameters, module globals and builtins keep their names (they are interface, not locals).
"""

from __future__ import annotations

import ast
from collections import Counter

import libcst as cst

from watcher.facts.parse import ParsedModule, code, last, statements


def _target_names(target: cst.BaseExpression) -> list[str]:
    """The plain names an assignment target binds (`a`, or `a, b`)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple | cst.List):
        return [e.value.value for e in target.elements if isinstance(e.value, cst.Name)]
    return []


class Renderer:
    """Renders expressions of one function (or of module level when `owner` is '')."""

    def __init__(self, parsed: ParsedModule, owner: str) -> None:
        self.parsed = parsed
        self.params: set[str] = set()
        self.locals: dict[str, str] = {}
        fn = parsed.functions.get(owner)
        if fn is not None:
            self._scan(fn)

    def _scan(self, fn: cst.FunctionDef) -> None:
        params = fn.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            self.params.add(param.name.value)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.params.add(star.name.value)
        bindings: Counter[str] = Counter()
        values: dict[str, cst.Call] = {}
        for small in statements(fn.body):
            targets: list[cst.BaseExpression] = []
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
                value = small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets, value = [small.target], small.value
            elif isinstance(small, cst.AugAssign):
                targets = [small.target]
            if isinstance(value, cst.Await):
                value = value.expression
            for target in targets:
                for name in _target_names(target):
                    bindings[name] += 1
                    if isinstance(value, cst.Call) and len(targets) == 1:
                        values[name] = value
        for name in bindings:
            if name not in self.params:
                self.locals[name] = "_"  # until its definition is rendered below
        for name, call in values.items():
            if bindings[name] == 1 and name not in self.params:
                self.locals[name] = f"{self.expression(call.func)}(...)"

    def name(self, name: str) -> str:
        if name in self.locals:
            return self.locals[name]
        if name in self.params:
            return name
        if name in self.parsed.imports.names:
            return last(self.parsed.imports.resolve_name(name))
        return name

    def expression(self, node: cst.BaseExpression) -> str:
        text = code(node).strip()
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError:
            return " ".join(text.split())
        renamer = self

        class _Rename(ast.NodeTransformer):
            def visit_Name(self, name: ast.Name) -> ast.expr:
                new = renamer.name(name.id)
                if new == name.id:
                    return name
                return ast.Name(id=new, ctx=name.ctx)

        return ast.unparse(_Rename().visit(tree))
