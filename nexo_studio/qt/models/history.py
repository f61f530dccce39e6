"""The history table (built for 100,000 rows: filtering and sorting on the tuple in Python),
and the rows an accept-history would accept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ...app.types import ChainBreak
from ...app.types import HistoryRow
from ..palette import action_colour, status_colour
from .common import ID_ROLE, ROW_ROLE, _Index, _RowsTableModel, fmt_ms, fmt_time


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
        #: seq -> why: rows that break the hash chain (the snapshot's chain verdict)
        self.broken: dict[int, str] = {}

    def set_rows(self, rows: Sequence[HistoryRow], broken: dict[int, str] | None = None) -> None:
        self._all = tuple(rows)
        self.broken = dict(broken or {})
        self._rebuild()

    def tamper_note(self, h: HistoryRow) -> str | None:
        why = self.broken.get(h.seq)
        return None if why is None else f"Tampered: this row breaks the history's hash chain ({why})"

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
        if h.seq in self.broken and role in TAMPER_ROLES:
            return _tamper_data(self, h, col, role)
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

    def event_at(self, row: int) -> HistoryRow | None:
        """The history row of problem ``row`` (not ``event``: that is QObject's event handler)."""
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


TAMPER_ROLES = (Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.BackgroundRole)
TAMPER_COLOUR = "#d64545"


def _tamper_data(model: HistoryTableModel, h: HistoryRow, col: int, role: int) -> Any:
    """A row that breaks the hash chain: a warning icon on its seq, a red tint, the reason."""
    if role == Qt.ItemDataRole.DecorationRole:
        from ..theme import icon

        return icon("warning") if col == model.SEQ else None
    if role == Qt.ItemDataRole.ToolTipRole:
        return model.tamper_note(h)
    tint = QColor(TAMPER_COLOUR)
    tint.setAlphaF(0.22)
    return tint

