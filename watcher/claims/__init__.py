"""The claims stage: claim kinds judge extracted facts against the card and the baseline."""

from watcher.claims import dispatch_unchanged, route_declared, routes_authenticated
from watcher.claims.interface import (
    JSON,
    ClaimKind,
    Drift,
    Error,
    Evidence,
    Extracted,
    FactRequest,
    Pass,
    Verdict,
    build_claim,
)

KINDS = (
    dispatch_unchanged.DispatchUnchanged,
    route_declared.RouteDeclared,
    routes_authenticated.RoutesAuthenticated,
)

__all__ = [
    "JSON",
    "KINDS",
    "ClaimKind",
    "Drift",
    "Error",
    "Evidence",
    "Extracted",
    "FactRequest",
    "Pass",
    "Verdict",
    "build_claim",
]
