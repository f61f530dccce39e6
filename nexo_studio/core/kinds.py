"""The words the state tables store, defined once: migration statuses, history actions and
history statuses (SPEC §3). Each is a ``StrEnum``: a member *is* its string, so it compares
equal to what is already stored and serialises (JSON, CSV, the hash chain) exactly as before."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["HistoryAction", "HistoryStatus", "MigrationStatus"]


class MigrationStatus(StrEnum):
    """A migration's status: stored in ``__Migrations`` (applied, failed, running, rolled_back)
    or shown (pending, dirty, drifted, missing as well)."""

    PENDING = "pending"
    APPLIED = "applied"
    FAILED = "failed"
    RUNNING = "running"
    ROLLED_BACK = "rolled_back"
    DIRTY = "dirty"
    DRIFTED = "drifted"
    MISSING = "missing"


class HistoryAction(StrEnum):
    """The ``action`` of a ``__MigrationHistory`` row."""

    APPLY = "apply"
    ROLLBACK = "rollback"
    VERIFY = "verify"
    BACKUP = "backup"
    RESTORE = "restore"
    DEPLOY_START = "deploy_start"
    DEPLOY_END = "deploy_end"
    REPAIR = "repair"
    BASELINE = "baseline"
    ADOPT = "adopt"
    SNAPSHOT = "snapshot"
    FLEET_START = "fleet_start"
    FLEET_END = "fleet_end"


class HistoryStatus(StrEnum):
    """The ``status`` of a ``__MigrationHistory`` row."""

    OK = "ok"
    FAILED = "failed"
    CANCELLED = "cancelled"
