"""What an importer produces: foreign migrations in the other tool's apply order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote


@dataclass(frozen=True)
class ForeignMigration:
    """One migration of another tool, as read from its files."""

    tool: str
    #: the other tool's identity: Flyway version, Liquibase id::author, Alembic revision, ...
    foreign_id: str
    #: nexo name: [a-z0-9_]+ keeping the foreign identity
    name: str
    up: str
    down: str | None = None
    verify: str | None = None
    description: str = ""
    transaction: str = "per-migration"
    #: the foreign checksum (Flyway CRC32, Liquibase MD5SUM, Sqitch SHA-1 ...), as text
    checksum: str = ""
    #: a timestamp of the other tool (YYYYMMDDHHMMSS digits) when it has one
    timestamp: str | None = None
    #: foreign ids this one depends on (Sqitch requires, Alembic down_revision/depends_on);
    #: None: linear tool, depends on the previous one
    requires: tuple[str, ...] | None = None
    #: a complete Python migration body (Alembic) instead of SQL sections
    python: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Unsupported:
    """A foreign item that cannot be converted, with the reason."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class ForeignProject:
    tool: str
    migrations: list[ForeignMigration] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)


def slug(text: str) -> str:
    """A nexo name from foreign text: lowercase, runs of other characters become one `_`."""
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return out or "migration"


def origin_text(tool: str, foreign_id: str, checksum: str) -> str:
    """The `origin` header value: tool=… id=… checksum=… (values %-quoted, so spaces survive)."""
    return f"tool={tool} id={quote(foreign_id, safe='')} checksum={quote(checksum, safe='')}"


ORIGIN_RE = re.compile(r"^(?:--|#)\s*origin:\s*(.+?)\s*$", re.MULTILINE)


def parse_origin(text: str) -> dict[str, str] | None:
    """tool/id/checksum of a file written by `nexo import` (None: not imported)."""
    m = ORIGIN_RE.search(text)
    if m is None:
        return None
    out = {}
    for part in m.group(1).split():
        key, _, value = part.partition("=")
        out[key] = unquote(value)
    return out if "tool" in out and "id" in out else None
