"""The connection dialog: project folder + database (URL or per-dialect form), Test
connection, profiles, recent projects."""

from __future__ import annotations

import asyncio

import shiboken6

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..connections import (DEFAULT_USERS, DIALECTS, ConnectionFields, Passwords, Profile, ProfileStore, recent_label,
                           url_without_password)
from ..palette import status_colour
from ..theme import icon
from ..worker import JobOutcome, Worker
from .common import _error_text, _note, _WorkerDialog


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
        #: the profile the connection came from (names the window), or None
        self.result_profile: str | None = None
        self.result_production = False
        #: set when a password could not go to the keyring (the window tells the user)
        self.keyring_message: str | None = None

        layout = QVBoxLayout(self)
        self._add_profiles(layout)
        self._add_project(layout, migrations_dir)
        self._add_database(layout)

        self.keyring_note = _note()
        self.keyring_note.setVisible(False)
        layout.addWidget(self.keyring_note)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        if url:
            self.set_url(url)

    def _add_profiles(self, layout: QVBoxLayout) -> None:
        """Profile and recent-project pickers."""
        top = QGridLayout()
        self.profile_box = QComboBox()
        self.profile_box.setObjectName("profiles")
        self.profile_box.addItem("(no profile)", None)
        for p in self.store.profiles:
            self.profile_box.addItem(p.name, p.name)
        self.profile_box.currentIndexChanged.connect(self._load_profile)
        self.save_profile_btn = QPushButton("Save as profile…")
        self.save_profile_btn.clicked.connect(self._save_profile)
        self.production_box = QCheckBox("Production")
        self.production_box.setObjectName("production")
        self.production_box.setToolTip("Colour the window and ask twice before changing this database")
        self.delete_profile_btn = QPushButton("Delete")
        self.delete_profile_btn.clicked.connect(self._delete_profile)
        top.addWidget(QLabel("Profile:"), 0, 0)
        top.addWidget(self.profile_box, 0, 1)
        top.addWidget(self.save_profile_btn, 0, 2)
        top.addWidget(self.production_box, 0, 3)
        top.addWidget(self.delete_profile_btn, 0, 4)
        self.recent_box = QComboBox()
        self.recent_box.setObjectName("recent")
        self.recent_box.addItem("(recent projects)", None)
        for r in self.store.recent:
            self.recent_box.addItem(recent_label(r), r)
        self.recent_box.currentIndexChanged.connect(self._load_recent)
        top.addWidget(QLabel("Recent:"), 1, 0)
        top.addWidget(self.recent_box, 1, 1, 1, 4)
        top.setColumnStretch(1, 1)
        layout.addLayout(top)

    def _add_project(self, layout: QVBoxLayout, migrations_dir: Path | None) -> None:
        """The migrations folder, with Browse."""
        proj = QGroupBox("Project (migrations folder)")
        pl = QHBoxLayout(proj)
        self.dir_edit = QLineEdit(str(migrations_dir or ""))
        self.dir_edit.setObjectName("migrations_dir")
        browse = QPushButton(icon("open"), "Browse…")
        browse.clicked.connect(self._browse_dir)
        pl.addWidget(self.dir_edit, 1)
        pl.addWidget(browse)
        layout.addWidget(proj)

    def _add_database(self, layout: QVBoxLayout) -> None:
        """Fields or URL, remember-password, Test connection."""
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
        self.form_radio.toggled.connect(self._mode_changed)
        self.remember = QCheckBox("Remember the password in the system keyring")
        self.remember.setChecked(True)
        dl.addWidget(self.remember)
        test_row = QHBoxLayout()
        self.test_btn = QPushButton(icon("test"), "Test connection")
        self.test_btn.setObjectName("test")
        self.test_btn.clicked.connect(self._test_clicked)
        self._probing: asyncio.Future | None = None  # the running test's future: the button cancels it
        self.test_result = _note()
        self.test_result.setObjectName("test_result")
        test_row.addWidget(self.test_btn)
        test_row.addWidget(self.test_result, 1)
        dl.addLayout(test_row)
        layout.addWidget(dbox)

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
        self._dialect = self.dialect_box.currentData()
        self.dialect_box.currentIndexChanged.connect(self._dialect_changed)
        self._dialect_changed()
        return page

    def _dialect_changed(self) -> None:
        d, old = self.dialect_box.currentData(), self._dialect
        self._dialect = d
        if old != d:
            # the old dialect's defaults (port 5432, user postgres) are wrong for the new one
            old_port, new_port = DIALECTS[old][2], DIALECTS[d][2]
            if self.port_spin.value() in (0, old_port):
                self.port_spin.setValue(new_port or 0)
            if self.user_edit.text().strip() in ("", DEFAULT_USERS.get(old, "")):
                self.user_edit.setText(DEFAULT_USERS.get(d, ""))
        sqlite = d == "sqlite"
        self._form.setRowVisible(self.file_row, sqlite)
        for w in self._server_rows:
            self._form.setRowVisible(w, not sqlite and (w is not self.driver_edit or d == "mssql"))

    def _mode_changed(self, form: bool) -> None:
        """Carry the connection across, so the other page never shows (or tests) a stale one."""
        self.mode_stack.setCurrentIndex(0 if form else 1)
        if form:
            try:
                password = self.url_password.text()
                self.set_url(self.url_edit.text().strip())
                if password:
                    self.password_edit.setText(password)
            except Exception:  # noqa: BLE001 - not a URL yet: the fields stay as they were
                pass
        else:
            try:
                self.url_edit.setText(url_without_password(self.fields().url(with_password=False)))
                self.url_password.setText(self.password_edit.text())
            except Exception:  # noqa: BLE001 - incomplete fields
                pass

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
        self.production_box.setChecked(bool(p and p.production))
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
        self.store.put(Profile(name, self.dir_edit.text().strip(), url, self.production_box.isChecked()))
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

    async def test_connection(self) -> None:
        """Test connection: probe the URL on the worker, then say what answered."""
        try:
            url = self.url()
        except Exception as exc:  # noqa: BLE001 - a malformed URL
            self.test_result.setText(f"✗ {exc}")
            return
        missing = _missing_sqlite_file(url)
        if missing is not None:  # connecting would create an empty file: a test creates nothing
            where = "its folder exists" if missing.parent.is_dir() else f"and neither does {missing.parent}"
            self.test_result.setText(f"SQLite: {missing} does not exist yet ({where}); the first deploy "
                                     "creates it. Nothing was created.")
            self.test_result.setStyleSheet(f"color: {status_colour('pending').name()}")
            return

        import asyncio

        from .probe import start_probe

        self._probing = start_probe(url)
        self.test_btn.setText("Cancel")
        self.test_result.setStyleSheet("")
        self.test_result.setText("Connecting…")
        try:
            outcome = await self._probing
        except asyncio.CancelledError:
            outcome = JobOutcome("test-connection", False, cancelled=True)
        if not shiboken6.isValid(self):
            return
        self._probing = None
        self.test_btn.setText("Test connection")
        self._tested(outcome)
        self.done_with(outcome)

    def _test_clicked(self) -> None:
        if self._probing is not None:
            self._probing.cancel()  # stop waiting; the attempt ends by itself in the background
        else:
            self.start(self.test_connection())

    def _tested(self, outcome: JobOutcome) -> None:
        self.test_btn.setEnabled(True)
        if outcome.cancelled:
            self.test_result.setText("Test cancelled.")
            self.test_result.setStyleSheet(f"color: {status_colour('pending').name()}")
        elif outcome.ok:
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
        # the recent list gets it once the window has opened it (MainWindow.apply_loaded)
        self.result_dir, self.result_url = d, url
        self.result_profile = self.profile_box.currentData()
        profile = self.store.get(self.result_profile) if self.result_profile else None
        # err on the safe side: a production profile stays production when edited
        self.result_production = bool(profile and profile.production) or self.production_box.isChecked()
        self.accept()


def _missing_sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL when it does not exist (None: exists, in memory, or a server)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" \
            or u.database.startswith("file:"):
        return None
    path = Path(u.database).expanduser()
    return None if path.exists() else path


def _odbc_drivers() -> list[str]:
    names = ["ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "FreeTDS"]
    try:
        import pyodbc

        found = [d for d in pyodbc.drivers() if "SQL Server" in d or "TDS" in d]
        names = found + [n for n in names if n not in found]
    except Exception:  # pyodbc needs libodbc; the names above still work when it appears
        pass
    return names
