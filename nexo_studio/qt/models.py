"""Qt item models over immutable snapshots of engine data (STYLE.md).

Each model holds a tuple of small precomputed row records; a refresh replaces the tuple inside
``beginResetModel``/``endResetModel``, a single change emits ``dataChanged``. ``data()`` only
looks values up. The history model is built for 100,000 rows: filtering and sorting work on
the tuple in Python (one pass), never through per-row Qt calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from ..core.project import MigrationState, Snapshot
from ..core.state.chain import ChainBreak
from ..core.state.store import HistoryRow
from ..core.validate import Finding
from .palette import STATUS_LABELS, action_colour, status_colour, status_icon

ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2
SORT_ROLE = Qt.ItemDataRole.UserRole + 3
ROW_ROLE = Qt.ItemDataRole.UserRole + 4

_Index = QModelIndex | QPersistentModelIndex


def fmt_time(dt: datetime | None) -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def fmt_ms(ms: int | float | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{int(ms)} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return f"{int(ms // 60_000)} min {int(ms % 60_000 / 1000)} s"


# --------------------------------------------------------------------------------------------
# migrations / state


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
    live = r is not None and r.status != "rolled_back"
    if not live:
        checksum, tip = "—", "not applied"
    elif m is None:
        checksum, tip = "file gone", f"recorded {r.checksum[:12]}…; the file no longer exists"
    elif s.status == "drifted":
        checksum, tip = "changed", f"recorded {r.checksum[:12]}…, file now {m.checksum(dialect)[:12]}…"
    elif s.status == "dirty":
        checksum, tip = "unknown", f"row is {r.status}: the migration may be partly applied"
    else:
        checksum, tip = "ok", f"SHA-256 {r.checksum}"
    return StateRecord(
        id=s.id, status=s.status, version=s.version, name=s.name,
        description=s.description.splitlines()[0] if s.description else "",
        applied_at=fmt_time(r.applied_at) if live and r.applied_at else "",
        applied_by=(r.applied_by or "") if live else "",
        duration=fmt_ms(r.execution_ms) if live else "",
        duration_ms=(r.execution_ms or 0) if live else -1,
        checksum=checksum, checksum_tip=tip,
        reversible=bool(m and m.reversible(dialect)),
    )


class _RowsTableModel(QAbstractTableModel):
    """A flat table over ``self._rows`` with the headers in ``COLUMNS``: the shape every model
    here shares. Subclasses hold their rows as an immutable snapshot and implement ``data``."""

    COLUMNS: tuple[str, ...] = ()
    _rows: Sequence[Any] = ()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None


class StateTableModel(_RowsTableModel):
    COLUMNS = ("Status", "Version", "Name", "Description", "Applied at (UTC)", "By", "Duration", "Checksum")
    STATUS, VERSION, NAME, DESCRIPTION, APPLIED_AT, BY, DURATION, CHECKSUM = range(8)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: tuple[StateRecord, ...] = ()
        self._row_of: dict[str, int] = {}

    # -- data in -------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot | None) -> None:
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


# --------------------------------------------------------------------------------------------
# history


@dataclass(frozen=True)
class HistoryFilter:
    action: str | None = None
    status: str | None = None
    migration: str = ""  # substring of the migration id
    since: datetime | None = None  # naive UTC, like the rows
    until: datetime | None = None

    def accepts(self, h: HistoryRow) -> bool:
        if self.action and h.action != self.action:
            return False
        if self.status and h.status != self.status:
            return False
        if self.migration and self.migration not in (h.migration_id or ""):
            return False
        if self.since and _naive(h.started_at) < self.since:
            return False
        if self.until and _naive(h.started_at) > self.until:
            return False
        return True

    @property
    def active(self) -> bool:
        return bool(self.action or self.status or self.migration or self.since or self.until)


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


class HistoryTableModel(_RowsTableModel):
    COLUMNS = ("Seq", "Started (UTC)", "Action", "Status", "Migration", "Duration", "Operator", "Host", "Error")
    SEQ, STARTED, ACTION, STATUS, MIGRATION, DURATION, OPERATOR, HOST, ERROR = range(9)
    _KEYS = (
        lambda h: h.seq, lambda h: (h.started_at, h.seq), lambda h: (h.action, h.seq), lambda h: (h.status, h.seq),
        lambda h: (h.migration_id or "", h.seq), lambda h: (h.duration_ms or 0, h.seq),
        lambda h: (h.operator or "", h.seq), lambda h: (h.host or "", h.seq), lambda h: (h.error or "", h.seq),
    )

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._all: tuple[HistoryRow, ...] = ()
        self._rows: tuple[HistoryRow, ...] = ()
        self._filter = HistoryFilter()
        self._sort = (self.SEQ, Qt.SortOrder.DescendingOrder)

    def set_rows(self, rows: Sequence[HistoryRow]) -> None:
        self._all = tuple(rows)
        self._rebuild()

    def set_filter(self, f: HistoryFilter) -> None:
        self._filter = f
        self._rebuild()

    @property
    def filter(self) -> HistoryFilter:
        return self._filter

    def all_rows(self) -> tuple[HistoryRow, ...]:
        return self._all

    def rows(self) -> tuple[HistoryRow, ...]:
        return self._rows

    def row_of_seq(self, seq: int) -> int | None:
        for i, h in enumerate(self._rows):
            if h.seq == seq:
                return i
        return None

    def _rebuild(self) -> None:
        f = self._filter
        rows = [h for h in self._all if f.accepts(h)] if f.active else list(self._all)
        col, order = self._sort
        rows.sort(key=self._KEYS[col], reverse=order == Qt.SortOrder.DescendingOrder)
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        rows = list(self._rows)
        rows.sort(key=self._KEYS[column], reverse=order == Qt.SortOrder.DescendingOrder)
        self._rows = tuple(rows)
        self.layoutChanged.emit()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        h = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.SEQ:
                return str(h.seq)
            if col == self.STARTED:
                return fmt_time(h.started_at)
            if col == self.ACTION:
                return h.action
            if col == self.STATUS:
                return h.status
            if col == self.MIGRATION:
                return h.migration_id or ""
            if col == self.DURATION:
                return fmt_ms(h.duration_ms)
            if col == self.OPERATOR:
                return h.operator or ""
            if col == self.HOST:
                return h.host or ""
            if col == self.ERROR:
                return (h.error or "").split("\n", 1)[0]
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == self.ACTION:
                return action_colour(h.action, "ok")
            if col == self.STATUS and h.status != "ok":
                return action_colour(h.action, h.status)
            if col == self.ERROR:
                return QColor("#d64545")
            return None
        if role == Qt.ItemDataRole.ToolTipRole and col == self.ERROR and h.error:
            return h.error
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.SEQ, self.DURATION):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ROW_ROLE:
            return h
        if role == ID_ROLE:
            return h.migration_id
        return None


# --------------------------------------------------------------------------------------------
# findings


class FindingsModel(_RowsTableModel):
    COLUMNS = ("Level", "Code", "Migration", "Message", "Location")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: tuple[Finding, ...] = ()

    def set_findings(self, findings: Iterable[Finding]) -> None:
        rows = sorted(findings, key=lambda f: (f.level != "error", f.code, f.ids))
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def finding(self, row: int) -> Finding:
        return self._rows[row]

    def counts(self) -> tuple[int, int]:
        errors = sum(1 for f in self._rows if f.level == "error")
        return errors, len(self._rows) - errors

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        f = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return f.level
            if col == 1:
                return f.code.replace("_", " ")
            if col == 2:
                return ", ".join(f.ids)
            if col == 3:
                return f.message
            if col == 4:
                if f.path is None:
                    return ""
                return f"{f.path.name}:{f.line}" if f.line else f.path.name
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            from .theme import icon

            return icon("error" if f.level == "error" else "warning")
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{f.message}\n{f.path}" if f.path else f.message
        if role == ID_ROLE:
            return f.ids[0] if f.ids else None
        return None


# --------------------------------------------------------------------------------------------
# history problems (accept-history confirmation)


class HistoryProblemModel(_RowsTableModel):
    """The history rows that break the hash chain, each with why and the row as it is now."""

    COLUMNS = ("Seq", "Problem", "Action", "Status", "Migration", "Started (UTC)", "Operator", "Host")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: tuple[tuple[ChainBreak, HistoryRow | None], ...] = ()

    def set_problems(self, breaks: Iterable[ChainBreak], rows: Iterable[HistoryRow]) -> None:
        by_seq = {h.seq: h for h in rows}
        self.beginResetModel()
        self._rows = tuple((b, by_seq.get(b.seq)) for b in breaks)
        self.endResetModel()

    def event(self, row: int) -> HistoryRow | None:
        return self._rows[row][1]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        b, h = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(b.seq)
            if col == 1:
                return b.reason
            if h is None:
                return ""
            return (h.action, h.status, h.migration_id or "", fmt_time(h.started_at), h.operator or "",
                    h.host or "")[col - 2] if col < len(self.COLUMNS) else None
        if role == Qt.ItemDataRole.ForegroundRole and col in (0, 1):
            return status_colour("failed")
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            return b.reason
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ROW_ROLE:
            return h
        return None


# --------------------------------------------------------------------------------------------
# log

LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class LogEntry:
    time: datetime
    level: str  # debug, info, warning, error
    source: str  # "nexo" (the application) or a migration id (SQL from its file)
    message: str

    def as_text(self) -> str:
        return f"{self.time:%H:%M:%S.%f}"[:12] + f"  {self.level.upper():7}  {self.source}  {self.message}"


class LogModel(_RowsTableModel):
    """Append-only; keeps the newest ``limit`` entries."""

    COLUMNS = ("Time", "Level", "Source", "Message")

    def __init__(self, parent=None, limit: int = 20000) -> None:
        super().__init__(parent)
        self._rows: list[LogEntry] = []
        self.limit = limit

    def append(self, entries: Sequence[LogEntry]) -> None:
        if not entries:
            return
        entries = list(entries)[-self.limit:]
        overflow = len(self._rows) + len(entries) - self.limit
        if overflow > 0:
            drop = min(max(overflow, self.limit // 10), len(self._rows))
            self.beginRemoveRows(QModelIndex(), 0, drop - 1)
            del self._rows[:drop]
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self._rows.extend(entries)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def entry(self, row: int) -> LogEntry:
        return self._rows[row]

    def entries(self) -> tuple[LogEntry, ...]:
        return tuple(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        e = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return e.time.strftime("%H:%M:%S")
            if col == 1:
                return e.level
            if col == 2:
                return e.source
            if col == 3:
                first, _, rest = e.message.partition("\n")
                return first + (" …" if rest else "")
            return None
        if role == Qt.ItemDataRole.ToolTipRole and col == 3 and "\n" in e.message:
            return e.message
        if role == Qt.ItemDataRole.ForegroundRole:
            if e.level == "error":
                return QColor("#d64545")
            if e.level == "warning":
                return QColor("#c07f00")
            if e.level == "debug" and col != 3:
                return QColor("#8a8f98")
            return None
        if role == Qt.ItemDataRole.FontRole and e.level == "debug" and col == 3:
            from .theme import monospace_font

            return monospace_font()
        if role == ROW_ROLE:
            return e
        return None


class LogFilterProxy(QSortFilterProxyModel):
    """Shows entries at or above a minimum level."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._min = 1

    def set_min_level(self, level: str) -> None:
        self.beginFilterChange()
        self._min = LEVELS.index(level)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, LogModel) or source_row >= model.rowCount():
            return True
        return LEVELS.index(model.entry(source_row).level) >= self._min
