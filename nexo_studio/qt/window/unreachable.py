"""An unreachable or missing database: the views say so, statuses are unknown (never "Pending"),
and operations stay off until the database answers (Refresh, or the retry timer)."""

from __future__ import annotations

import html
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel

from ...core.project import Snapshot
from ..palette import STATUS_COLOURS
from .base import WindowBase

#: while the database does not answer, ask again this often (ms)
RETRY_MS = 15000


def unknown_snapshot(snap: Snapshot) -> Snapshot:
    """``snap`` with every migration's status "unknown": nothing was read from the database."""
    states = tuple(replace(s, status="unknown", row=None) for s in snap.states)
    new = replace(snap, states=states, by_id={})
    new.by_id.update({s.id: s for s in states})
    return new


def connection_banner() -> QLabel:
    label = QLabel()
    label.setObjectName("connection_banner")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.LinksAccessibleByMouse)
    label.setStyleSheet("QLabel#connection_banner { background: %s; color: white; padding: 6px 10px; "
                        "font-weight: bold; }" % STATUS_COLOURS["failed"])
    label.setVisible(False)
    return label


def sample_banner() -> QLabel:
    label = QLabel()
    label.setObjectName("sample_banner")
    label.setWordWrap(True)
    label.setStyleSheet("QLabel#sample_banner { background: %s; color: white; padding: 6px 10px; }"
                        % STATUS_COLOURS["pending"])
    label.setVisible(False)
    return label


def is_sample(migrations_dir, url: str) -> bool:
    """The first-run target: the bundled sample project on ``<data dir>/sample.db``."""
    from pathlib import Path

    from ...core.config import user_data_dir
    from ..resources import sample_migrations_dir

    try:
        same_dir = Path(migrations_dir).resolve() == sample_migrations_dir().resolve()
    except OSError:
        return False
    return same_dir and url == f"sqlite:///{user_data_dir() / 'sample.db'}"


class WindowUnreachable(WindowBase):
    """Banner, retry timer; a mixin of MainWindow."""

    def _build_unreachable(self) -> None:
        self.connection_banner.linkActivated.connect(lambda _l: self.refresh())
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self._retry_connection)

    def _show_sample_notice(self) -> bool:
        """Say so when the window shows the first-run sample; True when it does."""
        sample = bool(self.migrations_dir and self.url and is_sample(self.migrations_dir, self.url))
        if sample:
            db = (self.url or "").removeprefix("sqlite:///")
            self.sample_banner.setText(
                f"<b>Sample project on a throwaway sample database</b> ({html.escape(db)}): try anything, "
                "nothing of yours is touched. Open your own project and database with File → Open project "
                "(Ctrl+O).")
        self.sample_banner.setVisible(sample)
        return sample

    @property
    def connected(self) -> bool:
        return bool(self.loaded is not None and self.loaded.connected)

    def _show_reachability(self) -> None:
        loaded = self.loaded
        if loaded is None or loaded.connected:
            self.connection_banner.setVisible(False)
            self._retry.stop()
            return
        reason = html.escape(loaded.error or "no answer")
        self.connection_banner.setText(
            f"Cannot connect: {reason}<br><span style='font-weight:normal'>The status of every migration is "
            f"unknown and operations are off until the database answers (retried every {RETRY_MS // 1000} s). "
            "<a href='retry' style='color:white'>Retry now</a></span>")
        self.connection_banner.setToolTip(loaded.display_url)
        self.connection_banner.setVisible(True)
        self._retry.start()

    def _retry_connection(self) -> None:
        if not self.connected and not self.worker.busy:
            self.refresh()
