"""The fixture corpus: one pattern per file, each in a "flag" and a "no-flag" form, facts next to it.

`tests/fixtures/facts/cases/<pattern>.<form>[.<variant>].py` is a small module we wrote; the
`.json` beside it holds the extractor, its parameters, the exact facts expected (as `to_json`
gives them) and the evidence lines. The form says what the claim must conclude:
- routes, `flag`: some route does not authenticate; `no-flag`: every route does;
- dispatch, `flag`: the facts differ from the reference case's; `no-flag`: they are identical;
- `error`: the extractor refuses (never a pass).
A `.py` without its `.json` (or the reverse), or a pattern without both forms, fails the suite.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from watcher.facts import DispatchChain, FactsError, RouteInventory, parse_file, to_json
from watcher.facts.dispatch import extract_dispatch
from watcher.facts.routes import extract_routes

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "facts" / "cases"
SOURCES = sorted(CASES.glob("*.py"))
EXPECTATIONS = sorted(CASES.glob("*.json"))
# Where each kind of case pretends to live upstream (relative imports resolve against it).
HOME = {
    "routes": "litellm/proxy/pass_through_endpoints/",
    "dispatch": "litellm/proxy/auth/",
}


def load(source: Path) -> dict[str, Any]:
    expectation = source.with_suffix(".json")
    if not expectation.exists():
        pytest.fail(f"{source.name} has no expectation: write {expectation.name} next to it")
    data: dict[str, Any] = json.loads(expectation.read_text(encoding="utf-8"))
    return data


def extract(source: Path, case: dict[str, Any]) -> RouteInventory | DispatchChain:
    parsed = parse_file(HOME[case["extractor"]] + source.name, "", source.read_bytes())
    params = case["params"]
    if case["extractor"] == "routes":
        return extract_routes(parsed, frozenset(params["auth"].split(",")))
    return extract_dispatch(parsed, params["entry"], params["marker"])


def _name(path: Path) -> str:
    return path.name.removesuffix(".py")


@pytest.mark.parametrize("source", SOURCES, ids=_name)
def test_case_facts_and_verdict(source: Path) -> None:
    case = load(source)
    pattern, form = source.name.split(".")[:2]
    assert (case["pattern"], case["form"]) == (pattern, form), "file name and JSON disagree"
    if form == "error":
        with pytest.raises(FactsError, match=case["error"].replace("(", r"\(").replace(")", r"\)")):
            extract(source, case)
        return
    facts = extract(source, case)
    assert to_json(facts) == case["facts"]
    if isinstance(facts, RouteInventory):
        assert [[r.line, r.auth.line] for r in facts.routes] == case["lines"]
        unauthenticated = [r.path for r in facts.routes if r.auth.status != "authenticated"]
        assert facts.routes, "a route fixture must register routes"
        assert bool(unauthenticated) == (form == "flag"), unauthenticated
    else:
        lines = {
            "dispatch": facts.line,
            "branches": [b.line for b in facts.branches],
            "checks_before": list(facts.check_lines),
        }
        assert lines == case["lines"]
        reference = CASES / f"{case['reference']}.py"
        expected = to_json(extract(reference, load(reference)))
        assert (to_json(facts) != expected) == (form == "flag")


def test_every_expectation_has_its_source() -> None:
    orphans = [p.name for p in EXPECTATIONS if not p.with_suffix(".py").exists()]
    assert not orphans


def test_every_pattern_has_both_forms() -> None:
    forms: dict[str, set[str]] = defaultdict(set)
    for source in SOURCES:
        pattern, form = source.name.split(".")[:2]
        forms[pattern].add("flag" if form == "error" else form)
    incomplete = {p: sorted(f) for p, f in forms.items() if f != {"flag", "no-flag"}}
    assert not incomplete
    assert len(forms) >= 20  # the corpus covers every pattern of issue 3
