"""The rollback confirmation: what will be rolled back (dependents included), what blocks it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.project import Project, Snapshot
from ..palette import status_colour, status_icon
from ..sql_view import CodeView
from ..theme import icon
from .common import _note


def _plan_list(project: Project, snapshot: Snapshot, ids: Sequence[str], blocked: Sequence[str] = (),
               no_file: Sequence[str] = ()) -> QListWidget:
    lw = QListWidget()
    lw.setObjectName("plan")
    lw.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    for i, mid in enumerate(ids, 1):
        st = snapshot.by_id.get(mid)
        m = project.migrations.get(mid)
        desc = (m.description if m else (st.description if st else "")) or ""
        text = f"{i}. {mid}" + (f" — {desc.splitlines()[0]}" if desc else "")
        if mid in no_file:
            text += "   (no file in this project)"
        elif mid in blocked:
            text += "   (irreversible: no down section)"
        item = QListWidgetItem(status_icon(st.status if st else "pending"), text)
        item.setData(Qt.ItemDataRole.UserRole, mid)
        if mid in blocked:
            item.setForeground(status_colour("failed"))
        lw.addItem(item)
    lw.setMinimumHeight(min(60 + 22 * len(ids), 240))
    return lw


class RollbackDialog(QDialog):
    """Lists exactly what will be undone (planner.rollback_plan on the current snapshot, dependents
    first) and blocks irreversible migrations by name."""

    def __init__(self, project: Project, snapshot: Snapshot, migration_id: str, with_dependents: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ...core.pipeline import plan_sql
        from ...core.planner import irreversible, rollback_plan

        self.migration_id = migration_id
        self.with_dependents = with_dependents
        self.setWindowTitle("Roll back this and its dependents" if with_dependents else "Roll back to here")
        self.setMinimumSize(640, 460)
        layout = QVBoxLayout(self)
        self.plan = None
        self.blocked: list[str] = []
        #: applied migrations in the plan whose file is not in this project (NotInProject)
        self.no_file: list[str] = []
        self.error: str | None = None
        try:
            if with_dependents:
                self.plan = rollback_plan(project, snapshot, one=migration_id, with_dependents=True)
            else:
                self.plan = rollback_plan(project, snapshot, to=migration_id)
            self.blocked = irreversible(project, self.plan, snapshot.dialect)
            self.no_file = _not_in_project(project, self.plan, snapshot.dialect)
        except Exception as exc:  # noqa: BLE001 - NotApplied, UnknownMigration…
            self.error = str(exc)
        ids = self.plan.ids if self.plan else ()
        if self.error:
            head = f"Cannot roll back: {self.error}"
        elif not ids:
            head = f"Nothing to roll back: nothing applied is newer than {migration_id}."
        elif with_dependents:
            head = (f"<b>{len(ids)}</b> migration(s) will be undone: <b>{migration_id}</b> and every applied "
                    "migration that depends on it, dependents first:")
        else:
            head = (f"<b>{len(ids)}</b> migration(s) will be undone so that <b>{migration_id}</b> is the newest "
                    "applied one (its dependencies stay), in this order:")
        self.summary = _note(head)
        self.summary.setObjectName("summary")
        layout.addWidget(self.summary)
        self.list = _plan_list(project, snapshot, ids, self.blocked, self.no_file)
        layout.addWidget(self.list, 1)
        self.blocked_label = _note()
        self.blocked_label.setObjectName("blocked")
        if self.blocked:
            self.blocked_label.setText(_blocked_text(self.blocked, self.no_file))
            self.blocked_label.setStyleSheet(f"color: {status_colour('failed').name()}")
        self.blocked_label.setVisible(bool(self.blocked))
        layout.addWidget(self.blocked_label)
        if ids and self.plan is not None:
            sql = plan_sql(project, self.plan, snapshot.dialect, "down")
            text = "\n".join(f"-- ===== {mid}\n" + "\n".join(s.rstrip() + ("" if s.rstrip().endswith(";") else ";")
                                                           for _l, s in stmts) for mid, stmts in sql)
            self.sql_view = CodeView()
            self.sql_view.set_source(text)
            self.sql_view.setMaximumHeight(180)
            layout.addWidget(QLabel("Down SQL that will run:"))
            layout.addWidget(self.sql_view)
        self.destructive = destructive_downs(plan_sql(project, self.plan, snapshot.dialect, "down")
                                             if ids and self.plan is not None else [])
        self.backup_box = QCheckBox("Back up first" + (" (the down SQL drops or deletes data)" if self.destructive
                                                          else ""))
        self.backup_box.setObjectName("backup_first")
        self.backup_box.setChecked(bool(self.destructive))
        layout.addWidget(self.backup_box)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(f"Roll back {len(ids)}" if ids else "Roll back")
        self.ok_button.setIcon(icon("rollback"))
        self.ok_button.setEnabled(bool(ids) and not self.blocked and not self.error)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def options(self):
        from ...core.pipeline import RollbackOptions

        backup = self.backup_box.isChecked()
        if self.with_dependents:
            return RollbackOptions(one=self.migration_id, with_dependents=True, backup=backup)
        return RollbackOptions(to=self.migration_id, backup=backup)


#: what in a down section loses data (the lint rules drop_table, drop_column, truncate, delete)
_DESTRUCTIVE = re.compile(r"\b(drop\s+table|drop\s+column|truncate|delete\s+from)\b|\bdrop\s+(?!index|view|trigger)",
                          re.I)


def destructive_downs(sql: Sequence[tuple[str, Sequence[tuple[int, str]]]]) -> list[str]:
    """The ids whose down SQL drops or deletes data (then "Back up first" is on by default)."""
    out = []
    for mid, stmts in sql:
        text = "\n".join(line for _l, s in stmts for line in s.splitlines() if not line.lstrip().startswith("--"))
        if _DESTRUCTIVE.search(text):
            out.append(mid)
    return out


def _not_in_project(project: Project, plan, dialect: str) -> list[str]:
    """The ids the engine refuses with NotInProject (no file in this project), else none."""
    from ...core.planner import check_reversible
    from ...errors import Irreversible, NotInProject

    try:
        check_reversible(project, plan, dialect)
    except NotInProject as exc:
        return list(exc.ids)
    except Irreversible:
        pass
    return []


def _blocked_text(blocked: Sequence[str], no_file: Sequence[str]) -> str:
    parts = []
    if no_file:
        parts.append("these have no file in this project (they may belong to another project on this "
                     "database): " + ", ".join(f"<b>{b}</b>" for b in no_file))
    lacking = [b for b in blocked if b not in no_file]
    if lacking:
        parts.append("these have no down section: " + ", ".join(f"<b>{b}</b>" for b in lacking))
    return ("<b>Blocked:</b> cannot roll back; " + "; ".join(parts)
            + ". Restore a backup instead, or roll back to a later migration.")
