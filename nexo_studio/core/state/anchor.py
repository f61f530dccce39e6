"""Anchors: what makes tampering after an export provable (SPEC §7, README "Tampering").

The hash chain is unkeyed: it catches an edited row, but someone who can write to the database
can recompute every hash after an edit and write the tail to match, and then the chain verifies.
What they cannot rewrite is a copy kept elsewhere. An anchor records the history's head when it
was taken: the last ``seq``, that row's stored ``hash``, the number of rows, and a digest of the
content of every row up to it (sha256 over each row's hash as recomputed from its content).
``nexo audit verify --anchor FILE`` checks that the history still holds those rows unchanged;
any change to a row up to the head (its content, its links, or a deletion) is then found even if
every hash and the tail were rewritten.

An anchor is a small JSON file (``nexo audit anchor --out FILE``, format ``nexo-anchor/1``), or an
exported JSON report (``nexo-report/1``: its ``header.history`` head_seq / head_hash; without the
content digest, so rows up to the head must also fit the chain).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ...errors import InvalidInput
from .chain import GENESIS
from .chainscan import _as_is, _canonical, _timestamp, _SERVER_TS, history_tuples

if TYPE_CHECKING:
    from .store import StateStore

FORMAT = "nexo-anchor/1"


@dataclass(frozen=True)
class Anchor:
    head_seq: int
    head_hash: str
    rows: int
    #: sha256 over the recomputed hash of every row up to head_seq (None: a report's header)
    content_sha256: str | None = None
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "head_seq": self.head_seq, "head_hash": self.head_hash,
                "content_sha256": self.content_sha256}


@dataclass(frozen=True)
class Head:
    """The history up to a seq as found now."""

    rows: int
    head_seq: int
    head_hash: str
    content_sha256: str
    #: seqs up to the head whose content does not match their stored hash or link
    misfits: tuple[int, ...] = ()


def read_head(store: "StateStore", conn: sa.Connection, upto: int | None = None) -> Head:
    """Walk the history (up to ``upto``, else all of it) recomputing each row's hash."""
    if not store.exists(conn) and store.t.history.name not in store.present(conn):
        return Head(0, 0, GENESIS, hashlib.sha256().hexdigest())
    ts = _as_is if conn.dialect.name in _SERVER_TS else _timestamp
    digest, sha = hashlib.sha256(), hashlib.sha256
    rows, head_seq, head_hash, prev_hash, misfits = 0, 0, GENESIS, GENESIS, []
    for r in history_tuples(store, conn):
        if upto is not None and r[0] > upto:
            continue  # read to the end: the cursor is drained, not abandoned
        found = sha((r[13] + _canonical(r, ts)).encode("utf-8")).hexdigest() if isinstance(r[13], str) else ""
        digest.update(found.encode("ascii"))
        if found != r[14] or r[13] != prev_hash or r[0] != head_seq + 1:
            misfits.append(r[0])
        rows, head_seq, head_hash, prev_hash = rows + 1, r[0], r[14], r[14]
    return Head(rows, head_seq, head_hash, digest.hexdigest(), tuple(misfits))


def anchor_document(head: Head, database: str, dialect: str) -> dict[str, Any]:
    return {"format": FORMAT, "database": database, "dialect": dialect,
            "taken_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "history": {"rows": head.rows, "head_seq": head.head_seq, "head_hash": head.head_hash,
                        "content_sha256": head.content_sha256}}


def load_anchor(path: Path) -> Anchor:
    """An anchor file or an exported JSON report; InvalidInput naming the file otherwise."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: anchor file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"{path}: not an anchor (nexo audit anchor) or JSON report: {exc}") from None
    try:
        if isinstance(doc, dict) and doc.get("format") == FORMAT:
            h = doc["history"]
            return Anchor(int(h["head_seq"]), str(h["head_hash"]), int(h["rows"]), str(h["content_sha256"]),
                          f"anchor {path}")
        h = doc["header"]["history"]  # nexo-report/1
        return Anchor(int(h["head_seq"]), str(h["head_hash"]), int(h["rows"]), None, f"report {path}")
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"{path}: not an anchor (nexo audit anchor) or JSON report: "
                           "no history head (head_seq, head_hash) in it") from None


def anchor_problems(anchor: Anchor, head: Head) -> list[str]:
    """What changed in the history up to the anchor's head since it was taken ([]: nothing)."""
    at = f"seq {anchor.head_seq}"
    out = []
    if head.head_seq < anchor.head_seq:
        out.append(f"the history now ends at seq {head.head_seq}, before the anchored head {at}: "
                   "rows were deleted")
    elif head.head_hash != anchor.head_hash:
        out.append(f"the row at {at} has hash {head.head_hash[:16]}…, the anchor recorded "
                   f"{anchor.head_hash[:16]}…: the history up to it was rewritten after the anchor was taken")
    if head.rows != anchor.rows:
        out.append(f"{head.rows} rows up to {at}, the anchor counted {anchor.rows}")
    if anchor.content_sha256 is not None and head.content_sha256 != anchor.content_sha256:
        out.append(f"the content of the rows up to {at} is not what was anchored (rows edited, deleted or "
                   "re-hashed since)")
    if anchor.content_sha256 is None and head.misfits:
        out.append("rows up to the anchored head do not fit the chain: seq "
                   + ", ".join(str(s) for s in head.misfits))
    return out


@dataclass(frozen=True)
class AnchorVerdict:
    anchor: Anchor
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        what = f"{self.anchor.source} (head seq {self.anchor.head_seq}, {self.anchor.rows} rows)"
        if self.ok:
            return f"history unchanged up to the {what}"
        return f"history changed since the {what}:\n" + "\n".join(f"  {p}" for p in self.problems)
