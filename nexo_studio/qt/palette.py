"""Colours that mean the same thing in every view: migration statuses and history actions.

One place for them so the graph, the state table and the timeline never disagree. The hex values
are mid-tone (neither very light nor very dark) so they read on light and dark window palettes;
text drawn *on* a status fill should use :func:`text_on` (white or near-black by luminance).

Icons are painted with QPainter (a coloured disc with a glyph), so no image files are needed.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QIcon,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)

from .labels import ACTION_LABELS  # noqa: F401  (re-exported: the views import it from here)

#: migration status -> fill colour (SPEC §3 statuses)
STATUS_COLOURS: dict[str, str] = {
    "applied": "#2e9d57",   # green
    "pending": "#d49a1a",   # amber
    "failed": "#d64545",    # red
    "dirty": "#c2410c",     # red-orange: interrupted / running left behind
    "drifted": "#8b5cf6",   # purple: applied but the file changed
    "missing": "#7c6fa6",   # greyed purple: applied but the file is gone
}
#: colour for anything unknown
UNKNOWN_COLOUR = "#8a8f98"

#: one-character glyph drawn inside the status icon
STATUS_GLYPHS: dict[str, str] = {
    "applied": "✓",
    "pending": "•",
    "failed": "✕",
    "dirty": "!",
    "drifted": "~",
    "missing": "?",
}

#: short human labels (legend, tooltips)
STATUS_LABELS: dict[str, str] = {
    "applied": "Applied",
    "pending": "Pending",
    "failed": "Failed",
    "dirty": "Dirty",
    "drifted": "Drifted",
    "missing": "Missing file",
    "unknown": "Unknown",  # the database could not be read
}

#: history action (``__MigrationHistory.action``) -> colour
ACTION_COLOURS: dict[str, str] = {
    "apply": "#2e9d57",          # green, like "applied"
    "rollback": "#d49a1a",       # amber, like "pending" (it makes a migration pending again)
    "verify": "#0e9fb0",         # teal
    "backup": "#3b82f6",         # blue
    "restore": "#6366f1",        # indigo
    "deploy_start": "#64748b",   # slate
    "deploy_end": "#64748b",
    "repair": "#8b5cf6",         # purple, like "drifted" (repair accepts drift)
    "baseline": "#14b8a6",       # green-teal
    "fleet_start": "#64748b",    # slate, like the deployment it wraps
    "fleet_end": "#64748b",
}

#: history status -> colour (failed wins over the action colour wherever both could apply)
RESULT_COLOURS: dict[str, str] = {
    "ok": "#2e9d57",
    "failed": "#d64545",
    "cancelled": "#8a8f98",
}



def status_colour(status: str) -> QColor:
    return QColor(STATUS_COLOURS.get(status, UNKNOWN_COLOUR))


def action_colour(action: str, status: str = "ok") -> QColor:
    """Colour of a history event: red when it failed, grey when cancelled, else by action."""
    if status in ("failed", "cancelled"):
        return QColor(RESULT_COLOURS[status])
    return QColor(ACTION_COLOURS.get(action, UNKNOWN_COLOUR))


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the window background is dark (text lighter than the background)."""
    if palette is None:
        from PySide6.QtGui import QGuiApplication

        palette = QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return window.lightnessF() < text.lightnessF()


def luminance(colour: QColor) -> float:
    """Relative luminance (WCAG) in 0..1."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF()))


def text_on(fill: QColor) -> QColor:
    """White or near-black, whichever contrasts better with ``fill``."""
    lum = luminance(fill)
    # contrast with white: 1.05 / (lum + .05); with #1a1a1a (~0.010): (lum + .05) / 0.06
    return QColor("#ffffff") if 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.06 else QColor("#1a1a1a")


def _paint_disc(painter: QPainter, rect: QRectF, fill: QColor, glyph: str) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(fill.darker(130), max(1.0, rect.width() / 16)))
    painter.setBrush(QBrush(fill))
    painter.drawEllipse(rect.adjusted(0.5, 0.5, -0.5, -0.5))
    if not glyph:
        return
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, int(rect.height() * 0.66)))
    painter.setFont(font)
    painter.setPen(text_on(fill))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, glyph)


@lru_cache(maxsize=None)
def _status_pixmap(status: str, size: int, ratio: float) -> QPixmap:
    pix = QPixmap(int(size * ratio), int(size * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    _paint_disc(painter, QRectF(1, 1, size - 2, size - 2), status_colour(status),
                STATUS_GLYPHS.get(status, "?"))
    painter.end()
    return pix


def status_icon(status: str) -> QIcon:
    """A coloured disc with the status glyph, at 16, 24 and 32 px (and 2x)."""
    icon = QIcon()
    for size in (16, 24, 32):
        for ratio in (1.0, 2.0):
            icon.addPixmap(_status_pixmap(status, size, ratio))
    return icon


def paint_status_disc(painter: QPainter, centre: QPointF, radius: float, status: str) -> None:
    """Draw the same disc as :func:`status_icon` directly (for custom-painted views)."""
    painter.save()
    rect = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
    _paint_disc(painter, rect, status_colour(status), STATUS_GLYPHS.get(status, "?"))
    painter.restore()


def marker_path(shape: str, centre: QPointF, r: float) -> QPainterPath:
    """Filled marker shapes shared by the timeline and legends: circle, diamond, triangle,
    triangle_down, square, cross (used for failures)."""
    x, y = centre.x(), centre.y()
    path = QPainterPath()
    if shape == "diamond":
        path.moveTo(x, y - r)
        path.lineTo(x + r, y)
        path.lineTo(x, y + r)
        path.lineTo(x - r, y)
        path.closeSubpath()
    elif shape == "triangle":
        path.moveTo(x, y - r)
        path.lineTo(x + r, y + r * 0.8)
        path.lineTo(x - r, y + r * 0.8)
        path.closeSubpath()
    elif shape == "triangle_down":
        path.moveTo(x, y + r)
        path.lineTo(x + r, y - r * 0.8)
        path.lineTo(x - r, y - r * 0.8)
        path.closeSubpath()
    elif shape == "square":
        path.addRect(QRectF(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7))
    elif shape == "cross":
        # a filled X: a 12-point polygon, arm half-width w
        w = r * 0.34
        d = w * 0.7071
        pts = [(0, -2 * d), (r - d, -r - d), (r + d, -r + d), (2 * d, 0), (r + d, r - d),
               (r - d, r + d), (0, 2 * d), (-r + d, r + d), (-r - d, r - d), (-2 * d, 0),
               (-r - d, -r + d), (-r + d, -r - d)]
        path.moveTo(x + pts[0][0], y + pts[0][1])
        for px, py in pts[1:]:
            path.lineTo(x + px, y + py)
        path.closeSubpath()
    else:
        path.addEllipse(centre, r, r)
    return path
