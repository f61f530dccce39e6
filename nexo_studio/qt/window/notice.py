"""The completion notice: a non-modal banner with an operation's result and a way to its
events in the history; it stays until dismissed or the next operation starts."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from ..palette import STATUS_COLOURS
from ..worker import JobOutcome

#: operations that end with a notice
NOTIFY = ("deploy", "rollback", "repair", "backup", "restore")


def outcome_summary(title: str, outcome: JobOutcome) -> tuple[str, str]:
    """(status: ok | cancelled | failed, one line) for ``outcome``."""
    from ...core.db import redact

    seconds = f" in {outcome.duration_ms / 1000:.1f} s" if outcome.duration_ms else ""
    if outcome.error is not None:
        text = redact(str(getattr(outcome.error, "orig", None) or outcome.error)).splitlines()[0]
        return ("cancelled", f"{title} cancelled") if outcome.cancelled else ("failed", f"{title} failed: {text}")
    result = outcome.result
    message = getattr(result, "message", None) or ""
    if outcome.name == "backup":
        message = f"written to {result}"
    elif outcome.name == "repair" and getattr(result, "action", "") != "accept-history":
        message = f"{result.migration_id}: {result.before} → {result.after}"
    first = message.splitlines()[0] if message else ""
    if outcome.cancelled:
        return "cancelled", f"{title} cancelled{seconds}: {first}".rstrip(": ")
    if not getattr(result, "ok", True):
        return "failed", f"{title} failed{seconds}: {first}".rstrip(": ")
    return "ok", f"{title} finished{seconds}" + (f": {first}" if first else "")


class CompletionNotice(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("completion_notice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 6, 4)
        self.label = QLabel()
        self.label.setObjectName("completion_text")
        self.label.setWordWrap(True)
        row.addWidget(self.label, 1)
        self.history_button = QPushButton("Show in history")
        self.history_button.setObjectName("completion_history")
        self.close_button = QPushButton("Dismiss")
        self.close_button.setObjectName("completion_dismiss")
        self.close_button.clicked.connect(self.hide)
        row.addWidget(self.history_button)
        row.addWidget(self.close_button)
        self.setVisible(False)

    def show_outcome(self, title: str, outcome: JobOutcome) -> None:
        status, text = outcome_summary(title, outcome)
        colour = {"ok": STATUS_COLOURS["applied"], "cancelled": STATUS_COLOURS["pending"]}.get(
            status, STATUS_COLOURS["failed"])
        glyph = {"ok": "✓", "cancelled": "■"}.get(status, "✕")
        self.status = status
        self.label.setText(f"<b style='color:{colour}'>{glyph}</b> {_escape(text)}")
        self.setStyleSheet(f"QFrame#completion_notice {{ border-left: 4px solid {colour}; }}")
        self.setVisible(True)


def _escape(text: str) -> str:
    import html

    return html.escape(text)
