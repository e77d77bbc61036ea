"""Parse one upstream file with libcst and index what every extractor needs from it."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from watcher.facts.interface import FactsError
from watcher.facts.lines import LineIndex

FunctionNode = cst.FunctionDef

_EMPTY = cst.Module(body=[])


def code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def canonical_code(node: cst.BaseExpression) -> str:
    """Source of an expression with formatting, comments and quote style normalized away."""
    text = code(node)
    try:
        return ast.unparse(ast.parse(text.strip(), mode="eval"))
    except SyntaxError:
        return " ".join(text.split())


def dotted(node: cst.BaseExpression) -> str:
    """`a.b.c` for a Name/Attribute chain, '' for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else ""
    return ""


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain or implicitly concatenated string literal, else None."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        return left + right if left is not None and right is not None else None
    return None


class ImportMap:
    """Local name -> dotted origin, from every import in the module (function-level ones too).

    Relative imports are made absolute against the module's own package, so `from ..auth import x`
    and `from litellm.proxy.auth import x` resolve alike.
    """

    def __init__(self, package: str = "") -> None:
        self.package = package
        self.names: dict[str, str] = {}

    def _absolute(self, level: int, module: str) -> str:
        if level == 0:
            return module
        parts = self.package.split(".") if self.package else []
        base = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        return ".".join([*base, module] if module else base)

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.names[alias.asname.name.value] = full
                else:
                    self.names.setdefault(full.split(".")[0], full.split(".")[0])
            return
        if isinstance(node.names, cst.ImportStar):
            return
        module = self._absolute(len(node.relative), dotted(node.module) if node.module else "")
        for alias in node.names:
            name = dotted(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.names[local] = f"{module}.{name}" if module else name

    def resolve(self, node: cst.BaseExpression) -> str:
        """Canonical dotted name of a reference: the import's origin replaces a local alias."""
        return self.resolve_name(dotted(node))

    def resolve_name(self, name: str) -> str:
        if not name:
            return ""
        head, _, rest = name.partition(".")
        origin = self.names.get(head)
        if origin is None:
            return name
        return f"{origin}.{rest}" if rest else origin


def last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def raw_callee(node: cst.BaseExpression) -> str:
    """Last component of a call target as written (the line index keys calls the same way)."""
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return ""


def package_of(path: str) -> str:
    """`litellm/proxy/auth/x.py` -> `litellm.proxy.auth` (for relative imports)."""
    parts = path.split("/")[:-1]
    return ".".join(parts)


class _Ranks:
    """Call and If ordinals inside one function, from a walk that stops as soon as it can."""

    def __init__(self, fn: cst.FunctionDef) -> None:
        self._nodes = walk(fn)
        self._calls: dict[str, int] = {}
        self._ifs = 0
        self.seen: dict[int, tuple[str | None, int]] = {}

    def find(self, target: cst.CSTNode) -> tuple[str | None, int] | None:
        key = id(target)
        while key not in self.seen:
            node = next(self._nodes, None)
            if node is None:
                return None
            if type(node) is cst.Call:
                assert isinstance(node, cst.Call)
                callee = raw_callee(node.func)
                self.seen[id(node)] = (callee, self._calls.get(callee, 0))
                self._calls[callee] = self._calls.get(callee, 0) + 1
            elif type(node) is cst.If:
                self.seen[id(node)] = (None, self._ifs)
                self._ifs += 1
        return self.seen[key]


@dataclass
class ParsedModule:
    path: str
    blob_id: str
    module: cst.Module
    lines: LineIndex
    functions: dict[str, FunctionNode]
    imports: ImportMap
    # Module-level defs that come after an import of the same name (the def is what runs).
    shadowing: set[str] = dataclasses.field(default_factory=set)
    _ranks: dict[str, _Ranks] = dataclasses.field(default_factory=dict, repr=False)

    def local_function(self, func: cst.BaseExpression) -> str | None:
        """The function of this module a call target names: a plain name that no import rebinds
        after the def."""
        if isinstance(func, cst.Name):
            name = func.value
            if name in self.functions and (
                name not in self.imports.names or name in self.shadowing
            ):
                return name
        return None

    def line_of(self, owner: str, target: cst.CSTNode) -> int:
        """Line of a Call or If node inside module function `owner`, found by preorder rank."""
        fn = self.functions.get(owner)
        if fn is None:
            return 0
        ranks = self._ranks.get(owner)
        if ranks is None:
            ranks = self._ranks[owner] = _Ranks(fn)
        found = ranks.find(target)
        if found is None:
            return self.lines.function(owner)
        callee, ordinal = found
        if callee is None:
            return self.lines.if_statement(owner, ordinal)
        return self.lines.call(owner, callee, ordinal)


def blocks(stmt: cst.CSTNode) -> list[cst.BaseSuite]:
    """The statement blocks directly inside a compound statement, in source order."""
    out: list[cst.BaseSuite] = []
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.BaseSuite):
        out.append(body)
    out.extend(handler.body for handler in getattr(stmt, "handlers", ()))
    out.extend(case.body for case in getattr(stmt, "cases", ()))
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        out.extend(blocks(orelse))
    elif isinstance(orelse, cst.Else):
        out.append(orelse.body)
    final = getattr(stmt, "finalbody", None)
    if isinstance(final, cst.Finally):
        out.append(final.body)
    return out


def statements(suite: cst.Module | cst.BaseSuite) -> Iterator[cst.BaseSmallStatement]:
    """Every simple statement in a block and all blocks nested in it, functions included,
    without walking into expressions (which is where the time of a full walk goes)."""
    stack: list[cst.CSTNode] = (
        list(reversed(suite.body)) if isinstance(suite.body, list | tuple) else []
    )
    if isinstance(suite, cst.SimpleStatementSuite):
        yield from suite.body
        return
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
            continue
        for block in reversed(blocks(stmt)):
            if isinstance(block, cst.SimpleStatementSuite):
                stack.append(cst.SimpleStatementLine(body=block.body))
            else:
                stack.extend(reversed(block.body))


def assigned_values(fn: cst.FunctionDef, name: str) -> list[cst.BaseExpression]:
    """Every value a plain name is assigned in a function (`x = v`, `x: T = v`), nested blocks
    included: callers follow a local only when there is exactly one."""
    values: list[cst.BaseExpression] = []
    for small in statements(fn.body):
        if isinstance(small, cst.Assign):
            targets, value = [t.target for t in small.targets], small.value
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            targets, value = [small.target], small.value
        else:
            continue
        if any(isinstance(t, cst.Name) and t.value == name for t in targets):
            values.append(value)
    return values


def _imported_names(node: cst.Import | cst.ImportFrom) -> list[str]:
    if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
        return []
    names: list[str] = []
    assert not isinstance(node.names, cst.ImportStar)
    for alias in node.names:
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            names.append(alias.asname.name.value)
        else:
            names.append(dotted(alias.name).split(".")[0])
    return names


def _index(module: cst.Module, package: str) -> tuple[dict[str, FunctionNode], ImportMap, set[str]]:
    """Functions (module level and class methods), imports, and the module-level names whose
    last binding is a `def` (a def after an import of the same name shadows it)."""
    functions: dict[str, FunctionNode] = {}
    imports = ImportMap(package)
    last_binding: dict[str, str] = {}

    def scan(body: Sequence[cst.CSTNode], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                functions[prefix + stmt.name.value] = stmt
                if not prefix:
                    last_binding[stmt.name.value] = "def"
                if isinstance(stmt.body, cst.IndentedBlock):
                    # Nested defs are indexed too (a route may be declared inside a factory);
                    # their dotted names never match a plain call, so they are not helpers.
                    scan(stmt.body.body, f"{prefix}{stmt.name.value}.<locals>.")
            elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                scan(stmt.body.body, f"{prefix}{stmt.name.value}.")
            elif not isinstance(stmt, cst.SimpleStatementLine):
                for block in blocks(stmt):
                    if isinstance(block, cst.IndentedBlock):
                        scan(block.body, prefix)
            elif isinstance(stmt, cst.SimpleStatementLine) and not prefix:
                for small in stmt.body:
                    if isinstance(small, cst.Import | cst.ImportFrom):
                        last_binding.update(dict.fromkeys(_imported_names(small), "import"))

    scan(module.body, "")
    for small in statements(module):
        if isinstance(small, cst.Import | cst.ImportFrom):
            imports.add(small)
    shadowing = {name for name, kind in last_binding.items() if kind == "def"}
    return functions, imports, shadowing


def parse(path: str, blob_id: str, data: bytes) -> ParsedModule:
    """Decode (strict UTF-8) and parse; FactsError names the file and line on failure."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FactsError(f"{path}: not UTF-8 (invalid byte at offset {exc.start})") from None
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise FactsError(f"{path}:{exc.raw_line}: does not parse ({exc.message})") from None
    functions, imports, shadowing = _index(module, package_of(path))
    return ParsedModule(path, blob_id, module, LineIndex(text), functions, imports, shadowing)


# Fields in source order where libcst declares them otherwise; the line index depends on it.
_SOURCE_ORDER: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "bases", "keywords", "body"),
    cst.IfExp: ("body", "test", "orelse"),
}
# Fields that hold only layout (whitespace, brackets, commas, comments, operator tokens). Skipping
# them halves a walk and never hides a Call, Name or statement.
_LAYOUT = {
    "colon",
    "comma",
    "dot",
    "equal",
    "first_colon",
    "second_colon",
    "footer",
    "header",
    "lbrace",
    "lbracket",
    "rbrace",
    "rbracket",
    "leading_lines",
    "lines_after_decorators",
    "lpar",
    "rpar",
    "newline",
    "semicolon",
    "separator",
    "operator",
    "asynchronous",
    "posonly_ind",
    "empty_lines",
    "comment",
}
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}
_IS_NODE: dict[type, bool] = {}


def _is_node(value: object) -> bool:
    # isinstance against libcst's ABC is slow; the answer per type never changes.
    kind = type(value)
    known = _IS_NODE.get(kind)
    if known is None:
        known = _IS_NODE[kind] = isinstance(value, cst.CSTNode)
    return known


def _fields(kind: type[cst.CSTNode], node: cst.CSTNode) -> tuple[str, ...]:
    names = _SOURCE_ORDER.get(kind) or tuple(f.name for f in dataclasses.fields(node))
    return tuple(n for n in names if n not in _LAYOUT and not n.startswith("whitespace"))


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Child nodes in source order, read from dataclass fields, layout-only fields skipped
    (libcst's `.children` runs a full visitor per node and dominated the extraction time)."""
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = _fields(kind, node)
    out: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, list | tuple):
            out.extend(item for item in value if _is_node(item))
        elif _is_node(value):
            out.append(value)
    return out


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Preorder over a subtree in source order (the order the line index assumes)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
