"""What a window shows of a database, read at one moment through the engine's own status.

The GUI used to read the state tables itself (``read_snapshot``) and so missed what ``nexo
status`` decides on top of them: a ``running`` row is *in progress* while its deployer holds
the lock, not dirty. Both fronts now call ``core.operations.status_on``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.project import Project, Snapshot
    from .session import Session


@dataclass(frozen=True)
class DatabaseView:
    snapshot: "Snapshot"
    #: every history row, oldest first (HistoryRow)
    history: tuple[Any, ...]
    server_version: str | None
    lock_holder: str | None


def read_view(session: "Session", project: "Project") -> DatabaseView:
    """Status, history, server version and lock holder (read-only; creates nothing). The
    target must exist (``session.target.absent()`` is the caller's to check)."""
    from ..core.operations import status_on
    from ..core.state.locks import lock_for

    target = session.target
    with target.connect() as conn:
        version = target.server_version(conn)
        snap = status_on(project, target, conn)
        history = tuple(target.store.history(conn))
        if conn.in_transaction():
            conn.rollback()
    try:
        holder = lock_for(target.engine).holder()
    except Exception:  # noqa: BLE001 - a lock probe must never break a refresh
        holder = None
    return DatabaseView(snap, history, version, holder)
