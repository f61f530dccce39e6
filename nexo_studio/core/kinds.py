"""The words the state tables store, defined once: migration statuses, history actions and
history statuses (SPEC §3). Each is a ``StrEnum``: a member *is* its string, so it compares
equal to what is already stored and serialises (JSON, CSV, the hash chain) exactly as before."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["HistoryAction", "HistoryStatus", "MigrationStatus", "PENDING", "APPLIED", "FAILED", "RUNNING",
           "ROLLED_BACK", "DIRTY", "DRIFTED", "MISSING"]


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



# The migration statuses as module-level names, for the loops that compare once or more per
# migration (`status` of 10,000 migrations compares ~100,000 times): on Python 3.11 every
# attribute of an enum class is looked up through EnumType (~75 ns, against ~7 for a global).
PENDING, APPLIED, FAILED, RUNNING = (MigrationStatus.PENDING, MigrationStatus.APPLIED, MigrationStatus.FAILED,
                                     MigrationStatus.RUNNING)
ROLLED_BACK, DIRTY, DRIFTED, MISSING = (MigrationStatus.ROLLED_BACK, MigrationStatus.DIRTY, MigrationStatus.DRIFTED,
                                        MigrationStatus.MISSING)

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
