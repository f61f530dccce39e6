"""The tamper-evident hash chain over ``__MigrationHistory`` (SPEC §3).

``hash = sha256(prev_hash + canonical_json(row without hash))``; the first ``prev_hash`` is
64 zeros. Canonical JSON: keys sorted, separators ``,``/``:``, timestamps as UTC
``YYYY-MM-DDTHH:MM:SS.ffffffZ``, JSON columns as their stored text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..kinds import HistoryAction, HistoryStatus

GENESIS = "0" * 64


def utc_text(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"  # == strftime("%Y-%m-%dT%H:%M:%S.%fZ"), 3x faster


#: what ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` builds on
#: every call (once per history row written: a third of the cost of hashing it)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(row: Mapping[str, Any]) -> str:
    return _CANONICAL.encode({k: utc_text(v) if isinstance(v, datetime) else v for k, v in row.items() if k != "hash"})


def row_hash(row: Mapping[str, Any]) -> str:
    """The hash of a row: ``row['prev_hash']`` is part of both the prefix and the JSON."""
    data = row["prev_hash"] + canonical_json(row)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


#: ``details.repair`` of the history row that records an accepted tampering (``repair --accept-history``)
ACCEPT_HISTORY = "accept-history"


@dataclass(frozen=True)
class ChainBreak:
    """One history row that does not fit the chain.

    ``row_hash`` is the hash of the row *as found now* (prev_hash + canonical JSON, so it covers
    its seq, its link and its content): an acceptance pins it, so a row edited again after it
    was accepted breaks the chain again.
    """

    seq: int
    reason: str
    row_hash: str
    #: seq of the ``repair`` row (accept-history) that accepted this break; None: not accepted
    accepted_at: int | None = None

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "reason": self.reason, "row_hash": self.row_hash, "accepted_at": self.accepted_at}


@dataclass(frozen=True)
class ChainVerdict:
    """``bad_seq``/``reason``: the first break not accepted. ``breaks``: every break not accepted,
    in seq order; ``accepted``: breaks a later accept-history row recorded as accepted."""

    ok: bool
    rows: int
    bad_seq: int | None = None
    reason: str = ""
    # keyword-only, so subclasses' positional fields keep their places
    breaks: tuple[ChainBreak, ...] = field(default=(), kw_only=True)
    accepted: tuple[ChainBreak, ...] = field(default=(), kw_only=True)

    def __post_init__(self) -> None:
        # a verdict made the short way (ok, rows, bad_seq, reason) names its break in ``breaks`` too
        if not self.ok and not self.breaks and self.reason and self.bad_seq is not None:
            object.__setattr__(self, "breaks", (ChainBreak(self.bad_seq, self.reason, ""),))

    def __str__(self) -> str:
        if self.ok:
            text = f"history chain intact ({self.rows} rows)"
            if self.accepted:
                text += ", with accepted break(s): " + "; ".join(f"{b} (accepted at seq {b.accepted_at})"
                                                           for b in self.accepted)
            return text
        text = f"history chain broken at seq {self.bad_seq}: {self.reason}"
        more = [b for b in self.breaks if b.seq != self.bad_seq]
        if more:
            text += "\nalso broken at " + "; ".join(str(b) for b in more)
        return text

    @property
    def seqs(self) -> tuple[int, ...]:
        """Every seq this verdict names as not fitting the chain (not accepted)."""
        return tuple(b.seq for b in self.breaks)


def accepted_by(row: Mapping[str, Any]) -> dict[int, str]:
    """The breaks an accept-history ``repair`` row accepts: seq -> row_hash it pinned."""
    if row.get("action") != HistoryAction.REPAIR or row.get("status") != HistoryStatus.OK:
        return {}
    try:
        details = json.loads(row.get("details") or "{}")
        if details.get("repair") != ACCEPT_HISTORY:
            return {}
        return {int(b["seq"]): str(b["row_hash"]) for b in details.get("chain_breaks") or ()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


def _misfit(row: Mapping[str, Any], prev_seq: int, prev_hash: str, found: str) -> str:
    """Why ``row`` does not follow the previous row ("" when it does)."""
    seq = row["seq"]
    if seq > prev_seq + 1:
        gone = f"seq {prev_seq + 1}" if seq == prev_seq + 2 else f"seq {prev_seq + 1}-{seq - 1}"
        return f"seq follows {prev_seq}: row(s) missing before it ({gone} deleted)"
    if seq <= prev_seq:
        return f"seq follows {prev_seq}: sequence out of order"
    if row["prev_hash"] != prev_hash:
        return "prev_hash does not match the previous row"
    if found != row["hash"]:
        return "row content does not match its hash (edited)"
    return ""


def verify_chain(rows: Iterable[Mapping[str, Any]]) -> ChainVerdict:
    """Walk rows in ``seq`` order and report every row that does not fit the chain.

    After a break the walk goes on from the row as stored (its seq and hash), so one edited or
    deleted row is one break and later ones are still found. A break is *accepted* when a later
    intact ``repair`` row of kind accept-history names its seq and the row's hash as found.
    """
    prev_hash = GENESIS
    prev_seq = 0
    count = 0
    open_breaks: dict[int, ChainBreak] = {}
    accepted: list[ChainBreak] = []
    for row in rows:
        count += 1
        seq = row["seq"]
        found = row_hash(row)
        why = _misfit(row, prev_seq, prev_hash, found)
        if why:
            open_breaks[seq] = ChainBreak(seq, why, found)
        elif open_breaks and row["action"] == "repair":
            for s, pinned in accepted_by(row).items():
                b = open_breaks.get(s)
                if b is not None and b.row_hash == pinned:
                    accepted.append(ChainBreak(b.seq, b.reason, b.row_hash, seq))
                    del open_breaks[s]
        prev_hash, prev_seq = row["hash"], seq
    breaks = tuple(sorted(open_breaks.values(), key=lambda b: b.seq))
    if breaks:
        return ChainVerdict(False, count, breaks[0].seq, breaks[0].reason, breaks=breaks, accepted=tuple(accepted))
    return ChainVerdict(True, count, accepted=tuple(accepted))
