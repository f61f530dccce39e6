"""Looks: Fusion style, a light or dark palette following the system, icons from resources/.

Action icons are stroke SVGs drawn with ``currentColor``; :func:`icon` paints them in the
palette's text colour (or an accent that means the same as in the views: deploy green like
"applied", roll back amber like "pending", cancel red like "failed").
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from .palette import STATUS_COLOURS, is_dark
from .resources import icon_path

#: icons drawn in a status colour, so an action looks like the state it produces
ACCENTS = {
    "deploy": STATUS_COLOURS["applied"],
    "rollback": STATUS_COLOURS["pending"],
    "rollback-dependents": STATUS_COLOURS["pending"],
    "cancel": STATUS_COLOURS["failed"],
    "error": STATUS_COLOURS["failed"],
    "warning": STATUS_COLOURS["pending"],
}


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    return is_dark(QGuiApplication.palette())


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1e2126"), QColor("#2a2e35"), QColor("#e6e8eb")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor("#252930"),
        QPalette.ColorRole.ToolTipBase: QColor("#31363e"),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor("#8a9099"),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#343941"),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b6b"),
        QPalette.ColorRole.Link: QColor("#6ea8fe"),
        QPalette.ColorRole.Highlight: QColor("#2f6fdf"),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Light: QColor("#3d434c"),
        QPalette.ColorRole.Midlight: QColor("#353a42"),
        QPalette.ColorRole.Mid: QColor("#23272d"),
        QPalette.ColorRole.Dark: QColor("#16181c"),
        QPalette.ColorRole.Shadow: QColor("#0b0c0e"),
    }
    for role, colour in roles.items():
        p.setColor(role, colour)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6c727b"))
    return p


def light_palette() -> QPalette:
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2f6fdf"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f4f6f8"))
    p.setColor(QPalette.ColorRole.Link, QColor("#1f5fc9"))
    return p


def apply_theme(app: QApplication, mode: str = "auto") -> bool:
    """Fusion + a palette: ``auto`` follows the system, or ``light``/``dark``. Returns dark?"""
    app.setStyle("Fusion")
    dark = system_prefers_dark() if mode == "auto" else mode == "dark"
    palette = dark_palette() if dark else light_palette()
    app.setPalette(palette)
    # Fusion outlines a check box with the Window colour darkened, which in the dark palette is
    # the Base colour it is filled with: unticked boxes were invisible. Widgets that show check
    # boxes (and the frames of line edits and spin boxes, outlined the same way) get a lighter
    # Window (they do not fill their background with it).
    boxes = QPalette(palette)
    if dark:
        boxes.setColor(QPalette.ColorRole.Window, QColor("#b4bac4"))
    for cls in CHECK_BOX_CLASSES:
        app.setPalette(boxes, cls)  # type: ignore[arg-type]  # the stub says bytes; only str works
    icon.cache_clear()
    return dark


#: widgets that draw check-box indicators or a Fusion frame outline (see apply_theme)
CHECK_BOX_CLASSES = ("QCheckBox", "QListWidget", "QTreeWidget", "QLineEdit", "QAbstractSpinBox")


def _svg_pixmap(data: bytes, size: int, ratio: float) -> QPixmap:
    pix = QPixmap(int(size * ratio), int(size * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(data))
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pix


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """An action icon from ``resources/icons``, painted for the current palette."""
    path = icon_path(name)
    if path is None:
        return QIcon()
    text = path.read_text(encoding="utf-8")
    palette = QGuiApplication.palette()
    colour = ACCENTS.get(name) or palette.color(QPalette.ColorRole.WindowText).name()
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
    out = QIcon()
    for size in (16, 20, 24, 32):
        for ratio in (1.0, 2.0):
            out.addPixmap(_svg_pixmap(text.replace("currentColor", colour).encode(), size, ratio))
            out.addPixmap(_svg_pixmap(text.replace("currentColor", disabled).encode(), size, ratio),
                          QIcon.Mode.Disabled)
    return out


def app_icon() -> QIcon:
    path = icon_path("nexo-studio")
    if path is None:
        return QIcon()
    data = path.read_bytes()
    out = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        out.addPixmap(_svg_pixmap(data, size, 1.0))
    return out


def monospace_font():
    from PySide6.QtGui import QFontDatabase

    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    return font
