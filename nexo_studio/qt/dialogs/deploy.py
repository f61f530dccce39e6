"""The deploy dialog: options and a dry-run preview of the plan and its SQL."""

from __future__ import annotations

import shiboken6


from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core.project import Project, Snapshot
from ..palette import status_icon
from ..sql_view import CodeView
from ..theme import icon
from ..worker import Job, JobOutcome, Worker
from ...core.deploy_check import DeployCheck, deploy_check
from .common import _error_text, _WorkerDialog
from .deploy_checks import ChecksPanel


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
        self.risky_box = QCheckBox("Allow risky statements (error-level lint findings)")
        self.risky_box.setObjectName("allow_risky")
        self.risky_box.setChecked(getattr(defaults, "allow_risky", False))
        form.addRow("Risks:", self.risky_box)
        self.drift_box = QCheckBox("Allow drift (deploy over schema changes made outside Nexo)")
        self.drift_box.setObjectName("allow_drift")
        self.drift_box.setChecked(getattr(defaults, "allow_drift", False))
        form.addRow("Schema drift:", self.drift_box)
        layout.addLayout(form)
        self.checks = ChecksPanel()
        layout.addWidget(self.checks)

        split = QSplitter(Qt.Orientation.Vertical)
        box = QWidget()
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        self.plan_label = QLabel()
        self.plan_label.setWordWrap(True)
        bl.addWidget(self.plan_label)
        self.plan_view = QListWidget()
        self.plan_view.setObjectName("plan")
        bl.addWidget(self.plan_view)
        split.addWidget(box)
        split.addWidget(self._preview_pane())
        split.setSizes([160, 300])
        layout.addWidget(split, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Deploy")
        self.ok_button.setIcon(icon("deploy"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.check: DeployCheck | None = None
        self.checking = True
        self.target_box.currentIndexChanged.connect(self._update_plan)
        self.risky_box.toggled.connect(lambda _on: self._update_gate())
        self.drift_box.toggled.connect(lambda _on: self._update_gate())
        self._update_plan()
        self.start(self.read_checks())

    def _preview_pane(self) -> QWidget:
        pbox = QWidget()
        pl = QVBoxLayout(pbox)
        pl.setContentsMargins(0, 0, 0, 0)
        prow = QHBoxLayout()
        self.preview_btn = QPushButton(icon("preview"), "Preview SQL (dry run)")
        self.preview_btn.setObjectName("preview")
        self.preview_btn.clicked.connect(lambda _c=False: self.start(self.preview()))
        self.preview_note = QLabel("The exact SQL, computed against the database without changing it.")
        self.preview_note.setWordWrap(True)
        prow.addWidget(self.preview_btn)
        prow.addWidget(self.preview_note, 1)
        pl.addLayout(prow)
        self.sql_view = CodeView()
        self.sql_view.setObjectName("preview_sql")
        pl.addWidget(self.sql_view)
        return pbox

    def options(self):
        from ...core.pipeline import DeployOptions

        return DeployOptions(to=self.target_box.currentData(), backup=self.backup_box.isChecked(),
                             verify=self.verify_box.isChecked(), auto_rollback=self.rollback_box.isChecked(),
                             lock_timeout=self.lock_spin.value(), allow_risky=self.risky_box.isChecked(),
                             allow_drift=self.drift_box.isChecked())

    def _update_plan(self) -> None:
        from ...core.planner import deploy_plan

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
        self.plan_ids = tuple(ids)
        self._update_gate()
        self.sql_view.set_source("")

    async def read_checks(self) -> None:
        """Validation, irreversible steps, the lock holder and the lint risks: read on the worker."""
        snap = self.snapshot
        outcome = await self.run(Job("deploy-check", lambda ctx: deploy_check(ctx.required_project, ctx.target, snap),
                                     refresh=False, label="Checking what the deploy would meet"))
        if outcome is None:
            if shiboken6.isValid(self):
                self.checking = False
                self.checks.show_failure("Could not check: another operation is running.")
                self._update_gate()
            return
        self.checking = False
        if outcome.error is not None:
            self.checks.show_failure(f"Could not check the database: {_error_text(outcome)}. "
                                     "Deploy checks again under the lock.")
        else:
            self.check = outcome.result
        self._update_gate()
        self.done_with(outcome)

    def _update_gate(self) -> None:
        """Show what the check found for the chosen plan; disable Deploy with the reason."""
        ids = getattr(self, "plan_ids", ())
        reason: str | None
        if self.checking:
            reason = "Checking the database (validation, lock, risks, schema drift)…"
        elif self.check is None:
            reason = None if ids else "Nothing to apply: the database is up to date."
        else:
            check = self.check.for_plan(ids)
            self.checks.show_check(check, self.project, self.drift_box.isChecked())
            reason = check.refusal(self.risky_box.isChecked(), self.drift_box.isChecked())
        self.ok_button.setEnabled(reason is None)
        self.ok_button.setToolTip(reason or "")
        self.checks.set_reason(reason if not self.checking else None, self.checking)

    async def preview(self) -> None:
        """Preview: the dry run on the worker, then its SQL."""
        from ...core.pipeline import deploy

        opts = self.options()
        opts.dry_run = True
        self.preview_btn.setEnabled(False)
        self.preview_note.setText("Computing the plan against the database…")
        outcome = await self.run(Job("deploy-preview", lambda ctx: deploy(ctx.required_project, ctx.target, opts),
                                     refresh=False))
        if outcome is not None:
            self._previewed(outcome)
            self.done_with(outcome)
        elif shiboken6.isValid(self):
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
