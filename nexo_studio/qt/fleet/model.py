"""The Fleet view's item model: group headers and targets × (target, summary, migrations).

The migrations are one wide column (``COL_MIGRATIONS``, ``CELL_WIDTH`` pixels per migration)
that the delegate paints a row at a time: one call per visible row instead of one per cell.

It holds an immutable :class:`~.data.FleetMatrix` (replaced whole on every status read:
``beginResetModel``) and, during a run, one :class:`RunState` per target (a change emits
``dataChanged`` for that row's summary cell only). ``data()`` is lookups, no logic.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from .data import FleetMatrix, GroupRow, TargetRow

COL_TARGET, COL_SUMMARY, COL_MIGRATIONS = 0, 1, 2
#: pixels per migration in the matrix column
CELL_WIDTH = 16

#: custom roles the delegate reads
KIND_ROLE = Qt.ItemDataRole.UserRole + 1      # "group" | "target"
STATE_ROLE = Qt.ItemDataRole.UserRole + 3     # the target's state (SPEC §9)
RUN_ROLE = Qt.ItemDataRole.UserRole + 4       # RunState | None
NAME_ROLE = Qt.ItemDataRole.UserRole + 5      # the target's name

#: a target's place in a run
WAITING, RUNNING, DONE, FAILED, CANCELLED, NOT_STARTED = \
    "waiting", "running", "done", "failed", "cancelled", "not_started"

STATE_LABELS = {"up_to_date": "up to date", "pending": "pending", "failed": "failed", "dirty": "dirty",
                "drifted": "drifted", "tampered": "tampered", "locked": "locked", "unreachable": "unreachable"}

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RunState:
    phase: str                 # waiting, running, done, failed, cancelled, not_started
    index: int = 0             # migrations finished
    total: int = 0             # migrations planned (0: not known yet)
    text: str = ""             # the outcome (deployed, rolled_back, dry_run …) or the error


class FleetMatrixModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.matrix = FleetMatrix((), ())
        self.rows: list[GroupRow | TargetRow] = []
        self.run: dict[str, RunState] = {}
        self._row_of: dict[str, int] = {}
        self._filters: tuple[str | None, str | None, str] = (None, None, "")

    # -- snapshot and filters -------------------------------------------------------------------

    def set_matrix(self, matrix: FleetMatrix) -> None:
        self.beginResetModel()
        self.matrix = matrix
        self._rebuild()
        self.endResetModel()

    def set_filters(self, tag: str | None, state: str | None, text: str = "") -> None:
        if (tag, state, text) == self._filters:
            return
        self.beginResetModel()
        self._filters = (tag, state, text)
        self._rebuild()
        self.endResetModel()

    def _rebuild(self) -> None:
        self.rows = self.matrix.visible(*self._filters)
        self._row_of = {r.name: i for i, r in enumerate(self.rows) if isinstance(r, TargetRow)}

    def group_rows(self) -> list[int]:
        return [i for i, r in enumerate(self.rows) if isinstance(r, GroupRow)]

    def row_of(self, name: str) -> int | None:
        return self._row_of.get(name)

    def target_at(self, row: int) -> TargetRow | None:
        r = self.rows[row] if 0 <= row < len(self.rows) else None
        return r if isinstance(r, TargetRow) else None

    def cell(self, row: int, i: int) -> str | None:
        """Migration ``i``'s status on the target of ``row`` ("" unknown; None: not a target)."""
        t = self.target_at(row)
        return t.cell(i) if t is not None else None

    def names_at(self, row: int) -> tuple[str, ...]:
        """The targets a row stands for (a group header: all of its visible targets)."""
        r = self.rows[row] if 0 <= row < len(self.rows) else None
        if isinstance(r, GroupRow):
            return r.names
        return (r.name,) if r is not None else ()

    # -- a run's live state ------------------------------------------------------------------------

    def set_run(self, name: str, state: RunState) -> None:
        self.run[name] = state
        row = self._row_of.get(name)
        if row is not None:
            ix = self.index(row, COL_SUMMARY)
            self.dataChanged.emit(ix, ix, [RUN_ROLE, Qt.ItemDataRole.DisplayRole])

    def start_run(self, names: list[str]) -> None:
        self.run = {n: RunState(WAITING) for n in names}
        if self.rows:
            self.dataChanged.emit(self.index(0, COL_SUMMARY), self.index(len(self.rows) - 1, COL_SUMMARY))

    def counts(self) -> dict[str, int]:
        out = {WAITING: 0, RUNNING: 0, DONE: 0, FAILED: 0, CANCELLED: 0, NOT_STARTED: 0}
        for s in self.run.values():
            out[s.phase] += 1
        return out

    # -- Qt -----------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else 3

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if section == COL_TARGET:
            return "Target" if role == Qt.ItemDataRole.DisplayRole else None
        if section == COL_SUMMARY:
            return "Summary" if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{len(self.matrix.migrations)} migration(s) in plan order; hover a cell for its id"
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = index.column()
        if isinstance(r, GroupRow):
            if role == Qt.ItemDataRole.DisplayRole and col == COL_TARGET:
                return f"{r.group} — {r.count} target{'s' if r.count != 1 else ''}"
            if role == KIND_ROLE:
                return "group"
            return None
        if role == KIND_ROLE:
            return "target"
        if role == NAME_ROLE:
            return r.name
        if col == COL_MIGRATIONS:
            return None  # painted from the row object; tooltips come from the view (cell under the mouse)
        if col == COL_TARGET:
            if role == Qt.ItemDataRole.DisplayRole:
                return r.name
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{r.name} ({r.dialect})\ntags: {', '.join(r.tags) or '-'}\nhead: {r.head or '-'}"
            return None
        return self._summary(r, role)

    def _summary(self, r: TargetRow, role: int):
        if role == STATE_ROLE:
            return r.state
        if role == RUN_ROLE:
            return self.run.get(r.name)
        if role == Qt.ItemDataRole.DisplayRole:
            run = self.run.get(r.name)
            total = len(r.cells) or r.applied + r.pending
            state = f"{STATE_LABELS.get(r.state, r.state)}  {r.applied}/{total}" if r.state != "unreachable" \
                else "unreachable"
            if run is not None and run.phase == NOT_STARTED:  # the run stopped before it: say so, and its state
                return f"{run.text or 'not started'} · {state}"
            return run.text or run.phase if run is not None else state
        if role == Qt.ItemDataRole.ToolTipRole:
            run = self.run.get(r.name)
            lines = [f"{r.name}: {STATE_LABELS.get(r.state, r.state)}", f"applied {r.applied}, pending {r.pending}"]
            if r.error:
                lines.append(r.error)
            if run is not None and run.text:
                lines.append(f"last run: {run.text}")
            return "\n".join(lines)
        return None
