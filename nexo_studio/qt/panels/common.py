"""What the panes share: the look of their tables."""

from __future__ import annotations


from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QProxyStyle, QStyle, QStyleOptionHeader, QTableView

ROW_HEIGHT = 24


class SortArrowStyle(QProxyStyle):
    """The application's style, with header sort arrows that point the way the rows go: ▲ for
    ascending, ▼ for descending (Fusion draws them the other way round)."""

    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: ANN001
        if element == QStyle.PrimitiveElement.PE_IndicatorHeaderArrow and isinstance(option, QStyleOptionHeader):
            flipped = QStyleOptionHeader(option)
            up, down = QStyleOptionHeader.SortIndicator.SortUp, QStyleOptionHeader.SortIndicator.SortDown
            flipped.sortIndicator = down if option.sortIndicator == up else up if option.sortIndicator == down \
                else option.sortIndicator
            return super().drawPrimitive(element, flipped, painter, widget)
        return super().drawPrimitive(element, option, painter, widget)


_STYLES: list[SortArrowStyle] = []  # kept alive: a widget does not own the style it is given


def header_style() -> SortArrowStyle:
    if not _STYLES:
        _STYLES.append(SortArrowStyle("Fusion"))
    return _STYLES[0]


def _table(view: QTableView, row_height: int = ROW_HEIGHT) -> QTableView:
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    vh = view.verticalHeader()
    vh.setVisible(False)
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vh.setDefaultSectionSize(row_height)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setStyle(header_style())
    return view
