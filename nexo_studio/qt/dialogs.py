"""Dialogs: connection, deploy, rollback confirmation, restore, repair, accept-history, export.

Dialogs never touch the database: anything that needs it (Test connection, the deploy dry-run
preview, the backup list, the export preview) is a :class:`~nexo_studio.qt.worker.Job` handed
to the window's worker, and the dialog shows the outcome when it arrives.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, QTimeZone, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableView,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.project import Project, Snapshot
from .connections import DIALECTS, ConnectionFields, Passwords, Profile, ProfileStore, url_without_password
from .models import HistoryProblemModel, fmt_time
from .palette import STATUS_LABELS, status_colour, status_icon
from .panels import DetailsPane
from .sql_view import CodeView
from .theme import icon
from .worker import Job, JobOutcome, Worker
from . import report_pdf  # noqa: F401  (registers the pdf renderer for export)


def _error_text(outcome: JobOutcome) -> str:
    from ..core.db import redact

    if outcome.error is None:
        return ""
    exc = outcome.error
    text = str(getattr(exc, "orig", None) or exc).strip()
    return redact(text.splitlines()[0] if text else type(exc).__name__)


class _WorkerDialog(QDialog):
    """A dialog that runs jobs on the window's worker and listens for their outcome."""

    def __init__(self, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._pending: dict[str, object] = {}
        worker.job_finished.connect(self._on_job_finished)
        self.finished.connect(self._disconnect)

    def run_job(self, job: Job, on_done) -> bool:
        if not self.worker.submit(job):
            self.setToolTip("Another operation is running; try again when it ends.")
            return False
        self._pending[job.name] = on_done
        return True

    def _on_job_finished(self, outcome: JobOutcome) -> None:
        handler = self._pending.pop(outcome.name, None)
        if handler is not None:
            handler(outcome)

    def _disconnect(self) -> None:
        try:
            self.worker.job_finished.disconnect(self._on_job_finished)
        except (RuntimeError, TypeError):
            pass


def _note(text: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


# --------------------------------------------------------------------------------------------
# connection


class ConnectionDialog(_WorkerDialog):
    """Project folder + database (URL or per-dialect form), Test connection, profiles, recents."""

    def __init__(self, worker: Worker, migrations_dir: Path | None, url: str | None,
                 store: ProfileStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.setWindowTitle("Open project and database")
        self.setMinimumWidth(620)
        self.store = store or ProfileStore.load()
        self.result_dir: Path | None = None
        self.result_url: str | None = None
        #: set when a password could not go to the keyring (the window tells the user)
        self.keyring_message: str | None = None

        layout = QVBoxLayout(self)

        # profiles / recents
        top = QGridLayout()
        self.profile_box = QComboBox()
        self.profile_box.setObjectName("profiles")
        self.profile_box.addItem("(no profile)", None)
        for p in self.store.profiles:
            self.profile_box.addItem(p.name, p.name)
        self.profile_box.currentIndexChanged.connect(self._load_profile)
        self.save_profile_btn = QPushButton("Save as profile…")
        self.save_profile_btn.clicked.connect(self._save_profile)
        self.delete_profile_btn = QPushButton("Delete")
        self.delete_profile_btn.clicked.connect(self._delete_profile)
        top.addWidget(QLabel("Profile:"), 0, 0)
        top.addWidget(self.profile_box, 0, 1)
        top.addWidget(self.save_profile_btn, 0, 2)
        top.addWidget(self.delete_profile_btn, 0, 3)
        self.recent_box = QComboBox()
        self.recent_box.setObjectName("recent")
        self.recent_box.addItem("(recent projects)", None)
        for r in self.store.recent:
            self.recent_box.addItem(f"{Path(r['migrations_dir']).name} — {r.get('url', '')}", r)
        self.recent_box.currentIndexChanged.connect(self._load_recent)
        top.addWidget(QLabel("Recent:"), 1, 0)
        top.addWidget(self.recent_box, 1, 1, 1, 3)
        top.setColumnStretch(1, 1)
        layout.addLayout(top)

        # project
        proj = QGroupBox("Project (migrations folder)")
        pl = QHBoxLayout(proj)
        self.dir_edit = QLineEdit(str(migrations_dir or ""))
        self.dir_edit.setObjectName("migrations_dir")
        browse = QPushButton(icon("open"), "Browse…")
        browse.clicked.connect(self._browse_dir)
        pl.addWidget(self.dir_edit, 1)
        pl.addWidget(browse)
        layout.addWidget(proj)

        # database
        dbox = QGroupBox("Database")
        dl = QVBoxLayout(dbox)
        modes = QHBoxLayout()
        self.form_radio = QRadioButton("Fields")
        self.url_radio = QRadioButton("SQLAlchemy URL")
        group = QButtonGroup(self)
        group.addButton(self.form_radio)
        group.addButton(self.url_radio)
        self.form_radio.setChecked(True)
        modes.addWidget(self.form_radio)
        modes.addWidget(self.url_radio)
        modes.addStretch(1)
        dl.addLayout(modes)
        self.mode_stack = QStackedWidget()
        self.mode_stack.addWidget(self._build_form())
        url_page = QWidget()
        ul = QFormLayout(url_page)
        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("url")
        self.url_edit.setPlaceholderText("postgresql+psycopg://user@host:5432/db   (password from the keyring)")
        ul.addRow("URL:", self.url_edit)
        self.url_password = QLineEdit()
        self.url_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.url_password.setPlaceholderText("optional; stored in the system keyring, never in a file")
        ul.addRow("Password:", self.url_password)
        self.mode_stack.addWidget(url_page)
        dl.addWidget(self.mode_stack)
        self.form_radio.toggled.connect(lambda on: self.mode_stack.setCurrentIndex(0 if on else 1))
        self.remember = QCheckBox("Remember the password in the system keyring")
        self.remember.setChecked(True)
        dl.addWidget(self.remember)
        test_row = QHBoxLayout()
        self.test_btn = QPushButton(icon("test"), "Test connection")
        self.test_btn.setObjectName("test")
        self.test_btn.clicked.connect(self.test_connection)
        self.test_result = _note()
        self.test_result.setObjectName("test_result")
        test_row.addWidget(self.test_btn)
        test_row.addWidget(self.test_result, 1)
        dl.addLayout(test_row)
        layout.addWidget(dbox)

        self.keyring_note = _note()
        self.keyring_note.setVisible(False)
        layout.addWidget(self.keyring_note)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        if url:
            self.set_url(url)

    def _build_form(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.dialect_box = QComboBox()
        self.dialect_box.setObjectName("dialect")
        for key, (label, _d, _p) in DIALECTS.items():
            self.dialect_box.addItem(label, key)
        form.addRow("Type:", self.dialect_box)
        self.file_row = QWidget()
        fl = QHBoxLayout(self.file_row)
        fl.setContentsMargins(0, 0, 0, 0)
        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("sqlite_file")
        fbrowse = QPushButton("Browse…")
        fbrowse.clicked.connect(self._browse_file)
        fl.addWidget(self.file_edit, 1)
        fl.addWidget(fbrowse)
        form.addRow("File:", self.file_row)
        self.host_edit = QLineEdit("localhost")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("default")
        self.db_edit = QLineEdit()
        self.user_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setObjectName("password")
        self.driver_edit = QComboBox()
        self.driver_edit.setEditable(True)
        self.driver_edit.addItems(_odbc_drivers())
        self._server_rows = []
        for label, w in (("Host:", self.host_edit), ("Port:", self.port_spin), ("Database:", self.db_edit),
                         ("User:", self.user_edit), ("Password:", self.password_edit),
                         ("ODBC driver:", self.driver_edit)):
            form.addRow(label, w)
            self._server_rows.append(w)
        self._form = form
        self.dialect_box.currentIndexChanged.connect(self._dialect_changed)
        self._dialect_changed()
        return page

    def _dialect_changed(self) -> None:
        d = self.dialect_box.currentData()
        sqlite = d == "sqlite"
        self._form.setRowVisible(self.file_row, sqlite)
        for w in self._server_rows:
            self._form.setRowVisible(w, not sqlite and (w is not self.driver_edit or d == "mssql"))

    # -- values ------------------------------------------------------------------------------
    def fields(self) -> ConnectionFields:
        return ConnectionFields(
            dialect=self.dialect_box.currentData(), file=self.file_edit.text().strip(),
            host=self.host_edit.text().strip(), port=self.port_spin.value() or None,
            database=self.db_edit.text().strip(), user=self.user_edit.text().strip(),
            password=self.password_edit.text(), driver=self.driver_edit.currentText().strip(),
        )

    def url(self) -> str:
        """The URL to connect with (password included, from the field or the keyring)."""
        from sqlalchemy.engine import make_url

        if self.form_radio.isChecked():
            u = self.fields().url()
        else:
            u = make_url(self.url_edit.text().strip())
            if self.url_password.text():
                u = u.set(password=self.url_password.text())
        text = u.render_as_string(hide_password=False)
        if not u.password and u.username and u.get_backend_name() != "sqlite":
            secret = Passwords.lookup(u)
            if secret:
                text = u.set(password=secret).render_as_string(hide_password=False)
        return text

    def set_url(self, url: str) -> None:
        f = ConnectionFields.from_url(url)
        if not f.password:
            f.password = Passwords.lookup(url) or "" if f.dialect != "sqlite" and f.user else ""
        i = self.dialect_box.findData(f.dialect)
        self.dialect_box.setCurrentIndex(max(i, 0))
        self.file_edit.setText(f.file)
        self.host_edit.setText(f.host)
        self.port_spin.setValue(f.port or 0)
        self.db_edit.setText(f.database)
        self.user_edit.setText(f.user)
        self.password_edit.setText(f.password)
        self.driver_edit.setCurrentText(f.driver)
        self.url_edit.setText(url_without_password(url))

    # -- actions -------------------------------------------------------------------------------
    def _browse_dir(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Migrations folder", self.dir_edit.text())
        if d:
            self.dir_edit.setText(d)

    def _browse_file(self) -> None:
        f, _ = QFileDialog.getSaveFileName(self, "SQLite database file", self.file_edit.text(),
                                           "SQLite databases (*.db *.sqlite *.sqlite3);;All files (*)",
                                           options=QFileDialog.Option.DontConfirmOverwrite)
        if f:
            self.file_edit.setText(f)

    def _load_profile(self) -> None:
        name = self.profile_box.currentData()
        p = self.store.get(name) if name else None
        if p:
            self.dir_edit.setText(p.migrations_dir)
            self.set_url(p.url)

    def _load_recent(self) -> None:
        r = self.recent_box.currentData()
        if r:
            self.dir_edit.setText(r["migrations_dir"])
            self.set_url(r.get("url") or "")

    def _save_profile(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        name, ok = QInputDialog.getText(self, "Save profile", "Profile name:",
                                        text=self.profile_box.currentData() or Path(self.dir_edit.text()).name)
        if ok and name.strip():
            self.save_profile(name.strip())

    def save_profile(self, name: str) -> None:
        url = self.url()
        self.store.put(Profile(name, self.dir_edit.text().strip(), url))
        self.store.save()
        self._remember_password(url)
        if self.profile_box.findData(name) < 0:
            self.profile_box.addItem(name, name)
        self.profile_box.blockSignals(True)
        self.profile_box.setCurrentIndex(self.profile_box.findData(name))
        self.profile_box.blockSignals(False)

    def _delete_profile(self) -> None:
        name = self.profile_box.currentData()
        if name:
            self.store.remove(name)
            self.store.save()
            self.profile_box.removeItem(self.profile_box.currentIndex())

    def _remember_password(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        u = make_url(url)
        if not u.password or not self.remember.isChecked():
            return
        saved, message = Passwords.store(u, u.password)
        self.keyring_note.setText(message)
        self.keyring_note.setStyleSheet("" if saved else f"color: {status_colour('pending').name()}")
        self.keyring_note.setVisible(True)
        self.keyring_message = None if saved else message

    def test_connection(self) -> None:
        try:
            url = self.url()
        except Exception as exc:  # noqa: BLE001 - a malformed URL
            self.test_result.setText(f"✗ {exc}")
            return

        def probe(ctx):
            t = ctx.target
            with t.connect() as conn:
                version = t.server_version(conn)
                has_state = t.store.exists(conn)
            return version, has_state

        self.test_btn.setEnabled(False)
        self.test_result.setText("Connecting…")
        if not self.run_job(Job("test-connection", probe, refresh=False, url=url, needs_project=False), self._tested):
            self.test_btn.setEnabled(True)

    def _tested(self, outcome: JobOutcome) -> None:
        self.test_btn.setEnabled(True)
        if outcome.ok:
            version, has_state = outcome.result
            state = "Nexo state tables present" if has_state else "no Nexo state tables yet"
            self.test_result.setText(f"✓ Connected: {version}; {state}.")
            self.test_result.setStyleSheet(f"color: {status_colour('applied').name()}")
        else:
            self.test_result.setText(f"✗ {_error_text(outcome)}")
            self.test_result.setStyleSheet(f"color: {status_colour('failed').name()}")

    def _accept(self) -> None:
        d = Path(self.dir_edit.text().strip()).expanduser()
        if not d.is_dir():
            self.test_result.setText(f"✗ {d} is not a folder.")
            return
        try:
            url = self.url()
        except Exception as exc:  # noqa: BLE001
            self.test_result.setText(f"✗ Not a database URL: {exc}")
            return
        self._remember_password(url)
        from sqlalchemy.engine import make_url

        u = make_url(url)
        if u.password and not self.remember.isChecked():
            Passwords._session[Passwords.key(u)] = u.password
        self.store.add_recent(d, url)
        self.store.save()
        self.result_dir, self.result_url = d, url
        self.accept()


def _odbc_drivers() -> list[str]:
    names = ["ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "FreeTDS"]
    try:
        import pyodbc

        found = [d for d in pyodbc.drivers() if "SQL Server" in d or "TDS" in d]
        names = found + [n for n in names if n not in found]
    except Exception:  # pyodbc needs libodbc; the names above still work when it appears
        pass
    return names


# --------------------------------------------------------------------------------------------
# plan listing


def _plan_list(project: Project, snapshot: Snapshot, ids: Sequence[str], blocked: Sequence[str] = ()) -> QListWidget:
    lw = QListWidget()
    lw.setObjectName("plan")
    lw.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    for i, mid in enumerate(ids, 1):
        st = snapshot.by_id.get(mid)
        m = project.migrations.get(mid)
        desc = (m.description if m else (st.description if st else "")) or ""
        text = f"{i}. {mid}" + (f" — {desc.splitlines()[0]}" if desc else "")
        if mid in blocked:
            text += "   (irreversible: no down section)"
        item = QListWidgetItem(status_icon(st.status if st else "pending"), text)
        item.setData(Qt.ItemDataRole.UserRole, mid)
        if mid in blocked:
            item.setForeground(status_colour("failed"))
        lw.addItem(item)
    lw.setMinimumHeight(min(60 + 22 * len(ids), 240))
    return lw


# --------------------------------------------------------------------------------------------
# deploy


class DeployDialog(_WorkerDialog):
    """Options, the plan (pure, from the snapshot) and a dry-run SQL preview from the worker."""

    def __init__(self, worker: Worker, project: Project, snapshot: Snapshot, defaults,
                 target_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.setWindowTitle("Deploy")
        self.setMinimumSize(680, 520)
        self.project, self.snapshot = project, snapshot
        layout = QVBoxLayout(self)
        # "failed": the last (transactional) attempt failed and left nothing behind: retryable
        pending = [s for s in snapshot.states if s.status in ("pending", "failed")]

        form = QFormLayout()
        self.target_box = QComboBox()
        self.target_box.setObjectName("deploy_to")
        self.target_box.addItem(f"All pending ({len(pending)})", None)
        for s in pending:
            self.target_box.addItem(f"Up to {s.id}", s.id)
        if target_id:
            self.target_box.setCurrentIndex(max(self.target_box.findData(target_id), 0))
        form.addRow("Deploy:", self.target_box)
        opts = QHBoxLayout()
        self.backup_box = QCheckBox("Back up first")
        self.backup_box.setChecked(defaults.backup)
        self.verify_box = QCheckBox("Verify")
        self.verify_box.setChecked(defaults.verify)
        self.rollback_box = QCheckBox("Roll back automatically on failure")
        self.rollback_box.setChecked(defaults.auto_rollback)
        for w in (self.backup_box, self.verify_box, self.rollback_box):
            opts.addWidget(w)
        opts.addStretch(1)
        form.addRow("Steps:", opts)
        self.lock_spin = QDoubleSpinBox()
        self.lock_spin.setRange(0, 3600)
        self.lock_spin.setSuffix(" s")
        self.lock_spin.setValue(defaults.lock_timeout)
        form.addRow("Wait for lock:", self.lock_spin)
        layout.addLayout(form)

        split = QSplitter(Qt.Orientation.Vertical)
        box = QWidget()
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        self.plan_label = QLabel()
        bl.addWidget(self.plan_label)
        self.plan_view = QListWidget()
        self.plan_view.setObjectName("plan")
        bl.addWidget(self.plan_view)
        split.addWidget(box)
        pbox = QWidget()
        pl = QVBoxLayout(pbox)
        pl.setContentsMargins(0, 0, 0, 0)
        prow = QHBoxLayout()
        self.preview_btn = QPushButton(icon("preview"), "Preview SQL (dry run)")
        self.preview_btn.setObjectName("preview")
        self.preview_btn.clicked.connect(self.preview)
        self.preview_note = QLabel("The exact SQL, computed against the database without changing it.")
        self.preview_note.setWordWrap(True)
        prow.addWidget(self.preview_btn)
        prow.addWidget(self.preview_note, 1)
        pl.addLayout(prow)
        self.sql_view = CodeView()
        self.sql_view.setObjectName("preview_sql")
        pl.addWidget(self.sql_view)
        split.addWidget(pbox)
        split.setSizes([160, 300])
        layout.addWidget(split, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Deploy")
        self.ok_button.setIcon(icon("deploy"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.target_box.currentIndexChanged.connect(self._update_plan)
        self._update_plan()

    def options(self):
        from ..core.pipeline import DeployOptions

        return DeployOptions(to=self.target_box.currentData(), backup=self.backup_box.isChecked(),
                             verify=self.verify_box.isChecked(), auto_rollback=self.rollback_box.isChecked(),
                             lock_timeout=self.lock_spin.value())

    def _update_plan(self) -> None:
        from ..core.planner import deploy_plan

        try:
            plan = deploy_plan(self.project, self.snapshot, self.target_box.currentData())
            ids = plan.ids
        except Exception as exc:  # noqa: BLE001 - a cycle or unknown target: show it
            ids = ()
            self.plan_label.setText(f"Cannot plan: {exc}")
        else:
            self.plan_label.setText(f"{len(ids)} migration(s) will be applied, in this order:" if ids
                                    else "Nothing to apply: the database is up to date.")
        self.plan_view.clear()
        for i, mid in enumerate(ids, 1):
            m = self.project.migrations[mid]
            item = QListWidgetItem(status_icon("pending"), f"{i}. {mid}" + (f" — {m.description}" if m.description else ""))
            self.plan_view.addItem(item)
        self.ok_button.setEnabled(bool(ids))
        self.sql_view.set_source("")

    def preview(self) -> None:
        from ..core.pipeline import deploy

        opts = self.options()
        opts.dry_run = True
        self.preview_btn.setEnabled(False)
        self.preview_note.setText("Computing the plan against the database…")
        if not self.run_job(Job("deploy-preview", lambda ctx: deploy(ctx.project, ctx.target, opts), refresh=False),
                            self._previewed):
            self.preview_btn.setEnabled(True)

    def _previewed(self, outcome: JobOutcome) -> None:
        self.preview_btn.setEnabled(True)
        if outcome.error is not None:
            self.preview_note.setText(f"Preview failed: {_error_text(outcome)}")
            return
        result = outcome.result
        lines = []
        for mid, stmts in result.sql:
            m = self.project.migrations.get(mid)
            lines.append(f"-- ===== {mid}" + (f" ({m.path.name})" if m else ""))
            for line, sql in stmts:
                lines.append(f"-- line {line}" if line else "-- (Python)")
                lines.append(sql.rstrip().rstrip(";") + ";" if not sql.lstrip().startswith("--") else sql)
            lines.append("")
        self.sql_view.set_source("\n".join(lines) or "-- nothing to apply")
        self.preview_note.setText(f"Dry run: {result.message}. Nothing was changed.")


# --------------------------------------------------------------------------------------------
# rollback


class RollbackDialog(QDialog):
    """Lists exactly what will be undone (planner.rollback_plan on the current snapshot, dependents
    first) and blocks irreversible migrations by name."""

    def __init__(self, project: Project, snapshot: Snapshot, migration_id: str, with_dependents: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ..core.pipeline import plan_sql
        from ..core.planner import irreversible, rollback_plan

        self.migration_id = migration_id
        self.with_dependents = with_dependents
        self.setWindowTitle("Roll back this and its dependents" if with_dependents else "Roll back to here")
        self.setMinimumSize(640, 460)
        layout = QVBoxLayout(self)
        self.plan = None
        self.blocked: list[str] = []
        self.error: str | None = None
        try:
            if with_dependents:
                self.plan = rollback_plan(project, snapshot, one=migration_id, with_dependents=True)
            else:
                self.plan = rollback_plan(project, snapshot, to=migration_id)
            self.blocked = irreversible(project, self.plan, snapshot.dialect)
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
        self.list = _plan_list(project, snapshot, ids, self.blocked)
        layout.addWidget(self.list, 1)
        self.blocked_label = _note()
        self.blocked_label.setObjectName("blocked")
        if self.blocked:
            self.blocked_label.setText(
                "<b>Blocked:</b> these cannot be rolled back because they have no down section: "
                + ", ".join(f"<b>{b}</b>" for b in self.blocked)
                + ". Restore a backup instead, or roll back to a later migration.")
            self.blocked_label.setStyleSheet(f"color: {status_colour('failed').name()}")
        self.blocked_label.setVisible(bool(self.blocked))
        layout.addWidget(self.blocked_label)
        if ids:
            sql = plan_sql(project, self.plan, snapshot.dialect, "down")
            text = "\n".join(f"-- ===== {mid}\n" + "\n".join(s.rstrip() + ("" if s.rstrip().endswith(";") else ";")
                                                           for _l, s in stmts) for mid, stmts in sql)
            self.sql_view = CodeView()
            self.sql_view.set_source(text)
            self.sql_view.setMaximumHeight(180)
            layout.addWidget(QLabel("Down SQL that will run:"))
            layout.addWidget(self.sql_view)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(f"Roll back {len(ids)}" if ids else "Roll back")
        self.ok_button.setIcon(icon("rollback"))
        self.ok_button.setEnabled(bool(ids) and not self.blocked and not self.error)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def options(self):
        from ..core.pipeline import RollbackOptions

        if self.with_dependents:
            return RollbackOptions(one=self.migration_id, with_dependents=True)
        return RollbackOptions(to=self.migration_id)


# --------------------------------------------------------------------------------------------
# restore


class RestoreDialog(QDialog):
    """Pick a backup from the list recorded in history (read by the worker)."""

    def __init__(self, backups: list[dict], display_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore a backup")
        self.setMinimumSize(760, 380)
        self.backups = backups
        layout = QVBoxLayout(self)
        layout.addWidget(_note(f"Backups of <b>{display_url}</b> recorded in the history, newest first. "
                               "Restoring replaces the whole database with the backup; everything changed "
                               "after it is lost (the audit history is kept)."))
        self.table = QTableWidget(len(backups), 4)
        self.table.setObjectName("backups")
        self.table.setHorizontalHeaderLabels(["Created (UTC)", "Size", "File", "Path"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        for r, b in enumerate(backups):
            size = b.get("size")
            cells = [fmt_time(b.get("created_at")), f"{size / 1024:,.1f} KiB" if size else "",
                     "present" if b.get("exists") else "missing", str(b.get("path") or "")]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2 and not b.get("exists"):
                    item.setForeground(status_colour("failed"))
                self.table.setItem(r, c, item)
        hh = self.table.horizontalHeader()
        for c in range(3):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.understand = QCheckBox("Replace the database with this backup; everything changed after it is lost")
        self.understand.setObjectName("understand")
        self.understand.toggled.connect(self._selection)
        layout.addWidget(self.understand)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Restore")
        self.ok_button.setIcon(icon("restore"))
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.table.itemSelectionChanged.connect(self._selection)
        for r, b in enumerate(backups):
            if b.get("exists"):
                self.table.selectRow(r)
                break

    def _selection(self, *_args) -> None:
        b = self.selected()
        self.ok_button.setEnabled(bool(b and b.get("exists")) and self.understand.isChecked())

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None


# --------------------------------------------------------------------------------------------
# repair


REPAIRS = {
    # status -> [(key, label, kwargs for operations.repair)]
    "dirty": [("mark-applied", "Mark as applied (I finished it by hand)", {"mark": "applied"}),
              ("mark-rolled-back", "Mark as rolled back (I undid its partial changes)", {"mark": "rolled-back"})],
    "drifted": [("accept-checksum", "Accept the changed file (record its new checksum)", {"accept_checksum": True}),
                ("mark-rolled-back", "Mark as rolled back", {"mark": "rolled-back"})],
    "missing": [("forget-missing", "Forget it (drop its row; its file is gone)", {"forget_missing": True})],
}


class RepairDialog(QDialog):
    def __init__(self, snapshot: Snapshot, migration_id: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Repair")
        self.setMinimumWidth(560)
        self.snapshot = snapshot
        layout = QVBoxLayout(self)
        self.candidates = [s for s in snapshot.states if s.status in REPAIRS]
        form = QFormLayout()
        self.which = QComboBox()
        self.which.setObjectName("migration")
        for s in self.candidates:
            self.which.addItem(status_icon(s.status), f"{s.id} ({STATUS_LABELS.get(s.status, s.status)})", s.id)
        if migration_id:
            self.which.setCurrentIndex(max(self.which.findData(migration_id), 0))
        form.addRow("Migration:", self.which)
        layout.addLayout(form)
        self.actions_box = QGroupBox("Resolve by")
        self.actions_layout = QVBoxLayout(self.actions_box)
        self.action_group = QButtonGroup(self)
        layout.addWidget(self.actions_box)
        self.note = _note("Repair changes only Nexo's records, never your schema; it is recorded in the history.")
        layout.addWidget(self.note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Repair")
        self.ok_button.setIcon(icon("repair"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.which.currentIndexChanged.connect(self._fill)
        self._fill()

    def _fill(self) -> None:
        for b in self.action_group.buttons():
            self.action_group.removeButton(b)
            b.deleteLater()
        mid = self.which.currentData()
        st = self.snapshot.by_id.get(mid) if mid else None
        for i, (key, label, _kw) in enumerate(REPAIRS.get(st.status, []) if st else []):
            rb = QRadioButton(label)
            rb.setProperty("repair", key)
            rb.setChecked(i == 0)
            self.action_group.addButton(rb)
            self.actions_layout.addWidget(rb)
        self.ok_button.setEnabled(bool(st))

    def choice(self) -> tuple[str, dict] | None:
        mid = self.which.currentData()
        st = self.snapshot.by_id.get(mid) if mid else None
        checked = self.action_group.checkedButton()
        if not st or checked is None:
            return None
        key = checked.property("repair")
        kwargs = next(kw for k, _l, kw in REPAIRS[st.status] if k == key)
        return mid, kwargs


class AcceptHistoryDialog(QDialog):
    """Confirmation for ``repair --accept-history``: shows exactly which history rows (by seq, each
    as it is now) and which lost rows or tables are accepted, that the acceptance is itself
    recorded in the history, and what it leaves to repair. OK stays disabled until the user
    ticks that they checked them. The problems were read by the worker before the dialog opened
    and are handed back to the operation, which refuses if the database now shows others."""

    def __init__(self, problems, display_url: str, operator: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problems = problems
        self.setWindowTitle("Accept the tampered history")
        self.setMinimumSize(1020, 600)
        layout = QVBoxLayout(self)
        bad = status_colour("failed").name()
        intro = _note(f"<b style='color:{bad}'>The history of {html.escape(display_url)} was changed outside Nexo.</b> "
                      "Restoring a backup is the safer fix. Accepting records that you checked the problems "
                      "below and take the history as it is now: nothing is rewritten, the rows stay exactly "
                      "as found and keep showing what was done to them.")
        intro.setObjectName("intro")
        layout.addWidget(intro)
        self.model = HistoryProblemModel(self)
        self.model.set_problems(problems.breaks, problems.rows)
        if problems.breaks:
            seqs = ", ".join(str(s) for s in problems.seqs)
            layout.addWidget(_note(f"<b>{len(problems.breaks)}</b> history row(s) break the hash chain "
                                   f"(seq {seqs}); select one to see it as it is now:"))
            self.table = QTableView()
            self.table.setObjectName("problem_rows")
            self.table.setModel(self.model)
            self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            self.table.verticalHeader().setVisible(False)
            self.table.horizontalHeader().setStretchLastSection(True)
            self.table.resizeColumnsToContents()
            # the reason is also in the tooltip; capped so the row's operator and host stay in view
            self.table.setColumnWidth(1, min(self.table.columnWidth(1), 330))
            self.table.setColumnWidth(4, min(self.table.columnWidth(4), 240))
            self.details = DetailsPane()
            self.details.setObjectName("problem_details")
            split = QSplitter(Qt.Orientation.Vertical)
            split.addWidget(self.table)
            split.addWidget(self.details)
            split.setSizes([150, 200])
            layout.addWidget(split, 1)
            self.table.selectionModel().currentRowChanged.connect(self._show_row)
            self.table.selectRow(0)
        if problems.tables:
            lost = _note("<b>Lost history rows or state tables:</b><br>"
                         + "<br>".join(f"• {html.escape(t)}" for t in problems.tables))
            lost.setObjectName("tables")
            layout.addWidget(lost)
        what = (f"The acceptance is itself recorded in the history: a <b>repair</b> row (accept-history) "
                f"by <b>{html.escape(operator)}</b>, naming "
                + (f"seq {', '.join(str(s) for s in problems.seqs)} and each row's hash as found "
                   "(a row edited again later breaks the chain again)" if problems.breaks else "what was lost")
                + ". <code>nexo audit verify</code> and the audit reports will show what was accepted.")
        self.recorded_note = _note(what)
        self.recorded_note.setObjectName("recorded")
        layout.addWidget(self.recorded_note)
        if problems.remaining:
            warn = status_colour("pending").name()
            left = _note(f"<span style='color:{warn}'><b>Not resolved by this</b> (check each migration's "
                         "objects, then use Repair…):</span><br>"
                         + "<br>".join(f"• {html.escape(r)}" for r in problems.remaining))
            left.setObjectName("remaining")
            layout.addWidget(left)
        self.understand = QCheckBox("I have checked these rows and accept the history as it is now, on record")
        self.understand.setObjectName("understand")
        layout.addWidget(self.understand)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Accept and record")
        self.ok_button.setIcon(icon("warning"))
        self.ok_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.understand.toggled.connect(self.ok_button.setEnabled)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _show_row(self, current, _previous=None) -> None:
        h = self.model.event(current.row()) if current.isValid() else None
        if h is not None:
            self.details.show_event(h)


# --------------------------------------------------------------------------------------------
# export


class ExportDialog(_WorkerDialog):
    """Format, output file and filters; the preview shows the report as the paginated PDF it
    prints as (charts included), rendered on the worker and shown in a QPdfView."""

    def __init__(self, worker: Worker, default_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self.setWindowTitle("Export audit report")
        self.setMinimumSize(820, 600)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.format_box = QComboBox()
        self.format_box.setObjectName("format")
        for fmt, label in (("html", "HTML (one self-contained file)"), ("pdf", "PDF"), ("csv", "CSV"), ("json", "JSON")):
            self.format_box.addItem(label, fmt)
        form.addRow("Format:", self.format_box)
        out_row = QHBoxLayout()
        self.out_edit = QLineEdit(str(default_dir / "nexo-audit-report.html"))
        self.out_edit.setObjectName("out")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        form.addRow("Save to:", out_row)
        self.format_box.currentIndexChanged.connect(self._format_changed)

        filters = QHBoxLayout()
        self.since_box = QCheckBox("From")
        self.since_edit = _date_edit(-30)
        self.until_box = QCheckBox("to")
        self.until_edit = _date_edit(0)
        self.migration_edit = QLineEdit()
        self.migration_edit.setPlaceholderText("migration id")
        self.action_box = QComboBox()
        self.action_box.addItem("any action", None)
        for a in ("apply", "rollback", "verify", "backup", "restore", "deploy_start", "deploy_end", "repair", "baseline"):
            self.action_box.addItem(a, a)
        self.status_box = QComboBox()
        self.status_box.addItem("any status", None)
        for s in ("ok", "failed", "cancelled"):
            self.status_box.addItem(s, s)
        for w in (self.since_box, self.since_edit, self.until_box, self.until_edit, self.migration_edit,
                  self.action_box, self.status_box):
            filters.addWidget(w)
        form.addRow("Only:", filters)
        layout.addLayout(form)

        prow = QHBoxLayout()
        self.preview_btn = QPushButton(icon("preview"), "Preview")
        self.preview_btn.setObjectName("preview")
        self.preview_btn.clicked.connect(self.preview)
        self.status_label = _note("")
        prow.addWidget(self.preview_btn)
        prow.addWidget(self.status_label, 1)
        layout.addLayout(prow)
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        self.pdf = QPdfDocument(self)
        self.preview_view = QPdfView()
        self.preview_view.setObjectName("preview_pdf")
        self.preview_view.setDocument(self.pdf)
        self.preview_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.preview_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        layout.addWidget(self.preview_view, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Export")
        self.save_button.setIcon(icon("export"))
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.exported: Path | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="nexo-preview-")
        self._previews = 0
        self.preview_text = ""
        self.finished.connect(lambda _r: self._tmp.cleanup())

    def _format_changed(self) -> None:
        fmt = self.format_box.currentData()
        p = Path(self.out_edit.text() or "nexo-audit-report")
        self.out_edit.setText(str(p.with_suffix("." + fmt)))

    def _browse(self) -> None:
        fmt = self.format_box.currentData()
        f, _ = QFileDialog.getSaveFileName(self, "Export report", self.out_edit.text(), f"{fmt.upper()} (*.{fmt})")
        if f:
            self.out_edit.setText(f)

    def filters(self):
        from ..core.reports import ReportFilters

        def day(edit: QDateTimeEdit) -> str:
            return edit.date().toString("yyyy-MM-dd")

        return ReportFilters.parse(
            since=day(self.since_edit) if self.since_box.isChecked() else None,
            until=day(self.until_edit) if self.until_box.isChecked() else None,
            migration_id=self.migration_edit.text().strip() or None,
            action=self.action_box.currentData(), status=self.status_box.currentData())

    def _job(self, fmt: str, out: Path, name: str) -> Job | None:
        try:
            filters = self.filters()
        except Exception as exc:  # noqa: BLE001 - InvalidInput from the filters
            self.status_label.setText(str(exc))
            return None

        def run(ctx):
            from ..core.reports import export_report

            return export_report(ctx.target, ctx.project, fmt, out, filters)

        return Job(name, run, refresh=False)

    def preview(self) -> None:
        out = Path(self._tmp.name) / f"preview-{id(self)}-{self._previews}.pdf"
        self._previews += 1
        job = self._job("pdf", out, "export-preview")
        if job and self.run_job(job, self._previewed):
            self.preview_btn.setEnabled(False)
            self.status_label.setText("Rendering…")

    def _previewed(self, outcome: JobOutcome) -> None:
        self.preview_btn.setEnabled(True)
        if outcome.error is not None:
            self.status_label.setText(f"Preview failed: {_error_text(outcome)}")
            return
        path = Path(outcome.result)
        self.pdf.load(str(path))
        self.preview_text = _pdf_text(self.pdf)
        self.status_label.setText(f"Preview: {self.pdf.pageCount()} page(s) as printed "
                                  "(the export itself is written in the chosen format).")

    def export(self) -> None:
        fmt = self.format_box.currentData()
        out = Path(self.out_edit.text()).expanduser()
        job = self._job(fmt, out, "export")
        if job and self.run_job(job, self._exported):
            self.save_button.setEnabled(False)
            self.status_label.setText(f"Writing {out}…")

    def _exported(self, outcome: JobOutcome) -> None:
        self.save_button.setEnabled(True)
        if outcome.error is not None:
            self.status_label.setText(f"Export failed: {_error_text(outcome)}")
            return
        self.exported = Path(outcome.result)
        self.status_label.setText(f"Written: <a href='{QUrl.fromLocalFile(str(self.exported)).toString()}'>"
                                  f"{self.exported}</a>")
        self.status_label.setOpenExternalLinks(True)


def _pdf_text(doc) -> str:
    """All text of a loaded QPdfDocument (for tests and copy)."""
    return "\n".join(doc.getAllText(i).text() for i in range(doc.pageCount()))


def _date_edit(days: int) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime.currentDateTime(QTimeZone.utc()).addDays(days))
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setCalendarPopup(True)
    return edit


def open_path(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


__all__ = ["ConnectionDialog", "DeployDialog", "RollbackDialog", "RestoreDialog", "RepairDialog", "ExportDialog"]
