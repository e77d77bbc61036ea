"""What a card names in upstream code, read from the card alone (no configuration).

Python blocks give imports (`from M import N`) and calls of imported names with their keywords;
YAML blocks give the setting keys they show; inline code spans give code names, calls and file
paths. Which module is upstream is decided by the card itself: the top-level packages of the
files its Sources table cites (`litellm/...` makes `litellm` upstream, `fastapi` not).
Everything else a span holds (a URL path, a builtin, prose) is listed as skipped, with why.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from watcher.card.document import CardDocument, CodeBlock, CodeSpan
from watcher.pyast import dotted_name

_PATH = re.compile(r"^[\w.-]+(?:/[\w.-]+)*\.py$")
_KEY = re.compile(r"^[A-Za-z_]\w*$")
_SETTING = re.compile(r"^[a-z_][a-z0-9_]*$")
# A YAML line setting a key to a quoted word, with a comment that may list the other choices.
_VALUE_LINE = re.compile(r"""^\s*([A-Za-z_]\w*):\s*["']([A-Za-z_][\w-]{0,30})["']\s*(#.*)?$""")
_QUOTED_WORD = re.compile(r"""["']([A-Za-z_][\w-]{0,30})["']""")
_BUILTIN = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)


@dataclass(frozen=True)
class Place:
    """Where the card states a reference: a table cell, or a section (and the block's line)."""

    line: int
    section: str
    table: str = ""
    row: str = ""
    column: str = ""

    def __str__(self) -> str:
        if self.table:
            cell = " / ".join(p for p in (self.table, self.row, self.column) if p)
            return f"{cell} (line {self.line})"
        return f"{self.section or 'card'} (line {self.line})"


@dataclass(frozen=True)
class CardReference:
    """One upstream thing the card names. `kind`: import (target `module:name`), module, call
    (target `module:name` or a dotted name, with `keywords`), name (dotted), setting (dotted key
    path of a YAML block), value (`key.path=word`: a quoted word a YAML key is set to, or one its
    comment lists), path (a file), callback (a function of the card's Python that a YAML
    setting names, e.g. `custom_auth: mymodule.my_auth`: target the setting's key path,
    `keywords` the function's parameters, which must take what upstream calls it with)."""

    kind: str
    target: str
    text: str
    keywords: tuple[str, ...] = ()
    places: tuple[Place, ...] = ()

    @property
    def key(self) -> str:
        call = f"({', '.join(self.keywords)})" if self.kind in {"call", "callback"} else ""
        return f"{self.kind} {self.target}{call}"


@dataclass(frozen=True)
class Skipped:
    text: str
    place: Place
    reason: str


@dataclass(frozen=True)
class BlockCheck:
    """A code block and whether its references are checked (`reason` says why not)."""

    language: str
    line: int
    section: str
    checked: bool
    reason: str = ""
    references: tuple[str, ...] = ()  # keys


@dataclass(frozen=True)
class CardReferences:
    references: tuple[CardReference, ...]
    skipped: tuple[Skipped, ...]
    blocks: tuple[BlockCheck, ...]


def _imports(blocks: Iterable[CodeBlock]) -> dict[str, str]:
    """Card-wide: a local name -> `module:name` (or `module` for `import M`), first binding wins."""
    bound: dict[str, str] = {}
    for block in blocks:
        for node in ast.walk(_tree(block) or ast.Module(body=[], type_ignores=[])):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    bound.setdefault(alias.asname or alias.name, f"{node.module}:{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    bound.setdefault(alias.asname or alias.name.split(".")[0], alias.name)
    return bound


def _tree(block: CodeBlock) -> ast.Module | None:
    try:
        return ast.parse(block.text)
    except (SyntaxError, ValueError):
        return None


class _Collector:
    def __init__(self, packages: frozenset[str]) -> None:
        self.packages = packages
        self.found: dict[str, CardReference] = {}
        self.skipped: list[Skipped] = []
        self.values: dict[str, str] = {}  # YAML key path -> its string value

    def upstream(self, module: str) -> bool:
        return module.split(".")[0] in self.packages

    def add(self, ref: CardReference, place: Place) -> str:
        old = self.found.get(ref.key)
        places = (*old.places, place) if old and place not in old.places else (place,)
        places = old.places if old and place in old.places else places
        self.found[ref.key] = CardReference(
            ref.kind, ref.target, old.text if old else ref.text, ref.keywords, places
        )
        return ref.key

    def python(self, block: CodeBlock, imports: dict[str, str]) -> BlockCheck:
        tree = _tree(block)
        if tree is None:
            return BlockCheck(block.language, block.line, block.section, False, "not valid Python")
        keys: list[str] = []
        for node in ast.walk(tree):
            place = Place(block.line + getattr(node, "lineno", 1) - 1, block.section)
            keys.extend(self._python_node(node, place, imports))
        return BlockCheck(
            block.language, block.line, block.section, True, references=tuple(dict.fromkeys(keys))
        )

    def _python_node(self, node: ast.AST, place: Place, imports: dict[str, str]) -> Iterator[str]:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if self.upstream(node.module):
                for alias in node.names:
                    target = f"{node.module}:{alias.name}"
                    yield self.add(CardReference("import", target, ast.unparse(node)), place)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if self.upstream(alias.name):
                    yield self.add(CardReference("module", alias.name, ast.unparse(node)), place)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            target = imports.get(node.func.id, "")
            if ":" in target and self.upstream(target):
                words = tuple(sorted(k.arg for k in node.keywords if k.arg))
                text = ast.unparse(node)
                yield self.add(CardReference("call", target, _short(text), words), place)

    def callbacks(self, block: CodeBlock) -> None:
        """A top-level function whose name a YAML setting gives (`mymodule.my_auth`)."""
        by_name = {value.rsplit(".", 1)[-1]: path for path, value in self.values.items()}
        for node in (_tree(block) or ast.Module(body=[], type_ignores=[])).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in by_name:
                args = node.args
                params = tuple(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
                text = f"def {node.name}({', '.join(params)})"
                place = Place(block.line + node.lineno - 1, block.section)
                self.add(CardReference("callback", by_name[node.name], text, params), place)

    def yaml_block(self, block: CodeBlock) -> BlockCheck:
        import yaml  # only when a card's analysis is not stored already

        try:
            data = yaml.safe_load(block.text)
        except yaml.YAMLError as exc:
            reason = f"not valid YAML ({str(exc).splitlines()[0]})"
            return BlockCheck(block.language, block.line, block.section, False, reason)
        paths = list(_key_paths(data, "", self.values))
        keys = [
            self.add(CardReference("setting", path, path), Place(block.line, block.section))
            for path in paths
        ]
        keys += self._listed_values(block, paths)
        return BlockCheck(block.language, block.line, block.section, True, references=tuple(keys))

    def _listed_values(self, block: CodeBlock, paths: list[str]) -> list[str]:
        """`mode: "on"  # "on" = ...; "auto" = ...`: the quoted word a key is set to, and the
        quoted words its comment lists as the other choices, each a value upstream must read."""
        keys: list[str] = []
        for offset, line in enumerate(block.text.splitlines()):
            match = _VALUE_LINE.match(line)
            path = next((p for p in paths if match and p.split(".")[-1] == match[1]), None)
            if match is None or path is None:
                continue
            words = [match[2], *_QUOTED_WORD.findall(match[3] or "")]
            place = Place(block.line + offset, block.section)
            for word in dict.fromkeys(words):
                ref = CardReference("value", f"{path}={word}", f'{match[1]}: "{word}"')
                keys.append(self.add(ref, place))
        return keys

    def span(self, span: CodeSpan, imports: dict[str, str]) -> None:
        place = Place(span.line, span.section, span.table, span.row, span.column)
        text = span.text.strip()
        if text.startswith("/"):
            self.skipped.append(Skipped(text, place, "a URL path, not a code name"))
        elif _PATH.match(text) and ("/" in text or text.endswith(".py")):
            self.add(CardReference("path", text, text), place)
        elif ": " in text and _yaml_key(text):
            self.add(CardReference("setting", _yaml_key(text), text), place)
        else:
            self._code_span(text, place, imports)

    def _code_span(self, text: str, place: Place, imports: dict[str, str]) -> None:
        try:
            node = ast.parse(text.replace("(...)", "()"), mode="eval").body
        except (SyntaxError, ValueError):
            self.skipped.append(Skipped(text, place, "not a Python name or call"))
            return
        call = node if isinstance(node, ast.Call) else None
        name = dotted_name(call.func if call else node)
        if not name:
            self.skipped.append(Skipped(text, place, "an expression, not a name"))
            return
        head = name.split(".")[0]
        bound = imports.get(head, "")
        if bound and not self.upstream(bound):
            self.skipped.append(Skipped(text, place, f"from {bound.split(':')[0]}, not upstream"))
            return
        if name in _BUILTIN:
            self.skipped.append(Skipped(text, place, "a Python builtin or keyword"))
            return
        words = tuple(sorted(k.arg for k in call.keywords if k.arg)) if call else ()
        kind = "call" if words else "name"
        self.add(CardReference(kind, name, text, words), place)


def _short(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _key_paths(data: object, prefix: str, values: dict[str, str]) -> Iterator[str]:
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(key, str) and _KEY.match(key):
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, str):
                values.setdefault(path, value)
            yield path
            yield from _key_paths(value, path, values)


def _yaml_key(text: str) -> str:
    """`auth: true` -> `auth`; `mode: "on"` -> `mode`: a lower-case key with a literal value (a
    quoted string, a boolean or a number). Prose such as `Authorization: Bearer ...` -> ''."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return ""
    if not isinstance(data, dict) or len(data) != 1:
        return ""
    key, value = next(iter(data.items()))
    quoted = text.split(":", 1)[1].strip()[:1] in {'"', "'"}
    literal = quoted or isinstance(value, bool | int | float)
    return key if isinstance(key, str) and _SETTING.match(key) and literal else ""


def card_references(document: CardDocument, packages: Iterable[str]) -> CardReferences:
    """Every reference of the card to the upstream whose top-level packages are `packages`."""
    collector = _Collector(frozenset(packages))
    python = [b for b in document.blocks if b.language in {"python", "py", "python3"}]
    imports = _imports(python)
    checks: list[BlockCheck] = []
    for block in document.blocks:
        if block in python:
            checks.append(collector.python(block, imports))
        elif block.language in {"yaml", "yml"}:
            checks.append(collector.yaml_block(block))
        else:
            reason = f"a {block.language} block" if block.language else "no language given"
            checks.append(BlockCheck(block.language, block.line, block.section, False, reason))
    for block in python:
        collector.callbacks(block)
    for span in document.spans:
        collector.span(span, imports)
    return CardReferences(tuple(collector.found.values()), tuple(collector.skipped), tuple(checks))
