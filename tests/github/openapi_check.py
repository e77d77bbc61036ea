"""Check requests and responses against GitHub's OpenAPI description (the subset in tests/data).

Enough of JSON Schema for GitHub's description: type, nullable, enum, properties, required,
items, additionalProperties, oneOf/anyOf/allOf. `oneOf` is checked as `anyOf`: GitHub's
description has overlapping alternatives (a label is a string or an object with a name).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC = Path(__file__).resolve().parent.parent / "data" / "github-openapi-issues.json"
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def validate(schema: Any, value: Any, where: str = "$") -> list[str]:
    """Every way `value` breaks `schema`, as `where: what` lines."""
    if not schema:
        return []
    if value is None:
        return (
            []
            if schema.get("nullable") or ("type" not in schema and not _alternatives(schema))
            else [f"{where}: null"]
        )
    for key in ("oneOf", "anyOf"):
        if key in schema:
            tries = [validate(option, value, where) for option in schema[key]]
            if all(tries):
                return [f"{where}: matches none of {key}: {min(tries, key=len)[0]}"]
    problems = [p for option in schema.get("allOf", []) for p in validate(option, value, where)]
    kind = schema.get("type")
    if kind is not None:
        expected = _TYPES[kind]
        if not isinstance(value, expected) or (
            kind in ("integer", "number") and isinstance(value, bool)
        ):
            return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: missing required {name!r}")
        for name, item in value.items():
            if name in properties:
                problems += validate(properties[name], item, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{where}: unexpected property {name!r}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += validate(schema["items"], item, f"{where}[{index}]")
    return problems


def _alternatives(schema: Any) -> bool:
    return any(key in schema for key in ("oneOf", "anyOf", "allOf"))


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(
            "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$"
        )

    def check_request(self, query: dict[str, list[str]], body: Any) -> list[str]:
        problems = []
        params = {p["name"]: p for p in self.spec["parameters"] if p["in"] == "query"}
        for name, values in query.items():
            if name not in params:
                problems.append(f"{self.id}: unknown query parameter {name!r}")
                continue
            schema = params[name]["schema"]
            for value in values:
                parsed: Any = value
                if schema.get("type") == "integer":
                    if not value.isdigit():
                        problems.append(f"{self.id}: query {name}={value!r} is not an integer")
                        continue
                    parsed = int(value)
                problems += validate(schema, parsed, f"{self.id} query {name}")
        request = self.spec["requestBody"]
        if request is None:
            if body is not None:
                problems.append(f"{self.id}: takes no request body")
        elif body is None:
            if request["required"]:
                problems.append(f"{self.id}: request body required")
        else:
            problems += validate(request["schema"], body, f"{self.id} request")
        return problems

    def check_response(self, status: int, headers: dict[str, str], body: Any) -> list[str]:
        response = self.spec["responses"].get(str(status))
        if response is None:
            return []  # GitHub sends statuses its description leaves out (401, 429)
        problems = [
            f"{self.id} {status}: documented header {name} missing"
            for name in response["headers"]
            if name.lower() != "link" and name.lower() not in {h.lower() for h in headers}
        ]
        return problems + validate(response["schema"], body, f"{self.id} {status}")


class OpenAPI:
    def __init__(self, path: Path = SPEC) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.source = data["source"]
        self.operations = [
            Operation(op_id, spec["method"], spec["path"], spec)
            for op_id, spec in data["operations"].items()
        ]

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for operation in self.operations:
            match = operation.pattern.match(path)
            if operation.method == method and match:
                return operation, match.groupdict()
        return None
