"""What changed in a claim's facts between two commits, as lines a person can read."""

from __future__ import annotations

from watcher.claims import JSON
from watcher.claims.common import json_diff


def _label(item: object) -> str | None:
    """`/cohere/{endpoint:path} GET,POST cohere_proxy_route` for a route-like fact, else None."""
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        return None
    methods = ",".join(str(method) for method in item.get("methods", ()))
    parts = [item["path"], methods, str(item.get("handler", ""))]
    return " ".join(part for part in parts if part)


def _flat(item: JSON) -> JSON:
    if (
        isinstance(item, dict)
        and set(item) == {"file", "route"}
        and isinstance(item["route"], dict)
    ):
        return {**item["route"], "file": item["file"]}
    return item


def _keyed(facts: JSON) -> JSON:
    """Lists of route-like facts keyed by what they are, not by position: an inserted route
    would otherwise show as every later route changing. Other lists (a dispatch chain's
    branches, whose order is the fact) keep their positions. A route in scope (`{file, route}`)
    reads as the route with its file, so a move shows as `.file: a -> b`."""
    if (
        isinstance(facts, dict)
        and set(facts) == {"file", "route"}
        and isinstance(facts["route"], dict)
    ):
        return _keyed({**facts["route"], "file": facts["file"]})
    if isinstance(facts, dict):
        return {key: _keyed(value) for key, value in facts.items()}
    if isinstance(facts, list):
        facts = [_flat(item) for item in facts]
        labels = [_label(item) for item in facts]
        if facts and None not in labels and len(set(labels)) == len(labels):
            return {f"[{label}]": _keyed(item) for label, item in zip(labels, facts, strict=True)}
        return [_keyed(item) for item in facts]
    return facts


def fact_diff(old: JSON, new: JSON) -> list[str]:
    """`routes[/x GET h].auth.status: "authenticated" -> "none"`, `+ branches[0]: {...}`."""
    return [line.replace(".[", "[") for line in json_diff(_keyed(old), _keyed(new))]
