"""The window's building blocks: migrations table, history tab, SQL tab, log, findings, details.

Each panel is a small widget over an item model; none of them talks to the database or to the
worker -- the main window feeds them snapshots and wires their signals together.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTabBar,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.project import Project, Snapshot
from ..core.state.store import HistoryRow
from .models import (
    ID_ROLE,
    FindingsModel,
    HistoryFilter,
    HistoryTableModel,
    LogEntry,
    LogFilterProxy,
    LogModel,
    StateFilterProxy,
    StateTableModel,
    fmt_ms,
    fmt_time,
)
from .palette import ACTION_LABELS, STATUS_COLOURS, STATUS_LABELS, action_colour, status_colour
from .sql_view import CodeView
from .theme import icon

ROW_HEIGHT = 24


def _table(view: QTableView, row_height: int = ROW_HEIGHT) -> QTableView:
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    vh = view.verticalHeader()
    vh.setVisible(False)
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vh.setDefaultSectionSize(row_height)
    view.horizontalHeader().setHighlightSections(False)
    return view


# --------------------------------------------------------------------------------------------
# migrations


STATUS_FILTERS = (
    ("All statuses", None),
    ("Pending", ("pending",)),
    ("Applied", ("applied",)),
    ("Needs attention", ("failed", "dirty", "drifted", "missing")),
)


class MigrationsPane(QWidget):
    """Search box + status filter over the state table."""

    migration_selected = Signal(str)
    context_menu_requested = Signal(str, QPoint)
    migration_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = StateTableModel(self)
        self.proxy = StateFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        title = QLabel("<b>Migrations</b>")
        bar.addWidget(title)
        self.count_label = QLabel()
        self.count_label.setObjectName("counts")
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Filter by id or description  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(260)
        self.search.textChanged.connect(self.proxy.set_search)
        bar.addWidget(self.search)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("status_filter")
        for label, statuses in STATUS_FILTERS:
            self.status_filter.addItem(label, statuses)
        self.status_filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_statuses(self.status_filter.currentData()))
        bar.addWidget(self.status_filter)
        layout.addLayout(bar)
        self.view = _table(QTableView())
        self.view.setObjectName("state_table")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # apply order until the user sorts
        self.view.setIconSize(QSize(16, 16))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(lambda i: self.migration_activated.emit(i.data(ID_ROLE)))
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        hh = self.view.horizontalHeader()
        widths = {StateTableModel.STATUS: 100, StateTableModel.VERSION: 136, StateTableModel.NAME: 178,
                  StateTableModel.APPLIED_AT: 142, StateTableModel.BY: 70, StateTableModel.DURATION: 72,
                  StateTableModel.CHECKSUM: 74}
        for col, w in widths.items():
            hh.resizeSection(col, w)
        hh.setSectionResizeMode(StateTableModel.DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        hh.setMinimumSectionSize(60)
        layout.addWidget(self.view, 1)
        self._silent = False

    def set_snapshot(self, snap: Snapshot | None) -> None:
        current = self.current_id()
        self._silent = True
        self.model.set_snapshot(snap)
        self._silent = False
        counts: dict[str, int] = {}
        for r in self.model.records():
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = [f"<span style='color:{STATUS_COLOURS.get(s, '#888')}'>●</span> {n} {STATUS_LABELS.get(s, s).lower()}"
                 for s, n in sorted(counts.items(), key=lambda kv: list(STATUS_COLOURS).index(kv[0])
                                    if kv[0] in STATUS_COLOURS else 99)]
        self.count_label.setText("&nbsp;&nbsp;".join(parts))
        if current:
            self.select(current)

    def current_id(self) -> str | None:
        idx = self.view.currentIndex()
        return idx.data(ID_ROLE) if idx.isValid() else None

    def select(self, migration_id: str | None) -> None:
        """Select a row without emitting ``migration_selected``."""
        self._silent = True
        try:
            row = self.model.row_of(migration_id) if migration_id else None
            if row is None:
                self.view.clearSelection()
                return
            idx = self.proxy.mapFromSource(self.model.index(row, 0))
            if idx.isValid():
                self.view.setCurrentIndex(idx)
                self.view.scrollTo(idx)
        finally:
            self._silent = False

    def _current_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if not self._silent and current.isValid():
            self.migration_selected.emit(current.data(ID_ROLE))

    def _context_menu(self, pos: QPoint) -> None:
        idx = self.view.indexAt(pos)
        if idx.isValid():
            self.view.setCurrentIndex(idx)
            self.context_menu_requested.emit(idx.data(ID_ROLE), self.view.viewport().mapToGlobal(pos))


# --------------------------------------------------------------------------------------------
# history


class HistoryPane(QWidget):
    """The timeline above a filterable table of the same events."""

    event_selected = Signal(object)  # HistoryRow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from .timeline import TimelineView

        self.model = HistoryTableModel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("history_splitter")
        self.timeline = TimelineView()
        self.timeline.setObjectName("timeline")
        self.splitter.addWidget(self.timeline)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 4, 0, 0)
        ll.setSpacing(4)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 0, 6, 0)
        self.action_box = QComboBox()
        self.action_box.setObjectName("history_action")
        self.action_box.addItem("Any action", None)
        for a, label in ACTION_LABELS.items():
            self.action_box.addItem(label, a)
        self.status_box = QComboBox()
        self.status_box.setObjectName("history_status")
        self.status_box.addItem("Any result", None)
        for s in ("ok", "failed", "cancelled"):
            self.status_box.addItem(s, s)
        self.migration_edit = QLineEdit()
        self.migration_edit.setObjectName("history_migration")
        self.migration_edit.setPlaceholderText("Migration id contains…")
        self.migration_edit.setClearButtonEnabled(True)
        self.migration_edit.setMinimumWidth(220)
        self.in_view_box = QCheckBox("Only the time range in view")
        self.in_view_box.setObjectName("history_in_view")
        self.in_view_box.setToolTip("Zoom the timeline (wheel, or drag a range) to filter the table by date")
        self.count_label = QLabel()
        for w in (QLabel("Show:"), self.action_box, self.status_box, self.migration_edit, self.in_view_box):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        ll.addLayout(bar)
        self.view = _table(QTableView(), 22)
        self.view.setObjectName("history_table")
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(HistoryTableModel.SEQ, Qt.SortOrder.DescendingOrder)
        hh = self.view.horizontalHeader()
        for col, w in enumerate((56, 140, 92, 70, 250, 70, 80, 90)):
            hh.resizeSection(col, w)
        hh.setStretchLastSection(True)
        ll.addWidget(self.view, 1)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout.addWidget(self.splitter)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.timeline.event_selected.connect(self._timeline_selected)
        self.action_box.currentIndexChanged.connect(self._filter_changed)
        self.status_box.currentIndexChanged.connect(self._filter_changed)
        self.migration_edit.textChanged.connect(self._filter_changed)
        self.in_view_box.toggled.connect(self._filter_changed)
        self.timeline.range_changed.connect(self._range_changed)
        self._silent = False

    def set_rows(self, rows: tuple[HistoryRow, ...], timeline_data=None) -> None:
        """Replace the events; ``timeline_data`` (``TimelineData.from_rows``, built on the worker)
        spares the GUI thread the indexing."""
        self._silent = True
        self.model.set_rows(rows)
        self._silent = False
        if timeline_data is not None:
            self.timeline.set_data(timeline_data)
        else:
            self.timeline.set_events(rows)
        self._update_count()

    def _range_changed(self, *_args) -> None:
        if self.in_view_box.isChecked():
            self._filter_changed()

    def _update_count(self) -> None:
        total = len(self.model.all_rows())
        shown = self.model.rowCount()
        self.count_label.setText(f"{shown:,} of {total:,} events" if shown != total else f"{total:,} events")

    def _filter_changed(self, *_args) -> None:
        since = until = None
        if self.in_view_box.isChecked():
            start, end = self.timeline.visible_range()
            since, until = _naive_utc(start), _naive_utc(end)
        self.model.set_filter(HistoryFilter(self.action_box.currentData(), self.status_box.currentData(),
                                            self.migration_edit.text().strip(), since, until))
        self._update_count()

    def select_seq(self, seq: int) -> None:
        row = self.model.row_of_seq(seq)
        if row is not None:
            self._silent = True
            idx = self.model.index(row, 0)
            self.view.setCurrentIndex(idx)
            self.view.scrollTo(idx)
            self._silent = False

    def _row_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if self._silent or not current.isValid():
            return
        h = self.model.rows()[current.row()]
        self.timeline.select(h.seq)
        self.event_selected.emit(h)

    def _timeline_selected(self, seq: int) -> None:
        self.select_seq(seq)
        h = next((r for r in self.model.all_rows() if r.seq == seq), None)
        if h is not None:
            self.event_selected.emit(h)


def _naive_utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


# --------------------------------------------------------------------------------------------
# SQL


class SqlPane(QWidget):
    """The selected migration's file, or one of its sections for the connected dialect."""

    PARTS = ("file", "up", "down", "verify")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        top = QHBoxLayout()
        top.setContentsMargins(8, 4, 8, 4)
        self.title = QLabel("Select a migration")
        self.title.setObjectName("sql_title")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.title, 1)
        self.parts = QTabBar()
        self.parts.setObjectName("sql_parts")
        self.parts.setDrawBase(False)
        self.parts.setExpanding(False)
        for label in ("Whole file", "up", "down", "verify"):
            self.parts.addTab(label)
        self.parts.currentChanged.connect(lambda _i: self._show())
        top.addWidget(self.parts)
        layout.addLayout(top)
        self.code = CodeView()
        self.code.setObjectName("sql_code")
        layout.addWidget(self.code, 1)
        self.project: Project | None = None
        self.dialect: str | None = None
        self.migration_id: str | None = None
        self._file_override: tuple[str, str] | None = None

    def set_context(self, project: Project | None, dialect: str | None) -> None:
        self.project, self.dialect = project, dialect
        if self.migration_id:
            self.show_migration(self.migration_id, keep_part=True)

    def show_migration(self, migration_id: str | None, keep_part: bool = False) -> None:
        self.migration_id = migration_id
        self._file_override = None
        if not keep_part:
            self.parts.blockSignals(True)
            self.parts.setCurrentIndex(0)
            self.parts.blockSignals(False)
        self._show()

    def show_file_line(self, path, line: int | None, migration_id: str | None = None) -> None:
        """Show a whole file at a line (validate findings)."""
        self.migration_id = migration_id
        self.parts.blockSignals(True)
        self.parts.setCurrentIndex(0)
        self.parts.blockSignals(False)
        m = self.project.migrations.get(migration_id) if (self.project and migration_id) else None
        if m is None and path is not None:
            try:
                text = path.read_text(encoding="utf-8-sig", errors="replace")
            except OSError as exc:
                text = f"-- cannot read {path}: {exc}"
            self._file_override = (str(path), text)
        self._show()
        if line:
            self.code.show_line(line)

    def _show(self) -> None:
        part = self.PARTS[max(self.parts.currentIndex(), 0)]
        if self._file_override is not None:
            name, text = self._file_override
            self.title.setText(f"<b>{html.escape(name)}</b>")
            self.code.set_source(text, "python" if name.endswith(".py") else "sql")
            return
        m = self.project.migrations.get(self.migration_id) if (self.project and self.migration_id) else None
        if m is None:
            self.title.setText("The file of this migration is gone" if self.migration_id else "Select a migration")
            self.code.set_source("")
            return
        lang = "python" if m.kind == "py" else "sql"
        self.title.setText(f"<b>{html.escape(m.id)}</b> &nbsp; <span style='color:gray'>{html.escape(str(m.path))}"
                           f"{' · ' + self.dialect if self.dialect else ''}</span>")
        for i, p in enumerate(self.PARTS[1:], 1):
            self.parts.setTabEnabled(i, m.kind == "sql" and m.section(p, self.dialect) is not None)
        if part == "file" or m.kind == "py":
            self.code.set_source(m.source or _read(m.path), lang)
            return
        section = m.section(part, self.dialect)
        if section is None:
            self.code.set_source(f"-- no {part} section" + (f" for {self.dialect}" if self.dialect else ""))
            return
        self.code.set_source(section.text.strip("\n"), "sql", first_line=section.line)


def _read(path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return f"-- cannot read {path}: {exc}"


# --------------------------------------------------------------------------------------------
# log


class LogPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LogModel(self)
        self.proxy = LogFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        bar.addWidget(QLabel("Level:"))
        self.level_box = QComboBox()
        self.level_box.setObjectName("log_level")
        for level, label in (("debug", "Everything (with SQL)"), ("info", "Info"), ("warning", "Warnings"),
                             ("error", "Errors")):
            self.level_box.addItem(label, level)
        self.level_box.setCurrentIndex(1)
        self.level_box.currentIndexChanged.connect(lambda _i: self.proxy.set_min_level(self.level_box.currentData()))
        bar.addWidget(self.level_box)
        bar.addStretch(1)
        self.copy_btn = QToolButton()
        self.copy_btn.setIcon(icon("copy"))
        self.copy_btn.setToolTip("Copy the selected lines (all shown lines when none is selected)")
        self.copy_btn.clicked.connect(self.copy)
        self.clear_btn = QToolButton()
        self.clear_btn.setIcon(icon("clear"))
        self.clear_btn.setToolTip("Clear the log")
        self.clear_btn.clicked.connect(self.model.clear)
        bar.addWidget(self.copy_btn)
        bar.addWidget(self.clear_btn)
        layout.addLayout(bar)
        self.view = _table(QTableView(), 20)
        self.view.setObjectName("log_table")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setModel(self.proxy)
        self.view.setAlternatingRowColors(False)
        self.view.setShowGrid(False)
        hh = self.view.horizontalHeader()
        for col, w in enumerate((70, 64, 230)):
            hh.resizeSection(col, w)
        hh.setStretchLastSection(True)
        self.view.addAction(self._copy_action())
        layout.addWidget(self.view, 1)
        self._follow = True
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)

    def _copy_action(self):
        from PySide6.QtGui import QAction

        a = QAction("Copy", self.view)
        a.setShortcut(QKeySequence.StandardKey.Copy)
        a.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        a.triggered.connect(self.copy)
        return a

    def _scrolled(self, value: int) -> None:
        self._follow = value >= self.view.verticalScrollBar().maximum() - 2

    def append(self, entries: list[LogEntry]) -> None:
        follow = self._follow
        self.model.append(entries)
        if follow:
            self.view.scrollToBottom()

    def text(self, selected_only: bool = True) -> str:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()}) if selected_only else []
        if not rows:
            rows = list(range(self.proxy.rowCount()))
        return "\n".join(self.model.entry(self.proxy.mapToSource(self.proxy.index(r, 0)).row()).as_text()
                         for r in rows)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())


# --------------------------------------------------------------------------------------------
# findings


class FindingsPane(QWidget):
    finding_activated = Signal(object)  # Finding

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FindingsModel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.summary = QLabel("Not validated yet")
        self.summary.setContentsMargins(6, 2, 6, 0)
        layout.addWidget(self.summary)
        self.view = _table(QTableView(), 22)
        self.view.setObjectName("findings_table")
        self.view.setModel(self.model)
        hh = self.view.horizontalHeader()
        for col, w in enumerate((90, 130, 260)):
            hh.resizeSection(col, w)
        hh.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        hh.resizeSection(4, 200)
        self.view.doubleClicked.connect(lambda i: self.finding_activated.emit(self.model.finding(i.row())))
        layout.addWidget(self.view, 1)

    def set_findings(self, findings) -> None:
        self.model.set_findings(findings)
        errors, warnings = self.model.counts()
        self.summary.setText(f"{errors} error(s), {warnings} warning(s) — double-click one to open the file at its line"
                             if errors or warnings else "No findings: files, dependencies and state are consistent.")


# --------------------------------------------------------------------------------------------
# details


def _breakable(text: str) -> str:
    """Escape, and let long ids wrap after the version and at underscores, not mid-word."""
    return html.escape(text).replace("_", "_\u200b")


class DetailsPane(QTextBrowser):
    """What is known about the selected migration or history event."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("details")
        self.setOpenLinks(False)
        self.show_hint()

    def show_hint(self) -> None:
        """What to do when nothing is selected (wraps, unlike a placeholder)."""
        self.setHtml("<p style='color:gray'>Select a migration (table or graph) or a history event "
                     "to see its details here.</p>")

    def show_migration(self, project: Project | None, snapshot: Snapshot | None, migration_id: str | None) -> None:
        st = snapshot.by_id.get(migration_id) if (snapshot and migration_id) else None
        if st is None:
            self.show_hint()
            return
        m, r = st.migration, st.row
        colour = status_colour(st.status).name()
        rows = [("Status", f"<b style='color:{colour}'>● {STATUS_LABELS.get(st.status, st.status)}</b>"),
                ("Version", st.version), ("Name", html.escape(st.name))]
        if st.description:
            rows.append(("Description", html.escape(st.description)))
        if m is not None:
            deps = project.graph.direct_dependencies(m.id) if project and m.id in project.graph else m.depends
            dependents = project.graph.direct_dependents(m.id) if project and m.id in project.graph else ()
            rows += [("Depends on", "<br>".join(map(_breakable, deps)) or "—"),
                     ("Needed by", "<br>".join(map(_breakable, dependents)) or "—"),
                     ("File", _breakable(m.path.name)), ("Kind", m.kind.upper()),
                     ("Transaction", m.transaction),
                     ("Reversible", "yes" if m.reversible(snapshot.dialect) else
                      f"<b style='color:{status_colour('failed').name()}'>no (no down section)</b>")]
            if m.tags:
                rows.append(("Tags", ", ".join(m.tags)))
            rows.append(("Checksum (file)", f"<code>{m.checksum(snapshot.dialect)[:16]}…</code>"))
        if r is not None and r.status != "rolled_back":
            rows += [("Applied at", fmt_time(r.applied_at) + " UTC"), ("Applied by", html.escape(r.applied_by or "")),
                     ("Duration", fmt_ms(r.execution_ms)), ("Checksum (db)", f"<code>{r.checksum[:16]}…</code>"),
                     ("Row status", r.status)]
            err = (r.metadata or {}).get("error")
            if err:
                rows.append(("Error", f"<span style='color:{status_colour('failed').name()}'>{html.escape(str(err))}</span>"))
        self._table(st.id, rows, breakable=True)

    def show_event(self, h: HistoryRow, verdict=None) -> None:
        colour = action_colour(h.action, h.status).name()
        rows = [("Seq", str(h.seq)), ("Action", f"<b style='color:{colour}'>{ACTION_LABELS.get(h.action, h.action)}</b>"),
                ("Result", h.status), ("Migration", _breakable(h.migration_id or "—")),
                ("Started", fmt_time(h.started_at) + " UTC"), ("Finished", fmt_time(h.finished_at) + " UTC"),
                ("Duration", fmt_ms(h.duration_ms)), ("Operator", html.escape(h.operator or "")),
                ("Host", html.escape(h.host or "")), ("Tool version", html.escape(h.tool_version or "")),
                ("Deployment", f"<code>{html.escape(h.deployment_id or '—')}</code>")]
        if h.error:
            rows.append(("Error", f"<span style='color:{status_colour('failed').name()}'>"
                                  f"{html.escape(h.error).replace(chr(10), '<br>')}</span>"))
        details = h.details_dict()
        for k, v in details.items():
            if v not in (None, "", [], {}):
                if isinstance(v, list):
                    text = "<br>".join(_breakable(str(x)) for x in v)
                else:
                    text = _breakable(str(v))
                rows.append((k.replace("_", " ").capitalize(), text))
        rows.append(("Hash", f"<code>{h.hash[:16]}…</code>"))
        if verdict is not None:
            rows.append(("Hash chain", _chain_text(h.seq, verdict)))
        self._table(f"History event #{h.seq}", rows)

    def _table(self, title: str, rows: list[tuple[str, str]], breakable: bool = False) -> None:
        head = _breakable(title) if breakable else html.escape(title)
        body = "".join(f"<tr><td style='color:gray; padding-right:10px; white-space:nowrap' valign='top'>{k}</td>"
                       f"<td>{v}</td></tr>" for k, v in rows)
        self.setHtml(f"<h3 style='margin:2px 0 6px 0'>{head}</h3><table cellspacing='2'>{body}</table>")


def _chain_text(seq: int, verdict) -> str:
    """What the hash-chain verdict says about the row ``seq`` (coloured HTML)."""
    broken = next((b for b in verdict.breaks if b.seq == seq), None)
    accepted = next((b for b in verdict.accepted if b.seq == seq), None)
    if broken is not None:
        status, text = "failed", f"this row breaks the chain: {broken.reason}"
    elif accepted is not None:
        status, text = "pending", f"{accepted.reason}; accepted on record at seq {accepted.accepted_at}"
    elif verdict.bad_seq is None or seq < verdict.bad_seq:
        status, text = "applied", "intact up to this row"
    else:
        status, text = "failed", f"broken earlier, at seq {verdict.bad_seq}: {verdict.reason}"
    return f"<b style='color:{status_colour(status).name()}'>{html.escape(text)}</b>"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


__all__ = ["MigrationsPane", "HistoryPane", "SqlPane", "LogPane", "FindingsPane", "DetailsPane"]
