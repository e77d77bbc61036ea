"""Facts as JSON and back, evidence included: the facts cache stores exactly what an extractor returned.

Facts are frozen dataclasses from `watcher.facts` holding tuples, strings, numbers and booleans.
(The card's store uses the same codec for `watcher.card` dataclasses: `package=`.)
`to_json` in the facts stage drops evidence (line numbers); a cache must not, so this codec keeps
every field. Decoding only ever builds dataclasses defined in `watcher.facts` modules from plain
JSON values: a tampered cache file can produce wrong facts (it is our own directory), never code.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

FACTS_PACKAGE = "watcher.facts"


class Uncacheable(Exception):
    """The value holds something this codec cannot round-trip exactly; it is simply not cached."""


def encode(value: Any, package: str = FACTS_PACKAGE) -> Any:
    """`value` as JSON data; dataclasses only from modules of `package` (the card's store uses
    `watcher.card`)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Uncacheable("non-finite float")
        return value
    if isinstance(value, tuple):
        return [encode(item, package) for item in value]
    if isinstance(value, list):
        return {"list": [encode(item, package) for item in value]}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise Uncacheable("dict with non-string keys")
        return {"dict": {key: encode(item, package) for key, item in value.items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        if not _is_fact_type(kind, package):
            raise Uncacheable(
                f"{kind.__module__}.{kind.__qualname__} is not a {_label(package)} dataclass"
            )
        fields = dataclasses.fields(value)
        if any(not f.init for f in fields):
            raise Uncacheable(f"{kind.__qualname__} has fields set outside __init__")
        return {
            "type": f"{kind.__module__}:{kind.__qualname__}",
            "fields": {f.name: encode(getattr(value, f.name), package) for f in fields},
        }
    raise Uncacheable(f"cannot store a {type(value).__name__}")


def decode(data: Any, package: str = FACTS_PACKAGE) -> Any:
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return tuple(decode(item, package) for item in data)
    if isinstance(data, dict) and set(data) == {"list"} and isinstance(data["list"], list):
        return [decode(item, package) for item in data["list"]]
    if isinstance(data, dict) and set(data) == {"dict"} and isinstance(data["dict"], dict):
        return {key: decode(item, package) for key, item in data["dict"].items()}
    if isinstance(data, dict) and set(data) == {"type", "fields"}:
        kind = _fact_type(data["type"], package)
        if not isinstance(data["fields"], dict):
            raise ValueError("dataclass fields must be an object")
        return kind(**{key: decode(item, package) for key, item in data["fields"].items()})
    raise ValueError(f"not an encoded fact: {type(data).__name__}")


def round_trips(value: Any) -> Any:
    """The encoded value, if decoding it gives back an identical value (evidence fields too)."""
    encoded = encode(value)
    decoded = decode(encoded)
    # `==` on facts ignores evidence (compare=False); re-encoding compares every field.
    if decoded != value or encode(decoded) != encoded:
        raise Uncacheable("value does not read back identically")
    return encoded


def _label(package: str) -> str:
    """`watcher.facts` -> 'facts', `watcher.card` -> 'card': what the messages call its types."""
    return package.rsplit(".", 1)[-1]


def _is_fact_type(kind: type, package: str = FACTS_PACKAGE) -> bool:
    module = kind.__module__
    top_level = "." not in kind.__qualname__
    return top_level and (module == package or module.startswith(package + "."))


_TYPES: dict[tuple[str, str], type] = {}


def _fact_type(name: object, package: str) -> type:
    if isinstance(name, str) and (package, name) in _TYPES:
        return _TYPES[package, name]
    if not isinstance(name, str) or ":" not in name:
        raise ValueError(f"bad type name {name!r}")
    module_name, _, qualname = name.partition(":")
    if not (module_name == package or module_name.startswith(package + ".")):
        raise ValueError(f"{name!r} is not a {_label(package)} type")
    kind = getattr(importlib.import_module(module_name), qualname, None)
    if (
        not isinstance(kind, type)
        or not dataclasses.is_dataclass(kind)
        or not _is_fact_type(kind, package)
    ):
        raise ValueError(f"{name!r} is not a {_label(package)} dataclass")
    _TYPES[package, name] = kind
    return kind
