"""Small helpers on stdlib `ast` trees, shared by the card reader (the card's Python) and the
facts stage (upstream modules read through the line index's tree)."""

from __future__ import annotations

import ast


def dotted_name(node: ast.expr) -> str:
    """`a.b.c` for a Name/Attribute chain, '' for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""
