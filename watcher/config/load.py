"""Read watcher.toml and validate all of it, naming the exact key that is wrong.

Schema as data (pre-commit's style): each table lists its keys, their types and defaults, so an
unknown or mistyped key is reported with its breadcrumb, e.g. `cards[0].claims[2].source`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from watcher.card import CardError, parse_sources, read_card
from watcher.card.document import read_document
from watcher.card.tables import CardTable, StatementRef, cell_text, parse_tables, ref_problem
from watcher.config.interface import (
    DEFAULT_REF,
    DEFAULT_UPSTREAM_URL,
    CardConfig,
    ClaimConfig,
    Config,
    ConfigError,
    GitHubConfig,
    UpstreamConfig,
)
from watcher.config.references import (
    REFERENCES_ID,
    cited_files,
    references_claim,
    references_of,
)
from watcher.facts.limits import ParseLimits
from watcher.upstream.interface import UpstreamError
from watcher.upstream.urls import check_ref, check_url, redact

_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_GITHUB_WEB = re.compile(r"https://github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?")
# Where permalinks point: a plain https address (no credentials, no query, nothing to escape).
_WEB_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/-]*)?")

_TOP_KEYS = {
    "snapshots": str,
    "upstreams": list,
    "cards": list,
    "github": dict,
    "limits": dict,
}
_UPSTREAM_KEYS = {"name": str, "url": str, "ref": str, "web_url": str}
_CARD_KEYS = {"id": str, "path": str, "upstream": str, "claims": list, "references": bool}
_CLAIM_COMMON = {"id", "kind", "source"}
_COVERS_KEYS = {"table": str, "row": str, "column": str}
_GITHUB_KEYS = {"repository": str, "label": str, "failure_threshold": int}
_LIMITS_KEYS = {name: int for name in ParseLimits.__dataclass_fields__}


def _table(
    value: object, where: str, schema: Mapping[str, type], required: set[str]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table")
    for key, item in value.items():
        crumb = f"{where}.{key}" if where else key
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise ConfigError(f"{crumb}: unknown key (known: {known})")
        expected = schema[key]
        if not isinstance(item, expected) or (isinstance(item, bool) and expected is int):
            raise ConfigError(f"{crumb}: expected {expected.__name__}, got {type(item).__name__}")
    for key in sorted(required - value.keys()):
        raise ConfigError(f"{where + '.' if where else ''}{key}: missing (required)")
    return value


def default_web_url(url: str) -> str | None:
    match = _GITHUB_WEB.fullmatch(url)
    return f"https://github.com/{match.group(1)}" if match else None


def _upstreams(raw: list[Any]) -> dict[str, UpstreamConfig]:
    upstreams: dict[str, UpstreamConfig] = {}
    for index, item in enumerate(raw):
        where = f"upstreams[{index}]"
        table = _table(item, where, _UPSTREAM_KEYS, {"name"})
        name = table["name"]
        if name in upstreams:
            raise ConfigError(f"{where}.name: duplicate upstream name {name!r}")
        url = table.get("url", DEFAULT_UPSTREAM_URL)
        ref = table.get("ref", DEFAULT_REF)
        for key, check, value in (("url", check_url, url), ("ref", check_ref, ref)):
            try:
                check(value)
            except UpstreamError as exc:
                raise ConfigError(f"{where}.{key}: {exc}") from None
        web_url = table.get("web_url", default_web_url(url))
        if web_url and not _WEB_URL.fullmatch(web_url):
            raise ConfigError(
                f"{where}.web_url: {redact(web_url)!r} is not a plain https:// address "
                "(e.g. https://github.com/BerriAI/litellm; no credentials, query or spaces)"
            )
        upstreams[name] = UpstreamConfig(
            name=name,
            url=url,
            ref=ref,
            web_url=web_url,
        )
    if not upstreams:
        upstreams["litellm"] = UpstreamConfig(
            "litellm", DEFAULT_UPSTREAM_URL, DEFAULT_REF, default_web_url(DEFAULT_UPSTREAM_URL)
        )
    return upstreams


def _covers(
    raw: object, where: str, tables: list[CardTable], card_where: str
) -> tuple[StatementRef, ...]:
    """`covers = [{table = "...", row = "...", column = "..."}]`, each checked against the card."""
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: expected a list of tables like {{table = ..., row = ...}}")
    refs: list[StatementRef] = []
    for index, item in enumerate(raw):
        crumb = f"{where}[{index}]"
        table = _table(item, crumb, _COVERS_KEYS, {"table", "row"})
        ref = StatementRef(table["table"], table["row"], table.get("column", ""))
        problem = ref_problem(tables, ref)
        if problem is not None:
            key, what = problem
            raise ConfigError(f"{crumb}.{key}: {what} in {card_where}")
        refs.append(ref)
    return tuple(refs)


def _claim(
    item: object,
    where: str,
    sources: set[str],
    card_where: str,
    tables: list[CardTable],
    blocks: tuple[tuple[str, str], ...] = (),
) -> ClaimConfig:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a table")
    for key in sorted(_CLAIM_COMMON - item.keys()):
        raise ConfigError(f"{where}.{key}: missing (required)")
    for key in _CLAIM_COMMON:
        if not isinstance(item[key], str):
            raise ConfigError(f"{where}.{key}: expected str, got {type(item[key]).__name__}")
    if not _ID.fullmatch(item["id"]):
        raise ConfigError(f"{where}.id: {item['id']!r} is not a lowercase slug like 'my-claim'")
    covers = (
        _covers(item["covers"], f"{where}.covers", tables, card_where) if "covers" in item else ()
    )
    dates_row = item["source"] in sources
    if not dates_row and not _cited_in(tables, covers, item["source"]):
        raise ConfigError(
            f"{where}.source: no Sources row for {item['source']!r} in {card_where} "
            "(use the exact text of a Source cell, or a link cited in a row this claim covers)"
        )
    params = {k: v for k, v in item.items() if k not in _CLAIM_COMMON and k != "covers"}
    cells = tuple((ref, text) for ref in covers if (text := cell_text(tables, ref)) is not None)
    return ClaimConfig(
        item["id"],
        item["kind"],
        item["source"],
        where,
        MappingProxyType(params),
        covers,
        cells,
        blocks,
        dates_row,
    )


def _cited_in(tables: list[CardTable], covers: tuple[StatementRef, ...], source: str) -> bool:
    """`source` is the text of a cell in a row the claim covers: the card cites it there (the
    Resources table's links), so a claim may check it without vouching for any Sources row."""
    forms = (f"({source})", f"<{source}>")  # a Markdown link or autolink around it
    return any(
        cell == source or any(form in cell for form in forms)
        for table in tables
        for row in table.rows
        if any(ref.table == table.name and ref.row == row.key for ref in covers)
        for cell in row.cells
    )


def _cards(
    raw: list[Any], root: Path, upstreams: Mapping[str, UpstreamConfig]
) -> tuple[CardConfig, ...]:
    cards: list[CardConfig] = []
    for index, item in enumerate(raw):
        where = f"cards[{index}]"
        table = _table(item, where, _CARD_KEYS, {"id", "path"})
        if not _ID.fullmatch(table["id"]):
            raise ConfigError(f"{where}.id: {table['id']!r} is not a lowercase slug like 'my-card'")
        if any(card.id == table["id"] for card in cards):
            raise ConfigError(f"{where}.id: duplicate card id {table['id']!r}")
        upstream = table.get("upstream", next(iter(upstreams)))
        if upstream not in upstreams:
            raise ConfigError(
                f"{where}.upstream: no upstream named {upstream!r} (known: {', '.join(upstreams)})"
            )
        path = _inside(root, table["path"], f"{where}.path")
        try:
            text = read_card(path)
            sources = parse_sources(text, table["path"])
        except CardError as exc:
            raise ConfigError(f"{where}.path: {exc}") from None
        tables = parse_tables(text)
        document = read_document(text)
        blocks = tuple((block.section, block.text) for block in document.blocks)
        claims: list[ClaimConfig] = []
        for claim_index, claim_item in enumerate(table.get("claims", [])):
            claim = _claim(
                claim_item,
                f"{where}.claims[{claim_index}]",
                {row.source for row in sources.rows},
                table["path"],
                tables,
                blocks,
            )
            if any(other.id == claim.id for other in claims):
                raise ConfigError(
                    f"{claim.where}.id: duplicate claim id {claim.id!r} in card {table['id']!r}"
                )
            claims.append(claim)
        web = upstreams[upstream].web_url or ""
        repository = web.removeprefix("https://github.com/") if "github.com/" in web else None
        cited = cited_files(sources.rows, repository)
        found = references_of(text, document, cited)
        if found and table.get("references", True) and all(c.id != REFERENCES_ID for c in claims):
            implicit = references_claim(found, cited, tables, f"{where}.references")
            claims.extend([implicit] if implicit else [])
        cards.append(CardConfig(table["id"], path, upstream, tuple(claims), where, found))
    if not cards:
        raise ConfigError("cards: no cards configured (add a [[cards]] table)")
    return tuple(cards)


def _github(raw: object) -> GitHubConfig:
    table = _table(raw, "github", _GITHUB_KEYS, set())
    repository = table.get("repository")
    if repository is not None and not _REPOSITORY.fullmatch(repository):
        raise ConfigError(f"github.repository: {repository!r} is not 'owner/name'")
    threshold = table.get("failure_threshold", 3)
    if threshold < 1:
        raise ConfigError("github.failure_threshold: must be at least 1")
    return GitHubConfig(repository, table.get("label", "watcher"), threshold)


def _inside(root: Path, value: str, key: str) -> Path:
    """`value` resolved against the project (symlinks followed): watcher writes there, so it must
    stay inside the project, where `--commit` and a reviewer can see every change."""
    path = (root / value).resolve()
    if not path.is_relative_to(root):
        raise ConfigError(
            f"{key}: {value!r} is outside the project {root} (or a symlink out of it); "
            "keep cards and snapshots inside it"
        )
    return path


def _limits(raw: object) -> ParseLimits:
    table = _table(raw, "limits", _LIMITS_KEYS, set())
    for key, value in table.items():
        if value < 1:
            raise ConfigError(f"limits.{key}: must be at least 1")
    return ParseLimits(**table)


def load_config(path: Path) -> Config:
    """Parse and validate the whole file; raise ConfigError naming the first bad key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config not found (create it or pass --config PATH)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    try:
        table = _table(raw, "", _TOP_KEYS, {"cards"})
        root = path.resolve().parent
        upstreams = _upstreams(table.get("upstreams", []))
        return Config(
            path=path,
            root=root,
            snapshots_dir=_inside(root, table.get("snapshots", "snapshots"), "snapshots"),
            upstreams=MappingProxyType(upstreams),
            cards=_cards(table["cards"], root, upstreams),
            github=_github(table.get("github", {})),
            limits=_limits(table.get("limits", {})),
        )
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
