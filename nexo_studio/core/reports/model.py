"""The audit report as data: filters, header, summary, state table, verdict, event streams.

A :class:`Report` holds the small parts in memory (header, summary counts, the state table, the
hash-chain verdict) and the large parts as *streams*: ``events()``, ``deployments()`` and
``failures()`` each start a new pass over the history and yield one item at a time, so a
renderer that writes as it reads uses memory that does not grow with the number of rows.
Renderers only see this model; they never touch the database (tests build reports in memory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Protocol

from sqlalchemy.engine import Row

from ...errors import InvalidInput
from ..kinds import HistoryAction, HistoryStatus, MigrationStatus
from ..state.audit import audit_verdict
from ..state.chain import ChainVerdict, utc_text
from ..state.store import Tampering, details_dict

#: every column of ``__MigrationHistory``, in table order: the CSV columns and the JSON event keys
HISTORY_COLUMNS: tuple[str, ...] = (
    "seq", "deployment_id", "migration_id", "action", "status", "started_at", "finished_at",
    "duration_ms", "operator", "host", "tool_version", "details", "error", "prev_hash", "hash",
)
#: history actions and statuses (SPEC §3); filters outside these are refused, not silently empty
ACTIONS: tuple[str, ...] = tuple(HistoryAction)
EVENT_STATUSES: tuple[str, ...] = ("ok", "failed", "cancelled")
#: statuses a --status filter accepts: the engine also records the deploy_end of a deployment that
#: failed and was rolled back automatically as ``rolled_back``
FILTER_STATUSES: tuple[str, ...] = (*EVENT_STATUSES, "rolled_back")
#: migration lists in the summary, from the current state (not filtered)
#: (``rolled_back``: the row says rolled back; ``failed``: pending, its last apply attempt failed)
MIGRATION_GROUPS: tuple[str, ...] = (MigrationStatus.APPLIED, MigrationStatus.ROLLED_BACK, MigrationStatus.FAILED,
                                     MigrationStatus.DRIFTED, MigrationStatus.MISSING, MigrationStatus.DIRTY,
                                     MigrationStatus.PENDING)


class EventRow(Protocol):
    """One history event: ``store.HistoryRow``, or a database row read with the same columns
    (the exporter streams SQLAlchemy rows as they come, without copying them)."""

    seq: int
    deployment_id: str | None
    migration_id: str | None
    action: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    operator: str | None
    host: str | None
    tool_version: str | None
    details: str | None
    error: str | None
    prev_hash: str
    hash: str


def event_values(row: EventRow) -> tuple[Any, ...]:
    """The event's column values in ``HISTORY_COLUMNS`` order."""
    if isinstance(row, (Row, tuple)):  # a row of ``select(history)``: already in table order
        return tuple(row)
    return tuple(getattr(row, c) for c in HISTORY_COLUMNS)


def details_of(row: EventRow) -> dict[str, Any]:
    """The event's ``details`` JSON as a dict ({} when empty or not an object)."""
    return details_dict(row.details)


def iso(value: datetime | None) -> str | None:
    """UTC ISO-8601 with microseconds and ``Z`` -- the same text the hash chain hashes
    (``chain.utc_text``), made with ``isoformat``, which is several times faster than ``strftime``
    on the 100,000-row paths. Naive values are UTC (as stored)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    if value.year < 1000:  # isoformat pads the year, strftime("%Y") may not: defer to the chain
        return utc_text(value)
    return value.isoformat(timespec="microseconds") + "Z"


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


# --------------------------------------------------------------------------------------------
# filters


def _parse_when(name: str, text: str, end_of_day: bool) -> datetime:
    raw = text.strip()
    try:
        if len(raw) == 10:  # a plain date: the whole day counts
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.min, tzinfo=timezone.utc)
            return moment + timedelta(days=1, microseconds=-1) if end_of_day else moment
        return as_utc(datetime.fromisoformat(raw))
    except ValueError:
        raise InvalidInput(
            f"--{name}: not an ISO date or time: {text!r} (use e.g. 2025-01-31 or 2025-01-31T14:00:00Z)"
        ) from None


@dataclass(frozen=True)
class ReportFilters:
    """Which events a report lists. Times are UTC; ``since`` and ``until`` are inclusive.

    ``until`` given as a plain date means the end of that day. Summary counts, deployments and
    failures follow the filters; the state table and the hash-chain verdict never do (the verdict
    always covers the whole history).
    """

    since: datetime | None = None
    until: datetime | None = None
    migration_id: str | None = None
    action: str | None = None
    status: str | None = None
    deployment_id: str | None = None

    @classmethod
    def parse(cls, *, since: str | None = None, until: str | None = None, migration_id: str | None = None,
              action: str | None = None, status: str | None = None,
              deployment_id: str | None = None) -> "ReportFilters":
        start = _parse_when("since", since, end_of_day=False) if since else None
        end = _parse_when("until", until, end_of_day=True) if until else None
        if start is not None and end is not None and start > end:
            raise InvalidInput(f"--since {since} is after --until {until}")
        if action is not None and action not in ACTIONS:
            raise InvalidInput(f"--action: unknown action {action!r} (one of {', '.join(ACTIONS)})")
        if status is not None and status not in FILTER_STATUSES:
            raise InvalidInput(f"--status: unknown status {status!r} (one of {', '.join(FILTER_STATUSES)})")
        return cls(start, end, migration_id or None, action, status, deployment_id or None)

    @property
    def is_empty(self) -> bool:
        return all(v is None for v in self.as_dict().values())

    def as_dict(self) -> dict[str, str | None]:
        return {
            "since": iso(self.since), "until": iso(self.until), "migration_id": self.migration_id,
            "action": self.action, "status": self.status, "deployment_id": self.deployment_id,
        }

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.as_dict().items() if v is not None]
        return ", ".join(parts) if parts else "none (complete history)"


# --------------------------------------------------------------------------------------------
# parts of a report


@dataclass(frozen=True)
class Header:
    database: str  # password redacted
    dialect: str
    server_version: str
    schema_version: str | None
    project: str
    generated_at: datetime
    generated_by: str  # operator@host of whoever exported
    tool_version: str
    filters: ReportFilters
    history_rows: int  # rows in __MigrationHistory (through head_seq), ignoring filters
    head_seq: int  # the report covers history up to this seq; later rows are not in it
    head_hash: str  # hash of the row at head_seq (GENESIS for an empty history)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": "Nexo Studio audit report",
            "database": self.database,
            "dialect": self.dialect,
            "server_version": self.server_version,
            "schema_version": self.schema_version,
            "project": self.project,
            "generated_at": iso(self.generated_at),
            "generated_by": self.generated_by,
            "tool": "nexo-studio",
            "tool_version": self.tool_version,
            "filters": self.filters.as_dict(),
            "filtered": not self.filters.is_empty,
            "history": {"rows": self.history_rows, "head_seq": self.head_seq, "head_hash": self.head_hash},
        }


@dataclass(frozen=True)
class Deployment:
    """One ``deploy_start`` with its ``deploy_end`` (matched by ``deployment_id``)."""

    deployment_id: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    outcome: str  # deployed, failed, cancelled, ... ; "incomplete" without a deploy_end row
    status: str | None  # status of the deploy_end row
    plan: tuple[str, ...]
    applied: tuple[str, ...]
    rolled_back: tuple[str, ...]
    failed: str | None
    backup: str | None
    error: str | None
    operator: str | None
    host: str | None
    start_seq: int
    end_seq: int | None

    @property
    def ok(self) -> bool:
        return self.end_seq is not None and self.status == HistoryStatus.OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id, "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at), "duration_ms": self.duration_ms,
            "outcome": self.outcome, "status": self.status, "plan": list(self.plan),
            "applied": list(self.applied), "rolled_back": list(self.rolled_back), "failed": self.failed,
            "backup": self.backup, "error": self.error, "operator": self.operator, "host": self.host,
            "start_seq": self.start_seq, "end_seq": self.end_seq,
        }


@dataclass(frozen=True)
class Failure:
    """A history event whose status is not ``ok``, with what its details say about the cause."""

    seq: int
    started_at: datetime
    action: str
    status: str
    migration_id: str | None
    deployment_id: str | None
    error: str | None
    statement: str | None
    line: int | None
    file: str | None

    @classmethod
    def from_row(cls, row: EventRow) -> "Failure":
        d = details_of(row)
        line = d.get("line")
        return cls(row.seq, row.started_at, row.action, row.status, row.migration_id, row.deployment_id,
                   row.error, d.get("statement"), line if isinstance(line, int) else None, d.get("file"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "started_at": iso(self.started_at), "action": self.action,
            "status": self.status, "migration_id": self.migration_id, "deployment_id": self.deployment_id,
            "error": self.error, "statement": self.statement, "line": self.line, "file": self.file,
        }


@dataclass(frozen=True)
class ApplyDuration:
    """Successful applies of one migration within the filtered events."""

    migration_id: str
    runs: int
    avg_ms: int
    max_ms: int
    last_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {"migration_id": self.migration_id, "runs": self.runs, "avg_ms": self.avg_ms,
                "max_ms": self.max_ms, "last_ms": self.last_ms}


@dataclass(frozen=True)
class StateRow:
    """One line of the current state table (``__Migrations`` joined with the project files)."""

    id: str
    version: str
    name: str
    status: str  # pending, applied, failed, dirty, drifted, missing (SPEC §3)
    stored_status: str | None  # the raw __Migrations.status (applied, rolled_back, running, failed)
    description: str
    applied_at: datetime | None
    applied_by: str | None
    execution_ms: int | None
    checksum: str | None  # as stored
    checksum_state: str  # "ok", "changed", "file gone", "" (not applied)
    depends: tuple[str, ...]
    reversible: bool | None  # None when the file is gone
    #: the file's ``-- lint: allow CODE "reason"`` lines: (code, reason) pairs (SPEC §11)
    lint_allowed: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "name": self.name, "status": self.status,
            "stored_status": self.stored_status, "description": self.description,
            "applied_at": iso(self.applied_at), "applied_by": self.applied_by,
            "execution_ms": self.execution_ms, "checksum": self.checksum,
            "checksum_state": self.checksum_state, "depends": list(self.depends),
            "reversible": self.reversible,
            "lint_allowed": [{"code": c, "reason": r} for c, r in self.lint_allowed],
        }


@dataclass(frozen=True)
class Summary:
    events: int  # filtered events in the report
    by_action: Mapping[str, Mapping[str, int]]  # action -> status -> count
    by_status: Mapping[str, int]
    migrations: Mapping[str, tuple[str, ...]]  # MIGRATION_GROUPS -> ids (current state)
    apply_durations: tuple[ApplyDuration, ...] = ()

    def counts_as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "by_action": {a: dict(s) for a, s in self.by_action.items()},
            "by_status": dict(self.by_status),
        }

    def migrations_as_dict(self) -> dict[str, list[str]]:
        return {k: list(self.migrations.get(k, ())) for k in MIGRATION_GROUPS}


def verdict_status(verdict: ChainVerdict) -> str:
    """``tampered``; ``accepted`` (intact, with changes accepted on record); ``intact``."""
    return "tampered" if not verdict.ok else ("accepted" if verdict.accepted else "intact")


def integrity_notes(verdict: ChainVerdict) -> tuple[dict[int, str], tuple[str, ...]]:
    """What the verdict says about single history rows (seq -> text: a row that breaks the chain,
    an event __Migrations contradicts, a change accepted on record and the row that accepted it)
    and about the history as a whole (rows deleted from its end, a table lost, an event whose row
    is gone). One wording for the CSV ``audit`` column and the marks in the HTML/PDF event table;
    a row's text starts with ``TAMPERED:`` when the verdict counts it against the history."""
    bad: dict[int, list[str]] = {}
    noted: dict[int, list[str]] = {}
    for b in verdict.breaks:
        bad.setdefault(b.seq, []).append(b.reason)
    whole: list[str] = []
    for seq, text in zip(getattr(verdict, "problem_seqs", ()), getattr(verdict, "problems", ())):
        if seq is None:
            whole.append(text)
        else:
            bad.setdefault(seq, []).append(f"contradicted by __Migrations: {text}")
    for b in verdict.accepted:
        noted.setdefault(b.seq, []).append(f"tampered, accepted at seq {b.accepted_at}: {b.reason}")
        if b.accepted_at is not None:  # always, for an accepted break
            noted.setdefault(b.accepted_at, []).append(f"accepts the tampered row seq {b.seq}")
    notes = {seq: "; ".join(texts) for seq, texts in noted.items()}
    for seq, texts in bad.items():
        notes[seq] = "TAMPERED: " + "; ".join(texts + ([notes[seq]] if seq in notes else []))
    return notes, tuple(whole)


def verdict_as_dict(verdict: ChainVerdict) -> dict[str, Any]:
    """The JSON ``verdict``: the first members as in the first version of the schema; the
    others added since (never renamed), so old readers keep working."""
    problems = getattr(verdict, "problems", ())
    return {"ok": verdict.ok, "rows": verdict.rows, "bad_seq": verdict.bad_seq,
            "reason": verdict.reason or (problems[0] if problems else None), "scope": "whole history",
            "text": str(verdict),
            "status": verdict_status(verdict), "seqs": list(verdict.seqs),
            "breaks": [b.as_dict() for b in verdict.breaks],
            "accepted": [b.as_dict() for b in verdict.accepted],
            "problems": [{"seq": seq, "text": text}
                         for seq, text in zip(getattr(verdict, "problem_seqs", ()), problems)]}


def _empty() -> Iterator[Any]:
    return iter(())


class Report:
    """Everything a renderer needs. Streams may be iterated more than once (each call re-reads).

    ``verdict`` may be given as a callable: it is then computed on first use (the chain check
    reads the whole history; the JSON writer checks it over the rows it writes instead).
    ``tampering`` (StateStore.tampering() at export time) is what the state tables contradict:
    :meth:`audit` combines it with a chain verdict, as ``nexo audit verify`` does.
    """

    def __init__(self, header: Header, summary: Summary, state: tuple[StateRow, ...],
                 verdict: ChainVerdict | Callable[[], ChainVerdict],
                 events: Callable[[], Iterator[EventRow]] = _empty,
                 deployments: Callable[[], Iterator[Deployment]] = _empty,
                 failures: Callable[[], Iterator[Failure]] = _empty,
                 tampering: Tampering | None = None) -> None:
        self.header = header
        self.summary = summary
        self.state = tuple(state)
        self._verdict = verdict
        self.tampering = tampering
        self.events = events
        self.deployments = deployments
        self.failures = failures
        #: the live schema against the last snapshot (SPEC §10; see reports.source.drift_verdict)
        self.drift: dict | None = None

    @property
    def verdict(self) -> ChainVerdict:
        if not isinstance(self._verdict, ChainVerdict):
            self._verdict = self._verdict()
        return self._verdict

    @verdict.setter
    def verdict(self, value: ChainVerdict) -> None:
        self._verdict = value

    def audit(self, chain: ChainVerdict) -> ChainVerdict:
        """The report's verdict from a chain verdict: with what the state tables contradict."""
        return audit_verdict(chain, self.tampering)

    @property
    def verdict_pending(self) -> bool:
        """The verdict has not been computed yet (a writer may compute it in its own pass)."""
        return not isinstance(self._verdict, ChainVerdict)

    @property
    def holds_whole_history(self) -> bool:
        """``events()`` yields every history row up to ``head_seq``: unfiltered and complete."""
        return self.header.filters.is_empty and self.summary.events == self.header.history_rows

    def __repr__(self) -> str:
        return f"Report({self.header.database!r}, events={self.summary.events})"

    @classmethod
    def in_memory(cls, header: Header, summary: Summary, state: Iterable[StateRow], verdict: ChainVerdict,
                  events: Iterable[EventRow] = (), deployments: Iterable[Deployment] = (),
                  failures: Iterable[Failure] | None = None) -> "Report":
        """A report over lists (tests, previews). Failures default to the non-ok events."""
        ev, dep = list(events), list(deployments)
        fail = list(failures) if failures is not None else [Failure.from_row(r) for r in ev if r.status != HistoryStatus.OK]
        return cls(header, summary, tuple(state), verdict, lambda: iter(ev), lambda: iter(dep), lambda: iter(fail))
