"""The migrations table: one precomputed record per migration state, and its filter proxy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont

from ...core.project import MigrationState, Snapshot
from ..palette import STATUS_LABELS, status_colour, status_icon
from .common import ID_ROLE, SORT_ROLE, STATUS_ROLE, _Index, _RowsTableModel, fmt_ms, fmt_time


@dataclass(frozen=True)
class StateRecord:
    id: str
    status: str
    version: str
    name: str
    description: str
    applied_at: str
    applied_by: str
    duration: str
    duration_ms: int
    checksum: str  # ok, changed, file gone, not recorded, —
    checksum_tip: str
    reversible: bool


def state_record(s: MigrationState, dialect: str) -> StateRecord:
    r, m = s.row, s.migration
    live = r if r is not None and r.status != "rolled_back" else None  # the row, when it counts
    if live is None:
        checksum, tip = "—", "not applied"
    elif m is None:
        checksum, tip = "file gone", f"recorded {live.checksum[:12]}…; the file no longer exists"
    elif s.status == "drifted":
        checksum, tip = "changed", f"recorded {live.checksum[:12]}…, file now {m.checksum(dialect)[:12]}…"
    elif s.status == "dirty":
        checksum, tip = "unknown", f"row is {live.status}: the migration may be partly applied"
    else:
        checksum, tip = "ok", f"SHA-256 {live.checksum}"
    return StateRecord(
        id=s.id, status=s.status, version=s.version, name=s.name,
        description=s.description.splitlines()[0] if s.description else "",
        applied_at=fmt_time(live.applied_at) if live is not None and live.applied_at else "",
        applied_by=(live.applied_by or "") if live is not None else "",
        duration=fmt_ms(live.execution_ms) if live is not None else "",
        duration_ms=(live.execution_ms or 0) if live is not None else -1,
        checksum=checksum, checksum_tip=tip,
        reversible=bool(m and m.reversible(dialect)),
    )


class StateTableModel(_RowsTableModel):
    COLUMNS = ("Status", "Version", "Name", "Description", "Applied at (UTC)", "By", "Duration", "Checksum", "Risk")
    STATUS, VERSION, NAME, DESCRIPTION, APPLIED_AT, BY, DURATION, CHECKSUM, RISK = range(9)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: tuple[StateRecord, ...] = ()
        self._row_of: dict[str, int] = {}
        #: migration id -> the highest lint level of its pending ``up`` (error, warning)
        self.risks: dict[str, str] = {}

    def set_risks(self, risks: dict[str, str]) -> None:
        if risks == self.risks:
            return  # a repaint of every row for nothing
        self.risks = dict(risks)
        if self._rows:
            self.dataChanged.emit(self.index(0, self.RISK), self.index(len(self._rows) - 1, self.RISK))

    # -- data in -------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot | None, records: tuple[StateRecord, ...] | None = None) -> None:
        """``records``: :func:`state_record` of each of ``snap``'s states, built ahead (on the
        worker: ``reversible`` parses every file's sections); None builds them here."""
        if records is not None:
            rows = records
        else:
            rows = tuple(state_record(s, snap.dialect) for s in snap.states) if snap else ()
        self.beginResetModel()
        self._rows = rows
        self._row_of = {r.id: i for i, r in enumerate(rows)}
        self.endResetModel()

    def set_status(self, migration_id: str, status: str) -> None:
        """A live change while an operation runs (the refresh afterwards replaces everything)."""
        row = self._row_of.get(migration_id)
        if row is None or self._rows[row].status == status:
            return
        rows = list(self._rows)
        rows[row] = StateRecord(**{**rows[row].__dict__, "status": status})
        self._rows = tuple(rows)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def records(self) -> tuple[StateRecord, ...]:
        return self._rows

    def row_of(self, migration_id: str) -> int | None:
        return self._row_of.get(migration_id)

    def record(self, row: int) -> StateRecord:
        return self._rows[row]

    # -- Qt ------------------------------------------------------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if col == self.RISK:
            return self._risk_data(r, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return (STATUS_LABELS.get(r.status, r.status), r.version, r.name, r.description, r.applied_at,
                    r.applied_by, r.duration, r.checksum)[col]
        if role == Qt.ItemDataRole.DecorationRole and col == self.STATUS:
            return status_icon(r.status)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == self.STATUS:
                return status_colour(r.status)
            if col == self.CHECKSUM and r.checksum in ("changed", "file gone", "unknown"):
                return status_colour("drifted" if r.checksum == "changed" else "missing" if r.checksum == "file gone" else "dirty")
            return None
        if role == Qt.ItemDataRole.FontRole and col == self.STATUS:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.CHECKSUM:
                return r.checksum_tip
            if col == self.DESCRIPTION:
                return r.description or None
            tip = f"{r.id}\n{STATUS_LABELS.get(r.status, r.status)}"
            return tip if r.reversible else tip + "\nirreversible: no down section"
        if role == ID_ROLE:
            return r.id
        if role == STATUS_ROLE:
            return r.status
        if role == SORT_ROLE:
            return (r.status, r.version, r.name, r.description, r.applied_at, r.applied_by, r.duration_ms,
                    r.checksum)[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col == self.DURATION:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _risk_data(self, r: StateRecord, role: int) -> Any:
        """The risk badge: the highest lint level of the pending ``up`` (SPEC §11)."""
        level = self.risks.get(r.id, "")
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            return level
        if role == Qt.ItemDataRole.DecorationRole and level:
            from ..theme import icon

            return icon(level)
        if role == Qt.ItemDataRole.ToolTipRole and level:
            return f"Lint: {level}-level risk in the up section (see Findings)"
        if role == ID_ROLE:
            return r.id
        if role == STATUS_ROLE:
            return r.status
        return None


class StateFilterProxy(QSortFilterProxyModel):
    """Search text (id, name, description) and a set of statuses to show."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._text = ""
        self._statuses: frozenset[str] | None = None
        self.setSortRole(SORT_ROLE)

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_statuses(self, statuses: Iterable[str] | None) -> None:
        self.beginFilterChange()
        self._statuses = frozenset(statuses) if statuses is not None else None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, StateTableModel) or source_row >= model.rowCount():
            return True
        r = model.record(source_row)
        if self._statuses is not None and r.status not in self._statuses:
            return False
        if self._text:
            return self._text in r.id.lower() or self._text in r.description.lower()
        return True
