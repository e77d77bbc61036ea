"""The zero-configuration claim every card gets: its references, read from the card itself.

The card's Sources rows that cite Python files of its upstream are where the search starts, and
their top-level packages say which modules are upstream. A card that cites no upstream Python
file gets no such claim (nothing to anchor the search); `watcher coverage` says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from types import MappingProxyType

from watcher.card import stored
from watcher.card.document import CardDocument
from watcher.card.references import CardReferences, card_references
from watcher.card.sources import SourceRow
from watcher.card.tables import CardTable, StatementRef
from watcher.config.interface import ClaimConfig

REFERENCES_ID = "card-references"
_BLOB = re.compile(r"^https://github\.com/([^/]+/[^/]+)/blob/[^/]+/(.+\.py)$")


def cited_files(rows: Sequence[SourceRow], repository: str | None) -> dict[str, str]:
    """upstream path -> the Sources row citing it, for rows that link a Python file of the
    upstream (`owner/name`; any GitHub repository when the upstream is not on GitHub)."""
    cited: dict[str, str] = {}
    for row in rows:
        match = _BLOB.match(row.source)
        if match and (repository is None or match.group(1).lower() == repository.lower()):
            cited.setdefault(match.group(2), row.source)
    return cited


def references_of(
    text: str, document: CardDocument, cited: dict[str, str]
) -> CardReferences | None:
    """The card's references to its upstream (None: it cites no Python file of it); stored with
    the card's analysis, by its text and the upstream packages."""
    if not cited:
        return None
    packages = sorted({path.split("/")[0] for path in cited})
    key = "\0".join([text, *packages])
    found = stored.load("references", key)
    if isinstance(found, CardReferences):
        return found
    found = card_references(document, packages)
    stored.save("references", key, found)
    return found


def _statements(found: CardReferences, tables: Sequence[CardTable]) -> tuple[StatementRef, ...]:
    """The table statements a reference sits in: its cell in a YES/NO table, else its row."""
    matrix = {table.name for table in tables if table.is_matrix}
    refs = (
        StatementRef(p.table, p.row, p.column if p.table in matrix else "")
        for ref in found.references
        for p in ref.places
        if p.table and p.row
    )
    return tuple(dict.fromkeys(refs))


def references_claim(
    found: CardReferences, cited: dict[str, str], tables: Sequence[CardTable], where: str
) -> ClaimConfig | None:
    if not found.references:
        return None
    refs = [
        {
            "key": ref.key,
            "kind": ref.kind,
            "target": ref.target,
            "keywords": list(ref.keywords),
            "text": ref.text,
            "places": [str(place) for place in ref.places],
        }
        for ref in found.references
    ]
    modules = sorted(
        {ref.target.partition(":")[0] for ref in found.references if ":" in ref.target}
        | {ref.target for ref in found.references if ref.kind == "module"}
    )
    params = {
        "refs": json.dumps(refs, sort_keys=True),
        "seeds": list(cited),
        "modules": modules,
        "rows": [f"{path}\t{row}" for path, row in cited.items()],
    }
    covers = _statements(found, tables)
    return ClaimConfig(
        REFERENCES_ID, "card-references", "", where, MappingProxyType(params), covers
    )
