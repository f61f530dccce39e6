"""Live schema drift on the application layer (SPEC §10): what `nexo drift` and `nexo snapshot`
call, and what the GUI's Drift view will call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.drift import DriftVerdict
    from .session import Session


def drift_verdict(session: "Session") -> "DriftVerdict":
    """The live schema against the last snapshot. Read-only: creates nothing (an SQLite file
    that does not exist has no snapshot)."""
    from ..core.drift import NO_SNAPSHOT, DriftVerdict, check

    target = session.target
    if target.absent():
        return DriftVerdict(NO_SNAPSHOT)
    with target.connect() as conn:
        return check(conn, target.store)


def take_snapshot(session: "Session", lock_timeout: float | None = None) -> dict[str, Any]:
    """Record the live schema as the accepted one; ``{"history_seq", "sha256"}``."""
    from ..core.drift import accept

    seq, snap = accept(session.target, session.lock_timeout if lock_timeout is None else lock_timeout)
    return {"history_seq": seq, "sha256": snap.sha256}
