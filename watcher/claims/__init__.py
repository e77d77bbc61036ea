"""The claims stage: claim kinds judge extracted facts against the card and the baseline."""

from watcher.claims import (
    assigned_from,
    call_path,
    card_references,
    dispatch_unchanged,
    docs_page,
    route_declared,
    router_included,
    routes_authenticated,
    source_file,
)
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
    assigned_from.AssignedFrom,
    call_path.CallPathClaim,
    call_path.NoCallPath,
    card_references.CardReferences,
    dispatch_unchanged.DispatchUnchanged,
    docs_page.DocsPage,
    route_declared.RouteDeclared,
    router_included.RouterIncluded,
    routes_authenticated.RoutesAuthenticated,
    source_file.SourceFile,
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
