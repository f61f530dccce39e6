"""The run options of the Fleet view's confirmation bar: what `nexo fleet deploy|rollback` takes
as ``--canary K``, ``--continue-on-error``, ``--no-backup``, ``--no-verify``, ``--lock-timeout S``
and ``--parallel N``. The bar shows them filled from the application layer's defaults
(``FleetSession.default_options``: ``[fleet]`` and ``[deploy]`` of ``nexo.toml``) every time it
asks; reading them back gives the ``FleetOptions`` the run gets. No defaults are decided here."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QWidget

if TYPE_CHECKING:
    from ...app.fleet.runner import FleetOptions

#: the canary spin box's lowest value, shown as "tagged": the targets tagged canary
TAGGED = -1


def _spin(name: str, low: int, high: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(low, high)
    box.setToolTip(tip)
    return box


class RunOptionsRow(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fleet_run_options")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.canary = _spin("fleet_canary", TAGGED, 100000,
                            "--canary K: the first K selected targets run first, one at a time; "
                            "“tagged”: the targets tagged canary")
        self.canary.setSpecialValueText("tagged")
        self.continue_box = QCheckBox("Continue on error")
        self.continue_box.setObjectName("fleet_continue_on_error")
        self.continue_box.setToolTip("--continue-on-error: keep starting targets after one fails "
                                     "(off: the first failure stops new targets; the rest are not started)")
        self.backup_box = QCheckBox("Back up")
        self.backup_box.setObjectName("fleet_backup")
        self.backup_box.setToolTip("Back up each target before applying (off: --no-backup)")
        self.verify_box = QCheckBox("Verify")
        self.verify_box.setObjectName("fleet_verify")
        self.verify_box.setToolTip("Run verify sections and post-deploy checks (off: --no-verify)")
        self.lock_timeout = QDoubleSpinBox()
        self.lock_timeout.setObjectName("fleet_lock_timeout")
        self.lock_timeout.setRange(0, 86400)
        self.lock_timeout.setDecimals(1)
        self.lock_timeout.setSuffix(" s")
        self.lock_timeout.setToolTip("--lock-timeout S: how long each target waits for its lock")
        self.parallel = _spin("fleet_parallel", 1, 256, "--parallel N: databases worked on at once after the canaries")
        for w in (QLabel("Canaries"), self.canary, self.continue_box, self.backup_box, self.verify_box,
                  QLabel("Lock timeout"), self.lock_timeout, QLabel("Parallel"), self.parallel):
            lay.addWidget(w)
        lay.addStretch(1)

    def show_options(self, opts: "FleetOptions") -> None:
        """Fill the row from ``opts`` (back up / verify only for a deploy)."""
        self.canary.setValue(TAGGED if opts.canary is None else opts.canary)
        self.continue_box.setChecked(opts.continue_on_error)
        deploy = opts.action == "deploy"
        self.backup_box.setVisible(deploy)
        self.verify_box.setVisible(deploy)
        self.backup_box.setChecked(bool(opts.backup) if opts.backup is not None else True)
        self.verify_box.setChecked(bool(opts.verify) if opts.verify is not None else True)
        if opts.lock_timeout is not None:
            self.lock_timeout.setValue(opts.lock_timeout)
        self.parallel.setValue(opts.parallel)

    def options(self, base: "FleetOptions") -> "FleetOptions":
        """``base`` with what the row shows now."""
        deploy = base.action == "deploy"
        return replace(base, canary=None if self.canary.value() == TAGGED else self.canary.value(),
                       continue_on_error=self.continue_box.isChecked(),
                       backup=self.backup_box.isChecked() if deploy else base.backup,
                       verify=self.verify_box.isChecked() if deploy else base.verify,
                       lock_timeout=float(self.lock_timeout.value()), parallel=self.parallel.value())
