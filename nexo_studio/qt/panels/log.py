"""The log pane: entries from the engine's events, filtered by level."""

from __future__ import annotations


from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..models import LogEntry, LogFilterProxy, LogModel
from ..theme import icon
from .common import _table


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
        # room for five lines by default: the dock never shrinks the log to a couple of rows
        self.view.setMinimumHeight(hh.sizeHint().height() + 5 * self.view.verticalHeader().defaultSectionSize()
                                   + 2 * self.view.frameWidth() + 2)
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
