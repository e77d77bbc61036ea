"""History and bisect: a card's claims evaluated along the upstream's first-parent history.

Kept import-light on purpose: the orchestrator imports `watcher.history.interface` for the
`FirstChange` it attaches to drifted claims.
"""
