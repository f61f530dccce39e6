"""The ``fleet_start`` / ``fleet_end`` history rows (SPEC §7, §9).

A fleet run's rows live in each target's own history, written by that target's own deploy or
rollback, under its lock and with its ``deployment_id``: ``fleet_start`` before the first
change (after the plan is known to be non-empty: a target with nothing to do gets no rows),
``fleet_end`` after the last, with this target's counts. ``details.fleet_id`` says which fleet
run. A run killed in between leaves a ``fleet_start`` without its ``fleet_end``: an ordinary,
chained row that nothing waits for, so the next run (fleet or not) proceeds as usual.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from .kinds import HistoryAction, HistoryStatus
from .results import OperationResult
from .state.store import utcnow
from .target import Target


def fleet_id_of(labels: dict) -> str | None:
    """The fleet run these labels belong to (None: not a fleet run)."""
    value = labels.get("fleet_id")
    return value if isinstance(value, str) and value else None


def _append(target: Target, conn: sa.Connection, action: str, status: str, started: datetime,
            deployment_id: str | None, details: dict, error: str | None = None) -> None:
    with conn.begin():
        target.store.append(conn, action=action, status=status, started_at=started,
                            deployment_id=deployment_id, details=details, error=error)


def record_start(target: Target, conn: sa.Connection, labels: dict, operation: str, deployment_id: str | None,
                 plan: tuple[str, ...] | list[str]) -> datetime | None:
    """Write ``fleet_start`` when ``labels`` name a fleet run; returns when it started (None: not a fleet run)."""
    fleet_id = fleet_id_of(labels)
    if fleet_id is None:
        return None
    started = utcnow()
    _append(target, conn, HistoryAction.FLEET_START, HistoryStatus.OK, started, deployment_id,
            {**labels, "operation": operation, "planned": len(plan), "plan": list(plan)})
    return started


def record_end(target: Target, conn: sa.Connection, labels: dict, started: datetime | None,
               result: OperationResult, planned: int) -> None:
    """Write ``fleet_end`` (this target's counts and outcome) after a ``fleet_start``."""
    if started is None:
        return
    status = (HistoryStatus.OK if result.ok else
              HistoryStatus.CANCELLED if result.status == "cancelled" else HistoryStatus.FAILED)
    _append(target, conn, HistoryAction.FLEET_END, status, started, result.deployment_id,
            {**labels, "operation": result.action, "outcome": result.status, "planned": planned,
             "applied": len(result.applied), "rolled_back": len(result.rolled_back), "failed": result.failed},
            error=None if result.ok else (result.message or None))
