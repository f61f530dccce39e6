"""The Fleet window (SPEC §9, issue 16): the targets × migrations matrix of one project's fleet.

Targets are grouped by tag, migrations in plan order, cells coloured by status, a summary
column per row; filters by tag, state and name. Select rows (a group header selects its
targets) → Dry run / Deploy / Roll back…, confirmed in an inline bar that holds the run's options
(those of `nexo fleet deploy`, defaults from the app layer), then by typing for targets tagged
production; a progress bar per target and a live count of done / failed / running / waiting /
not started; Cancel stops starting targets and cancels the running ones. Double-click a target → ``open_requested(name, url)`` (the main
window opens that database). Export writes CSV / JSON / HTML through ``app.fleet.export``.

Every database call is a job on this window's own :class:`~..worker.Worker` (a fleet run may
take a while; the main window's worker stays free), awaited by one coroutine per user action.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QLabel, QLineEdit, QMainWindow, QProgressBar, QToolBar,
                               QVBoxLayout, QWidget)

from ...app.fleet.session import FleetSession
from ..aio import ask, spawn
from ..theme import app_icon
from ..worker import Job, JobOutcome, Worker
from .jobs import FleetLoaded, TargetDone, TargetProgress, export_job, load_job, run_job
from .model import (CANCELLED, DONE, FAILED, NOT_STARTED, RUNNING, STATE_LABELS, WAITING, FleetMatrixModel,
                    RunState)
from .widgets import ConfirmBar, FleetTable

if TYPE_CHECKING:
    from ...app.fleet.runner import FleetOptions

EXPORT_FILTERS = {"csv": "CSV (*.csv)", "json": "JSON (*.json)", "html": "HTML (*.html)"}
_FINAL = {True: DONE, False: FAILED}


def legend_html() -> str:
    """The cell colours, as a line of coloured squares (the status bar's legend)."""
    from ..palette import STATUS_COLOURS, UNKNOWN_COLOUR

    items = [(STATUS_COLOURS[s], s) for s in ("applied", "pending", "failed", "dirty", "drifted", "missing")]
    items.append((UNKNOWN_COLOUR, "unknown"))
    return "&nbsp;&nbsp;".join(f'<span style="color:{c}">■</span>&nbsp;{label}' for c, label in items)


class FleetWindow(QMainWindow):
    #: a target was double-clicked: (name, URL without password)
    open_requested = Signal(str, str)
    #: a status read was applied to the matrix
    loaded = Signal()
    #: a run ended (its FleetRun, or None when it could not start)
    run_finished = Signal(object)

    def __init__(self, migrations_dir: Path | None, targets_file: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fleet_window")
        self.setWindowIcon(app_icon())
        self.migrations_dir, self.targets_file = migrations_dir, targets_file
        self.setWindowTitle(f"Fleet — {targets_file or (migrations_dir.parent if migrations_dir else '')}")
        self.resize(1200, 760)
        self.session: FleetSession | None = None
        self.last: FleetLoaded | None = None
        self.last_run = None
        #: the options of the last run (tests, the status bar's tooltip)
        self.last_options: FleetOptions | None = None
        #: the typed confirmation for production targets while it is open
        self.production_dialog: QDialog | None = None
        self.worker = Worker(self)
        self.worker.set_connection(None, migrations_dir)
        self.worker.event_emitted.connect(self._on_event)
        self.worker.busy_changed.connect(self._update_actions)
        self.model = FleetMatrixModel(self)
        self.table = FleetTable(self.model, self)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.confirm = ConfirmBar(self)
        self._build_toolbar()
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.confirm)
        lay.addWidget(self.table, 1)
        self.setCentralWidget(central)
        self.count_label = QLabel("")
        self.count_label.setObjectName("fleet_counts")
        self.count_label.setContentsMargins(16, 0, 4, 0)  # apart from the legend
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.legend = QLabel(legend_html())
        self.legend.setObjectName("fleet_legend")
        self.statusBar().addPermanentWidget(self.legend)
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.progress)
        self._update_actions()

    # -- layout ------------------------------------------------------------------------------------

    def _act(self, tb: QToolBar, name: str, text: str, slot, tip: str, shortcut=None) -> QAction:
        a = QAction(text, self)
        a.setObjectName(name)
        a.setToolTip(tip)
        a.setStatusTip(tip)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(lambda _c=False: self._trigger(slot))
        tb.addAction(a)
        self.actions_by_name[name] = a
        return a

    def _build_toolbar(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        tb = self.toolbar = QToolBar("Fleet", self)
        tb.setObjectName("fleet_toolbar")
        tb.setMovable(False)
        self.addToolBar(tb)
        A = self._act
        A(tb, "fleet_refresh", "Refresh", self.load, "Read every target's status again", QKeySequence.StandardKey.Refresh)
        tb.addSeparator()
        A(tb, "fleet_dry_run", "Dry run", lambda: self.run_selected("deploy", dry_run=True),
          "What deploy would run on the selected targets; changes nothing")
        A(tb, "fleet_deploy", "Deploy…", lambda: self.run_selected("deploy"), "Deploy to the selected targets")
        A(tb, "fleet_rollback", "Roll back…", lambda: self.run_selected("rollback"),
          "Roll the selected targets back to a migration")
        A(tb, "fleet_cancel", "Cancel", self.cancel, "Stop starting targets and cancel the running ones", "Esc")
        tb.addSeparator()
        A(tb, "fleet_export", "Export…", self.export_dialog, "The matrix with each target's chain verdict")
        tb.addSeparator()
        self.tag_box = QComboBox()
        self.tag_box.setObjectName("fleet_tag_filter")
        self.state_box = QComboBox()
        self.state_box.setObjectName("fleet_state_filter")
        self.state_box.addItem("all states", None)
        for state, label in STATE_LABELS.items():
            self.state_box.addItem(label, state)
        self.search = QLineEdit()
        self.search.setObjectName("fleet_search")
        self.search.setPlaceholderText("target name")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(200)
        for w in (QLabel(" Tag "), self.tag_box, QLabel(" State "), self.state_box, QLabel(" "), self.search):
            tb.addWidget(w)
        self.tag_box.currentIndexChanged.connect(self._filter)
        self.state_box.currentIndexChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)

    def _filter(self, *_args) -> None:
        self.model.set_filters(self.tag_box.currentData(), self.state_box.currentData(), self.search.text())
        self._update_actions()

    def _update_actions(self, *_args) -> None:
        busy, have = self.worker.busy, bool(self.selected_names())
        a = self.actions_by_name
        a["fleet_refresh"].setEnabled(not busy)
        for name in ("fleet_dry_run", "fleet_deploy", "fleet_rollback"):
            a[name].setEnabled(not busy and have and self.session is not None)
        a["fleet_export"].setEnabled(not busy and self.session is not None)
        a["fleet_cancel"].setEnabled(busy)

    def _trigger(self, slot) -> None:
        import inspect

        result = slot()
        if inspect.iscoroutine(result):
            spawn(result)

    # -- selection ---------------------------------------------------------------------------------

    def selected_names(self) -> list[str]:
        rows = sorted({ix.row() for ix in self.table.selectionModel().selectedRows()})
        seen: dict[str, None] = {}
        for row in rows:
            for name in self.model.names_at(row):
                seen[name] = None
        return list(seen)

    def select_names(self, names: list[str]) -> None:
        """Select these targets' rows (tests, scripts)."""
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        sel = QItemSelection()
        for n in names:
            row = self.model.row_of(n)
            if row is not None:
                sel.select(self.model.index(row, 0), self.model.index(row, self.model.columnCount() - 1))
        self.table.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _double_clicked(self, index) -> None:
        t = self.model.target_at(index.row())
        if t is not None:
            self.open_requested.emit(t.name, t.url)

    # -- jobs --------------------------------------------------------------------------------------

    async def _run(self, job: Job) -> JobOutcome | None:
        future = self.worker.start(job)
        if future is None:
            self.statusBar().showMessage("Busy: wait for the running operation, or Cancel it.", 5000)
            return None
        self.statusBar().showMessage(job.label + "…")
        return await future

    async def load(self) -> FleetLoaded | None:
        """Read every target (on the worker), then replace the matrix."""
        outcome = await self._run(load_job(self.migrations_dir, self.targets_file))
        if outcome is None:
            return None
        if not outcome.ok or not isinstance(outcome.result, FleetLoaded):
            self.statusBar().showMessage(f"Cannot read the fleet: {outcome.error}")
            self.count_label.setText(str(outcome.error))
            return None
        loaded: FleetLoaded = outcome.result
        self.last, self.session = loaded, loaded.session
        self._set_tags(loaded.matrix.tags)
        self.model.set_matrix(loaded.matrix)
        rows = loaded.matrix.targets
        down = sum(1 for r in rows if r.state == "unreachable")
        self.statusBar().showMessage(
            f"{len(rows)} target(s), {len(loaded.matrix.migrations)} migration(s) read in {loaded.read_ms} ms"
            + (f"; {down} unreachable" if down else ""))
        self._show_counts()
        self._update_actions()
        self.loaded.emit()
        return loaded

    def _set_tags(self, tags: tuple[str, ...]) -> None:
        current = self.tag_box.currentData()
        self.tag_box.blockSignals(True)
        self.tag_box.clear()
        self.tag_box.addItem("all tags", None)
        for t in tags:
            self.tag_box.addItem(t, t)
        i = self.tag_box.findData(current)
        self.tag_box.setCurrentIndex(max(0, i))
        self.tag_box.blockSignals(False)

    async def run_selected(self, action: str, dry_run: bool = False):
        """Confirm inline (with the run's options), confirm production targets by typing, run on
        the selected targets, show progress, then read them again."""
        names = self.selected_names()
        if not names or self.session is None:
            self.statusBar().showMessage("Select one or more targets first.", 4000)
            return None
        verb = "Dry run" if dry_run else {"deploy": "Deploy", "rollback": "Roll back"}[action]
        opts = self.session.default_options(action, dry_run)
        if dry_run:  # changes nothing: every selected target's plan is worth seeing
            opts.continue_on_error = True
        else:
            confirmed = await self._confirm(action, verb, names, opts)
            if confirmed is None:
                return None
            opts = confirmed
        self.last_options = opts
        self.model.start_run(names)
        self.progress.setRange(0, len(names))
        self.progress.setValue(0)
        self.progress.show()
        self._show_counts()
        outcome = await self._run(run_job(self.session, opts, names))
        self.progress.hide()
        run = outcome.result if outcome is not None else None
        self.last_run = run
        if outcome is not None and outcome.error is not None:
            self.statusBar().showMessage(f"{verb} refused: {outcome.error}")
            for n in names:
                self.model.set_run(n, RunState(NOT_STARTED, text=f"refused: {outcome.error}"))
        for n, state in list(self.model.run.items()):  # anything still waiting never started
            if state.phase in (WAITING, RUNNING):
                self.model.set_run(n, RunState(NOT_STARTED if state.phase == WAITING else CANCELLED,
                                               text="not started" if state.phase == WAITING else "cancelled"))
        self._show_counts()
        if not dry_run:
            await self.load()
        self.run_finished.emit(run)
        return run

    async def _confirm(self, action: str, verb: str, names: list[str], opts: FleetOptions) -> FleetOptions | None:
        """The inline question with the options, then the typed one for production targets:
        the options to run with, or None (nothing runs)."""
        from ..window.production import ProductionConfirm

        assert self.session is not None
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        choices = None
        if action == "rollback":
            migs = self.last.matrix.migrations if self.last else ()
            choices = [("0 (everything)", "0")] + [(f"{i}. {m}", m) for i, m in enumerate(migs, 1)]
        if not await self.confirm.ask(f"{verb} {len(names)} target(s): {shown}?", verb, choices, opts):
            return None
        opts = self.confirm.options.options(opts)
        if action == "rollback":
            opts.to = self.confirm.choice()
        production = self.session.production(names)
        if production:
            dialog = ProductionConfirm("", verb.lower(), self, production)
            self.production_dialog = dialog
            try:
                accepted = await ask(dialog)
            finally:  # a run cancelled while it is open leaves no dialog behind
                dialog.deleteLater()
                self.production_dialog = None
            if not accepted:
                self.statusBar().showMessage(f"{verb} not started: production target(s) not confirmed", 8000)
                return None
        opts.production_confirmed = tuple(production)
        return opts

    def _on_event(self, ev) -> None:
        if isinstance(ev, TargetProgress):
            verb = "rolling back" if self.worker.current and "rollback" in self.worker.current.name else "applying"
            text = f"{verb} {ev.index + 1}/{ev.total}" if ev.total else "starting"
            self.model.set_run(ev.name, RunState(RUNNING, ev.index, ev.total, text))
        elif isinstance(ev, TargetDone):
            phase = CANCELLED if ev.status == "cancelled" else NOT_STARTED if ev.status == "not_started" \
                else _FINAL[ev.ok]
            self.model.set_run(ev.name, RunState(phase, 1, 1, ev.text))
            self.progress.setValue(self.progress.value() + 1)
        else:
            return
        self._show_counts()

    def _show_counts(self) -> None:
        c = self.model.counts()
        if not self.model.run:
            self.count_label.setText("")
            return
        self.count_label.setText(f"done {c[DONE]} · failed {c[FAILED]} · running {c[RUNNING]} · "
                                 f"waiting {c[WAITING]}" + (f" · cancelled {c[CANCELLED]}" if c[CANCELLED] else "")
                                 + (f" · not started {c[NOT_STARTED]}" if c[NOT_STARTED] else ""))

    def cancel(self) -> None:
        if self.confirm.isVisible():
            self.confirm._answer(False)
        elif self.worker.busy:
            self.worker.cancel()
            self.statusBar().showMessage("Cancelling: no new target starts; running ones are cancelled…")

    # -- export ------------------------------------------------------------------------------------

    async def export_dialog(self) -> Path | None:
        dialog = QFileDialog(self, "Export fleet", str(Path.home() / "nexo-fleet.html"), ";;".join(EXPORT_FILTERS.values()))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setObjectName("fleet_export_dialog")
        if not await ask(dialog) or not dialog.selectedFiles():
            return None
        path = Path(dialog.selectedFiles()[0])
        fmt = path.suffix.lstrip(".").lower()
        if fmt not in EXPORT_FILTERS:
            fmt = next(k for k, v in EXPORT_FILTERS.items() if v == dialog.selectedNameFilter())
            path = path.with_suffix("." + fmt)
        return await self.export(fmt, path)

    async def export(self, fmt: str, path: Path) -> Path | None:
        if self.session is None:
            return None
        outcome = await self._run(export_job(self.session, fmt, Path(path), None))
        if outcome is None or not outcome.ok:
            self.statusBar().showMessage(f"Export failed: {outcome.error if outcome else 'busy'}")
            return None
        self.statusBar().showMessage(f"Fleet written to {outcome.result}", 8000)
        return outcome.result

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.worker.busy:
            self.worker.cancel()
            self.worker.wait_idle(60000)
        super().closeEvent(event)
