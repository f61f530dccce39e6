"""The Drift view: the live schema against the last snapshot (``nexo drift``'s verdict, read on
the worker with every refresh). A tree of the changes grouped added / removed / changed, and for
the selected one the object before (snapshot) and after (live) side by side as DDL-like text, the
lines that differ highlighted. "No snapshot yet", "no drift" and "cannot compare" say so plainly."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..sql_view import CodeView
from ..theme import icon
from .summary import GROUPS, describe, headline

#: row tag -> highlight colour (translucent: reads on light and dark palettes)
TAG_COLOURS = {"removed": "#d64545", "added": "#2e9d57", "changed": "#d49a1a"}
CHANGE_ROLE = Qt.ItemDataRole.UserRole + 1


class SideBySide(QWidget):
    """Two read-only code panes, scrolled together; :meth:`show_rows` takes aligned rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.before, self.after = CodeView(), CodeView()
        self.before.setObjectName("drift_before")
        self.after.setObjectName("drift_after")
        for title, view in (("Last snapshot (before)", self.before), ("Live schema (after)", self.after)):
            box = QVBoxLayout()
            caption = QLabel(f"<b>{title}</b>")
            box.addWidget(caption)
            box.addWidget(view, 1)
            layout.addLayout(box, 1)
        for a, b in ((self.before, self.after), (self.after, self.before)):
            a.verticalScrollBar().valueChanged.connect(b.verticalScrollBar().setValue)
            a.horizontalScrollBar().valueChanged.connect(b.horizontalScrollBar().setValue)
        self.tags: list[str] = []
        self.first = 0

    def show_rows(self, rows) -> None:
        self.tags = [r.tag for r in rows]
        for view, side in ((self.before, "before"), (self.after, "after")):
            texts = [getattr(r, side) for r in rows]
            view.set_source("\n".join(t if t is not None else "" for t in texts))
            view.setExtraSelections(self._marks(view, rows, side))
        self.first = next((i for i, t in enumerate(self.tags) if t != "equal"), 0)
        self.centre()

    def centre(self) -> None:
        """The first highlighted line in the middle of both panes."""
        for view in (self.before, self.after):
            view.setTextCursor(QTextCursor(view.document().findBlockByNumber(self.first)))
            view.centerCursor()

    def showEvent(self, event) -> None:  # noqa: ANN001 -- centring needs the panes' real size
        super().showEvent(event)
        self.centre()

    def _marks(self, view: CodeView, rows, side: str) -> list[QTextEdit.ExtraSelection]:
        out = []
        blank = QColor(view.palette().color(view.palette().ColorRole.WindowText))
        blank.setAlpha(22)
        for i, r in enumerate(rows):
            if r.tag == "equal":
                continue
            colour = QColor(TAG_COLOURS[r.tag]) if getattr(r, side) is not None else blank
            if getattr(r, side) is not None:
                colour.setAlpha(70)
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(colour)
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = QTextCursor(view.document().findBlockByNumber(i))
            out.append(sel)
        return out

    def marked_lines(self, side: str) -> list[str]:
        """The text of the highlighted lines of one side (tests; what a reader sees marked)."""
        view = self.before if side == "before" else self.after
        return [s.cursor.block().text() for s in view.extraSelections() if s.cursor.block().text()]


class DriftView(QWidget):
    """The verdict, the change tree and the side-by-side text; it never reads the database."""

    refresh_requested = Signal()
    accept_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drift_view")
        self.verdict: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.status_label = QLabel()
        self.status_label.setObjectName("drift_status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refresh_button = QPushButton(icon("refresh"), "Check again")
        self.refresh_button.setObjectName("drift_refresh")
        self.refresh_button.setToolTip("Reflect the live schema and compare it with the last snapshot (F5)")
        self.accept_button = QPushButton(icon("validate"), "Accept as the new schema…")
        self.accept_button.setObjectName("drift_accept")
        self.accept_button.setToolTip("Record the live schema as the accepted one (like `nexo snapshot`)")
        self.refresh_button.clicked.connect(lambda _c=False: self.refresh_requested.emit())
        self.accept_button.clicked.connect(lambda _c=False: self.accept_requested.emit())
        top.addWidget(self.status_label, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.accept_button)
        layout.addLayout(top)

        self.stack = QStackedWidget()
        self.empty = QLabel()
        self.empty.setObjectName("drift_empty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMargin(24)
        self.stack.addWidget(self.empty)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("drift_splitter")
        self.tree = QTreeWidget()
        self.tree.setObjectName("drift_tree")
        self.tree.setHeaderLabels(["Object", "Type"])
        self.tree.setColumnWidth(0, 200)
        self.tree.currentItemChanged.connect(lambda cur, _prev: self._show(cur))
        split.addWidget(self.tree)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel()
        self.caption.setObjectName("drift_caption")
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rl.addWidget(self.caption)
        self.sides = SideBySide()
        rl.addWidget(self.sides, 1)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 800])
        self.stack.addWidget(split)
        layout.addWidget(self.stack, 1)
        self.set_verdict(None, connected=False)

    # ------------------------------------------------------------------------------------------

    def set_verdict(self, verdict: Any, connected: bool = True) -> None:
        """Show ``verdict`` (a ``DriftVerdict``; None: nothing read yet or no database)."""
        self.verdict = verdict
        status = getattr(verdict, "status", None)
        title, text = headline(verdict, connected)
        self.status_label.setText(f"<b>{title}</b>" + (f" — {text}" if text else ""))
        self.accept_button.setEnabled(connected and status in ("drift", "no_snapshot", "stale"))
        self.refresh_button.setEnabled(connected)
        changes = list(getattr(verdict, "changes", None) or ())
        if not changes:  # the centre says it all; the top line only names the state
            self.status_label.setText(f"<b>{title}</b>")
            self.tree.clear()
            self.empty.setText(f"<h3>{title}</h3><p>{text[:1].upper()}{text[1:]}</p>")
            self.stack.setCurrentIndex(0)
            return
        selected = self._selected_key()
        self.tree.clear()
        first: QTreeWidgetItem | None = None
        chosen: QTreeWidgetItem | None = None
        for kind, label in GROUPS:
            of_kind = [c for c in changes if c.kind == kind]
            if not of_kind:
                continue
            group = QTreeWidgetItem(self.tree, [f"{label} ({len(of_kind)})", ""])
            group.setFirstColumnSpanned(True)
            group.setExpanded(True)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for c in of_kind:
                item = QTreeWidgetItem(group, [c.name, c.object_type])
                item.setData(0, CHANGE_ROLE, c)
                item.setToolTip(0, str(c))
                if c.note:
                    item.setText(0, f"{c.name}  ({c.note})")
                first = first or item
                if (c.kind, c.object_type, c.name) == selected:
                    chosen = item  # a refresh keeps the selection
        self.tree.resizeColumnToContents(0)
        self.stack.setCurrentIndex(1)
        current = chosen or first
        if current is not None:
            self.tree.setCurrentItem(current)

    def _selected_key(self) -> tuple[str, str, str] | None:
        item = self.tree.currentItem()
        c = item.data(0, CHANGE_ROLE) if item is not None else None
        return (c.kind, c.object_type, c.name) if c is not None else None

    def change_items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            if group is not None:
                out += [c for j in range(group.childCount()) if (c := group.child(j)) is not None]
        return out

    def select(self, name: str) -> QTreeWidgetItem | None:
        item = next((it for it in self.change_items() if it.data(0, CHANGE_ROLE).name == name), None)
        if item is not None:
            self.tree.setCurrentItem(item)
        return item

    def _show(self, item: QTreeWidgetItem | None) -> None:
        change = item.data(0, CHANGE_ROLE) if item is not None else None
        if change is None:
            self.caption.setText("Select a change to see the object before and after.")
            self.sides.show_rows([])
            return
        from ...core.schema.ddl import side_by_side

        v = self.verdict
        before = v.snapshot.document if v is not None and v.snapshot is not None else None
        self.caption.setText(describe(change))
        self.sides.show_rows(side_by_side(change, before, getattr(v, "live_document", None)))
