"""Read-only source view with line numbers and Pygments highlighting (SQL and Python).

The text is lexed once with Pygments when it is set (so multi-line strings and comments are
right); ``QSyntaxHighlighter.highlightBlock`` then only applies the precomputed spans of its
line. Section markers (``-- +up`` …) are emphasised so the file's structure stands out.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from .palette import is_dark
from .theme import monospace_font

# token type (Pygments) -> (light colour, dark colour, bold, italic)
_STYLES = {
    "Keyword": ("#0b57d0", "#7cacf8", True, False),
    "Name.Builtin": ("#8a3ffc", "#c6a0ff", False, False),
    "Name.Function": ("#8a3ffc", "#c6a0ff", False, False),
    "Name.Class": ("#8a3ffc", "#c6a0ff", True, False),
    "Name.Decorator": ("#8a3ffc", "#c6a0ff", False, False),
    "Literal.String": ("#1a7f37", "#7ee2a8", False, False),
    "Literal.Number": ("#b35900", "#ffb86b", False, False),
    "Comment": ("#6e7781", "#8b949e", False, True),
    "Operator.Word": ("#0b57d0", "#7cacf8", True, False),
    "Name.Variable": ("#b35900", "#ffb86b", False, False),
}
_MARKER = ("#b4235a", "#ff7aa8")


def _style_for(ttype) -> tuple[str, str, bool, bool] | None:
    while ttype is not None and len(ttype):
        key = ".".join(ttype)
        if key in _STYLES:
            return _STYLES[key]
        ttype = ttype.parent
    return None


class SourceHighlighter(QSyntaxHighlighter):
    def __init__(self, document) -> None:
        super().__init__(document)
        self._spans: list[list[tuple[int, int, QTextCharFormat]]] = []
        self.dark = False

    def set_source(self, text: str, language: str) -> None:
        """Lex ``text`` (``sql`` or ``python``); call before ``setPlainText``."""
        from pygments.lexers import PythonLexer, SqlLexer

        opts = {"stripnl": False, "stripall": False, "ensurenl": False}
        lexer = PythonLexer(**opts) if language == "python" else SqlLexer(**opts)
        lines = text.split("\n")
        spans: list[list[tuple[int, int, QTextCharFormat]]] = [[] for _ in lines]
        formats: dict[tuple, QTextCharFormat] = {}
        line, col = 0, 0
        for ttype, value in lexer.get_tokens(text):
            style = _style_for(ttype)
            parts = value.split("\n")
            for i, part in enumerate(parts):
                if i:
                    line, col = line + 1, 0
                if style and part and line < len(spans):
                    fmt = formats.get(style)
                    if fmt is None:
                        fmt = QTextCharFormat()
                        fmt.setForeground(QColor(style[1] if self.dark else style[0]))
                        if style[2]:
                            fmt.setFontWeight(QFont.Weight.Bold)
                        if style[3]:
                            fmt.setFontItalic(True)
                        formats[style] = fmt
                    spans[line].append((col, len(part), fmt))
                col += len(part)
        marker = QTextCharFormat()
        marker.setForeground(QColor(_MARKER[1] if self.dark else _MARKER[0]))
        marker.setFontWeight(QFont.Weight.Bold)
        for i, text_line in enumerate(lines):
            stripped = text_line.lstrip()
            if stripped.startswith("-- +"):
                spans[i] = [(0, len(text_line), marker)]
        self._spans = spans

    def highlightBlock(self, text: str) -> None:
        n = self.currentBlock().blockNumber()
        if 0 <= n < len(self._spans):
            for start, length, fmt in self._spans[n]:
                self.setFormat(start, length, fmt)


class _LineNumbers(QWidget):
    def __init__(self, editor: "CodeView") -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:  # noqa: ANN001
        self.editor.paint_gutter(event)


class CodeView(QPlainTextEdit):
    """Read-only code with line numbers; line numbers may start at any value (a section of a
    file shows the file's own line numbers)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(monospace_font())
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.first_line = 1
        self._gutter = _LineNumbers(self)
        self.highlighter = SourceHighlighter(self.document())
        self.blockCountChanged.connect(self._update_margins)
        self.updateRequest.connect(self._on_update_request)
        self._update_margins()

    def set_source(self, text: str, language: str = "sql", first_line: int = 1) -> None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.first_line = first_line
        self.highlighter.dark = is_dark(self.palette())
        self.highlighter.set_source(text, language)
        self.setPlainText(text)
        self._update_margins()

    def show_line(self, line: int) -> None:
        """Scroll to a line (numbered like the gutter) and mark it."""
        block = self.document().findBlockByNumber(max(line - self.first_line, 0))
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()
        sel = QTextEdit.ExtraSelection()
        colour = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        colour.setAlpha(60)
        sel.format.setBackground(colour)
        sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        sel.cursor = cursor
        sel.cursor.clearSelection()
        self.setExtraSelections([sel])

    def current_marked_line(self) -> int | None:
        sels = self.extraSelections()
        if not sels:
            return None
        return sels[0].cursor.blockNumber() + self.first_line

    # -- gutter --------------------------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = len(str(max(self.first_line + self.blockCount(), 10)))
        return 14 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_margins(self, *_args) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event) -> None:  # noqa: ANN001
        painter = QPainter(self._gutter)
        pal = self.palette()
        painter.fillRect(event.rect(), pal.color(QPalette.ColorRole.AlternateBase))
        painter.setPen(pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible():
                painter.drawText(0, top, self._gutter.width() - 6, height, Qt.AlignmentFlag.AlignRight,
                                 str(block.blockNumber() + self.first_line))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()
        painter.end()
