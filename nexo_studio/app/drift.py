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


def read_drift(session: "Session") -> "DriftVerdict":
    """:func:`drift_verdict` for a view that must never fail: a schema that cannot be reflected
    or read is the verdict ``unknown`` with the reason (redacted), never an exception."""
    from ..core.db import redact
    from ..core.drift import UNKNOWN, DriftVerdict

    try:
        return drift_verdict(session)
    except Exception as exc:  # noqa: BLE001 -- shown in the Drift view and the status bar
        text = str(getattr(exc, "orig", None) or exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        return DriftVerdict(UNKNOWN, reason=redact(f"{type(exc).__name__}: {first}"))
