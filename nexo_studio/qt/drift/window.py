"""The window's part of live drift: the Drift tab, the status-bar indicator (a click opens the
tab) and "Accept as the new schema…" (one coroutine: confirm, await the snapshot job, refresh,
report). The verdict comes with every refresh, read on the worker (``worker.load_state``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMenu, QToolButton

from ..palette import STATUS_COLOURS, UNKNOWN_COLOUR
from ..theme import icon
from ..window.base import WindowBase
from ..worker import Job, JobOutcome
from .summary import indicator_text
from .view import DriftView


class WindowDrift(WindowBase):
    """A mixin of MainWindow (uses WindowOperations' ``_ready``, ``_dialog``, ``_job``, ``_finish``)."""

    drift_view: DriftView
    drift_button: QToolButton

    def _build_drift(self) -> None:
        """The tab (after the others), View → Schema drift, and the status-bar indicator."""
        self.drift_view = DriftView()
        self.tabs.addTab(self.drift_view, icon("validate"), "Drift")
        self.drift_view.refresh_requested.connect(self.refresh)
        self.drift_view.accept_requested.connect(lambda: self.trigger(self.accept_schema))
        action = self._action("view_drift", "Schema &drift", self.show_drift_view, None, "validate",
                              "The live schema against the last snapshot")
        after = self.actions_by_name.get("view_sql")
        menu = next((m for m in (after.associatedObjects() if after else ()) if isinstance(m, QMenu)), None)
        if menu is not None and after is not None:  # right after View → SQL
            items = menu.actions()
            i = items.index(after) + 1
            if i < len(items):
                menu.insertAction(items[i], action)
            else:
                menu.addAction(action)
        self.drift_button = QToolButton()
        self.drift_button.setObjectName("status_drift")
        self.drift_button.setAutoRaise(True)
        self.drift_button.setToolTip("The live schema against the last snapshot; click for the Drift view")
        self.drift_button.clicked.connect(lambda _c=False: self.show_drift_view())
        # after "Schema <version>": [connection, |, dialect, |, version, <here>, |, pending, …]
        from ..window.actions import _separator

        bar = self.statusBar()
        bar.insertPermanentWidget(5, self.drift_button)
        bar.insertPermanentWidget(5, _separator())
        self.show_drift(None, connected=False)

    def show_drift_view(self) -> None:
        self.tabs.setCurrentWidget(self.drift_view)

    @property
    def drift(self) -> Any:
        """The last drift verdict read (None: not read, or nothing to reflect yet)."""
        return self.drift_view.verdict

    def show_drift(self, verdict: Any, connected: bool = True) -> None:
        """Every refresh: the view and the indicator."""
        self.drift_view.set_verdict(verdict, connected)
        status = getattr(verdict, "status", None)
        colour = {"none": STATUS_COLOURS["applied"], "drift": STATUS_COLOURS["failed"],
                  "stale": STATUS_COLOURS["pending"]}.get(status or "", UNKNOWN_COLOUR)
        self.drift_button.setText(indicator_text(verdict, connected))
        if getattr(self, "production", False):  # white on the red production bar; drift in bold
            style = "QToolButton { color: white; font-weight: bold; }" if status == "drift" else ""
        else:
            style = f"QToolButton {{ color: {colour}; }}" if status in ("none", "drift", "stale") else ""
        self.drift_button.setStyleSheet(style)

    def apply_drift(self, loaded: Any) -> None:
        verdict = loaded.extra.get("drift") if loaded.connected else None
        tool = getattr(self, "read_only_tool", None)
        if tool and loaded.connected:  # --from TOOL: nexo keeps no snapshot of a database it does not manage
            from ...core.drift import UNKNOWN, DriftVerdict

            verdict = DriftVerdict(UNKNOWN, reason=f"a read-only view of the database as {tool} recorded it; "
                                                   "nexo records snapshots once it manages the database")
        self.show_drift(verdict, loaded.connected)

    async def accept_schema(self) -> JobOutcome | None:
        """Confirm, then record the live schema as the accepted one (``nexo snapshot --yes``)."""
        from ...app.drift import take_snapshot
        from .accept import AcceptSchemaDialog

        if not self._ready():
            return None
        dialog = AcceptSchemaDialog(self.drift, self.loaded.display_url if self.loaded else "", self)
        if not await self._dialog(dialog):
            return None
        outcome = await self._job(Job("snapshot", lambda ctx: take_snapshot(ctx.session),
                                      label="Recording the schema snapshot"))
        outcome = await self._finish("Accept schema", outcome)
        if outcome is not None and outcome.error is None and isinstance(outcome.result, dict):
            r = outcome.result
            text = f"schema accepted: snapshot recorded at history seq {r['history_seq']} (sha256 {r['sha256'][:12]}…)"
            self.log_message("info", text)
            self.statusBar().showMessage(text, 8000)
        return outcome
