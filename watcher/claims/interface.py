"""The claims stage's contract: claim kinds, the facts they ask for, and their verdicts.

A verdict is a value: `Pass`, `Drift` or `Error(reason)`. Kinds never raise past `evaluate`;
"could not decide" is an `Error` verdict, and the actions stage treats each case on purpose.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from watcher.config import ClaimConfig, ConfigError
from watcher.facts.interface import SourceTree

JSON = Any


@dataclass(frozen=True)
class Evidence:
    """A place in the upstream tree that supports a verdict; `line` 0 means the whole file.
    A claim that reads the web (docs-page) gives the page's URL as `path`: it links to itself."""

    path: str
    line: int
    note: str


@dataclass(frozen=True)
class Verdict:
    status: ClassVar[str]
    message: str
    evidence: tuple[Evidence, ...] = ()
    # What changed against the accepted baseline, as printable lines ("- old", "+ new").
    diff: tuple[str, ...] = ()
    # For a claim bound to several Sources rows (card-references): (row, status) per row. Empty:
    # the claim's own `source` row, with the verdict's status.
    rows: tuple[tuple[str, str], ...] = ()
    # For a claim that checks many things (card-references): (item, status) per thing checked.
    items: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Pass(Verdict):
    status: ClassVar[str] = "pass"


@dataclass(frozen=True)
class Drift(Verdict):
    status: ClassVar[str] = "drift"


@dataclass(frozen=True)
class Error(Verdict):
    status: ClassVar[str] = "error"


@dataclass(frozen=True)
class FactRequest:
    """One extractor run on one upstream file; identical requests are extracted once per run."""

    extractor: str
    path: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Param:
    """A claim parameter in watcher.toml: its type (str, list of str, bool) and default."""

    kind: type
    help: str
    default: object = None
    required: bool = False


@dataclass(frozen=True)
class Extracted:
    """The result of a FactRequest: facts, or the reason there are none."""

    facts: object | None
    error: str | None = None
    blob_id: str | None = None


class ClaimKind(ABC):
    """Base of every claim kind; the subclass docstring's first line is its help text."""

    kind: ClassVar[str]
    params: ClassVar[Mapping[str, Param]] = {}
    registry: ClassVar[dict[str, type[ClaimKind]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            ClaimKind.registry[cls.kind] = cls

    def __init__(self, config: ClaimConfig, values: Mapping[str, Any]) -> None:
        self.config = config
        self.values = values

    @property
    def id(self) -> str:
        return self.config.id

    @abstractmethod
    def requests(self) -> tuple[FactRequest, ...]:
        """The facts this claim needs."""

    def watched_paths(self) -> tuple[str, ...]:
        """Upstream paths whose changes can change the verdict: `history` and `bisect` visit the
        commits that touched them. By default the paths of the facts it asks for."""
        return tuple(request.path for request in self.requests())

    @abstractmethod
    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        """Judge the facts against the card's statement and the accepted baseline (if any).

        `tree` lets a verdict look further (where did a missing route go?); reads are batched.
        """

    def described_params(self) -> tuple[tuple[str, object], ...]:
        """What an issue shows under "What the card says": the claim's parameters as configured."""
        return tuple(self.config.params.items())

    def sections_read(self) -> tuple[str, ...]:
        """Headings of the card's code blocks this claim reads its expectation from."""
        return ()

    @abstractmethod
    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        """The facts to keep as this claim's baseline (JSON), or None when they are missing."""


class ClaimConfigError(ConfigError):
    """A claim's kind or parameters are wrong."""


def build_claim(config: ClaimConfig) -> ClaimKind:
    """Instantiate a claim from config, validating its kind and parameters with breadcrumbs."""
    cls = ClaimKind.registry.get(config.kind)
    if cls is None:
        known = ", ".join(sorted(ClaimKind.registry))
        raise ClaimConfigError(
            f"{config.where}.kind: unknown claim kind {config.kind!r} (known: {known})"
        )
    values: dict[str, Any] = {}
    for key, value in config.params.items():
        spec = cls.params.get(key)
        if spec is None:
            known = ", ".join(sorted({"id", "kind", "source", *cls.params}))
            raise ClaimConfigError(
                f"{config.where}.{key}: unknown key for kind {cls.kind!r} (known: {known})"
            )
        if not _fits(value, spec.kind):
            raise ClaimConfigError(
                f"{config.where}.{key}: expected {_type_name(spec.kind)}, got {type(value).__name__}"
            )
        values[key] = tuple(value) if isinstance(value, list) else value
    for key, spec in cls.params.items():
        if key not in values:
            if spec.required:
                raise ClaimConfigError(f"{config.where}.{key}: missing ({spec.help})")
            values[key] = spec.default
    return cls(config, values)


def _fits(value: object, kind: type) -> bool:
    if kind is list:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if kind is bool:
        return isinstance(value, bool)
    return isinstance(value, kind) and not isinstance(value, bool)


def _type_name(kind: type) -> str:
    return "a list of strings" if kind is list else kind.__name__
