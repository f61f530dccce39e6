"""Painting the timeline, one helper per layer of the picture, in drawing order: lane stripes,
grid, deployment bands and bars, their labels, marks per lane, the Shift-drag range, the axis
with its context row, the gutter with lane labels. :meth:`TimelineView.paintEvent` calls
:func:`paint_timeline`. The painter's state (pen, brush, font) flows from one helper to the
next exactly as in one long function, so the picture is the same."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen

from ..palette import ACTION_COLOURS, ACTION_LABELS, RESULT_COLOURS, is_dark, marker_path, text_on
from .data import _context_label, _Lane, _local, _tick_label, _ticks, day_starts, month_starts

if TYPE_CHECKING:
    from .view import TimelineView

BADGE = 8.0  # radius of a mark that shows a count


def colours(palette: QPalette) -> dict[str, QColor]:
    """The timeline's colours, mixed from the palette's base and text."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    dark = is_dark(palette)

    def mix(t: float) -> QColor:
        return QColor.fromRgbF(base.redF() * (1 - t) + text.redF() * t,
                               base.greenF() * (1 - t) + text.greenF() * t,
                               base.blueF() * (1 - t) + text.blueF() * t)

    return {"base": base, "text": text, "muted": mix(0.55), "grid": mix(0.10),
            "lane": mix(0.035 if not dark else 0.06), "axis": mix(0.35),
            "gutter": palette.color(QPalette.ColorRole.Window),
            "selection": palette.color(QPalette.ColorRole.Highlight)}


@dataclass
class _Frame:
    """What every painting helper needs for one frame."""

    v: TimelineView
    p: QPainter
    c: dict[str, QColor]
    plot: QRectF
    lh: float
    axis_y: float
    fm: QFontMetrics
    unit: str = ""
    ticks: list[float] | None = None
    t_lo: float = 0.0
    t_hi: float = 0.0
    small: QFont | None = None
    sfm: QFontMetrics | None = None


def paint_timeline(v: TimelineView, p: QPainter) -> None:
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    c = v._colours()
    p.fillRect(v.rect(), c["base"])
    plot = v._plot_rect()
    lh = v._lane_height()
    axis_y = v._lane_top(len(v.lanes)) if v.lanes else v.TOP + v.DEPLOY_LANE + lh
    f = _Frame(v, p, c, plot, lh, axis_y, QFontMetrics(v.font()))
    p.setClipRect(QRectF(plot.left(), 0, plot.width(), v.height()))
    _paint_stripes(f)
    _paint_grid(f)
    t_pad = (v.RADIUS + 2) * (v.t1 - v.t0) / plot.width()
    f.t_lo, f.t_hi = v.t0 - t_pad, v.t1 + t_pad
    _paint_deployments(f)
    _paint_marks(f)
    _paint_range_drag(f)
    p.setClipping(False)
    _paint_axis(f)
    _paint_context_row(f)
    _paint_gutter(f)
    _paint_notes(f)


def _paint_stripes(f: _Frame) -> None:
    v, p, plot = f.v, f.p, f.plot
    for li in range(len(v.lanes)):
        if li % 2 == 0:
            p.fillRect(QRect(round(plot.left()), round(v._lane_top(li)), round(plot.width()),
                             round(v._lane_top(li + 1)) - round(v._lane_top(li))), f.c["lane"])
    p.setPen(QPen(f.c["grid"], 1))
    p.drawLine(QPointF(plot.left(), v.TOP + v.DEPLOY_LANE - 0.5),
               QPointF(plot.right(), v.TOP + v.DEPLOY_LANE - 0.5))


def _paint_grid(f: _Frame) -> None:
    """Tick times for this zoom, and a vertical grid line at each."""
    v, p = f.v, f.p
    f.unit, f.ticks = _ticks(v.t0, v.t1, f.plot.width() / (v.t1 - v.t0),
                             f.fm.horizontalAdvance("00:00:00") + 28, v._tz)
    p.setPen(QPen(f.c["grid"], 1))
    for t in f.ticks:
        x = round(v.x_of(t)) + 0.5
        p.drawLine(QPointF(x, v.TOP), QPointF(x, f.axis_y))


def _selected_deployment(v: TimelineView) -> int | None:
    if v.selected_seq is None:
        return None
    k_sel = v._dep_of_seq.get(v.selected_seq)
    if k_sel is not None and (v._row_lane[v._pos_of_seq[v.selected_seq]] < 0
                              or v.deployments[k_sel].seq == v.selected_seq):
        return k_sel
    return None


def _paint_deployments(f: _Frame) -> None:
    """A band behind every lane and a bar in the top lane per (merged) deployment."""
    v, p = f.v, f.p
    bar_font = QFont(v.font())
    bar_font.setPointSizeF(max(bar_font.pointSizeF() - 1, 7.0))
    p.setFont(bar_font)
    visible_deps = list(v._visible_deployments(f.t_lo, f.t_hi))
    selected_dep = _selected_deployment(v)
    for x0, x1, k, count in visible_deps:
        d = v.deployments[k]
        failed = d.status == "failed" or (count > 1 and any(
            v.deployments[m].status == "failed" for m in range(k, min(k + count, k + 200))))
        colour = QColor(RESULT_COLOURS["failed"] if failed else ACTION_COLOURS["deploy_start"])
        band = QColor(colour)
        band.setAlphaF(0.10 if not failed else 0.09)
        w = max(x1 - x0, 3.0)
        # whole pixels: the fast, non-antialiased fill path (hundreds of bands when zoomed out)
        p.fillRect(QRect(round(x0), v.TOP + v.DEPLOY_LANE, max(round(w), 1),
                         round(f.axis_y) - v.TOP - v.DEPLOY_LANE), band)
        bar = QRectF(x0, v.TOP + 6, w, v.DEPLOY_LANE - 12)
        fill = QColor(colour)
        fill.setAlphaF(0.85)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawRoundedRect(bar, 4, 4)
        if count == 1 and k == selected_dep:
            p.setPen(QPen(f.c["selection"], 2.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(bar.adjusted(-2.5, -2.5, 2.5, 2.5), 5, 5)
    _paint_deployment_labels(f, visible_deps, QFontMetrics(bar_font))


def _paint_deployment_labels(f: _Frame, visible_deps: list[tuple[float, float, int, int]],
                             bfm: QFontMetrics) -> None:
    """Inside the bar when it fits, else just after it if there is room."""
    v, p, plot = f.v, f.p, f.plot
    for n, (x0, x1, k, count) in enumerate(visible_deps):
        d = v.deployments[k]
        text = d.label if count == 1 else f"{count} operations"
        if count == 1 and d.operator:
            text += f" · {d.operator}"
        if count == 1 and d.status in ("failed", "cancelled", "running"):
            text += f" · {d.status}"
        tw = bfm.horizontalAdvance(text)
        left = max(x0, plot.left())
        right = min(max(x1, x0 + 3), plot.right())
        top = v.TOP + 6
        height = v.DEPLOY_LANE - 12
        if right - left >= tw + 12:
            p.setPen(QColor("#ffffff"))
            p.drawText(QRectF(left + 6, top, right - left - 8, height),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
            continue
        limit = visible_deps[n + 1][0] - 8 if n + 1 < len(visible_deps) else plot.right()
        room = limit - (right + 5)
        if room >= min(tw, 70):
            p.setPen(f.c["text"])
            p.drawText(QRectF(right + 5, top, room, height),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       bfm.elidedText(text, Qt.TextElideMode.ElideRight, int(room)))


@dataclass
class _LaneStyle:
    """Pens and colours for one lane's marks."""

    colour: QColor
    ring: QPen
    badge_font: QFont
    badge_text: QColor
    cancelled_pen: QPen
    bucket_w: float
    scale: float
    cy: float


def _paint_marks(f: _Frame) -> None:
    """Each lane's events: single marks, count badges, dense bars; failures as crosses; the
    selected event ringed."""
    v = f.v
    badge_font = QFont(v.font())
    badge_font.setPixelSize(10)
    badge_font.setBold(True)
    selected_pos = v._pos_of_seq.get(v.selected_seq) if v.selected_seq is not None else None
    scale = f.plot.width() / (v.t1 - v.t0)
    for li, lane in enumerate(v.lanes):
        colour = QColor(ACTION_COLOURS.get(lane.action, "#8a8f98"))
        style = _LaneStyle(colour, QPen(colour.darker(135), 1.0), badge_font, text_on(colour),
                           QPen(QColor(RESULT_COLOURS["cancelled"]), 2.0),
                           max(v.BUCKET_PX - 1.5, 3.0), scale, v._lane_centre(li))
        crosses = _paint_lane(f, lane, style)
        _paint_crosses(f, crosses, style.cy)
        if selected_pos is not None and v._row_lane[selected_pos] == li:
            _paint_selected_mark(f, v.x_of(v.times[selected_pos]), style.cy)
    _paint_tampered(f)


TAMPERED = "#d64545"


def _paint_tampered(f: _Frame) -> None:
    """Rows that break the hash chain: a red square around their mark."""
    v, p = f.v, f.p
    p.setPen(QPen(QColor(TAMPERED), 2.0))
    p.setBrush(Qt.BrushStyle.NoBrush)
    for seq in v.broken_seqs:
        i = v._pos_of_seq.get(seq)
        if i is None or v._row_lane[i] < 0 or not f.t_lo <= v.times[i] <= f.t_hi:
            continue
        p.drawPath(marker_path("square", QPointF(v.x_of(v.times[i]), v._lane_centre(v._row_lane[i])), v.RADIUS + 3))


def _paint_lane(f: _Frame, lane: _Lane, s: _LaneStyle) -> list[tuple[float, ...]]:
    """One lane's buckets; returns the failure crosses to draw on top."""
    v, p, cy = f.v, f.p, s.cy
    crosses: list[tuple[float, ...]] = []
    buckets = list(v._buckets(lane, f.t_lo, f.t_hi))
    for b, (x, i, j) in enumerate(buckets):
        n = j - i
        nf = lane.failed_prefix[j] - lane.failed_prefix[i]
        if n == 1:
            if nf:
                crosses.append((x, v.RADIUS + 1.5))
            else:
                _paint_single(f, v.rows[lane.index[i]], x, s)
            continue
        room = min(x - buckets[b - 1][0] if b else 1e9,
                   buckets[b + 1][0] - x if b + 1 < len(buckets) else 1e9)
        if room >= 2 * BADGE + 2:
            # a few events in one spot, with space around: a badge with the count
            p.setPen(s.ring)
            p.setBrush(s.colour)
            p.drawEllipse(QPointF(x, cy), BADGE, BADGE)
            p.setFont(s.badge_font)
            p.setPen(s.badge_text)
            p.drawText(QRectF(x - BADGE, cy - BADGE, 2 * BADGE, 2 * BADGE),
                       Qt.AlignmentFlag.AlignCenter, str(n) if n < 100 else "99+")
            if nf:
                crosses.append((x + BADGE * 0.8, 4.0, cy - BADGE * 0.8))
            continue
        # dense: a small bar, taller the more events it stands for
        h = min(f.lh - 8, 8 + 3.0 * math.log2(n))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(s.colour)
        p.drawRoundedRect(QRectF(x - s.bucket_w / 2, cy - h / 2, s.bucket_w, h), 1.5, 1.5)
        if nf:
            crosses.append((x, 4.0))
    return crosses


def _paint_single(f: _Frame, row, x: float, s: _LaneStyle) -> None:  # noqa: ANN001
    """One event that did not fail: a disc (a ring if cancelled), with its duration as a bar
    behind it when that is longer than the mark."""
    v, p, cy = f.v, f.p, s.cy
    if row.duration_ms and row.duration_ms / 1000 * s.scale > 2 * v.RADIUS:
        bar = QColor(s.colour)
        bar.setAlphaF(0.35)
        p.fillRect(QRectF(x, cy - 2.5, row.duration_ms / 1000 * s.scale, 5), bar)
    if row.status == "cancelled":
        p.setPen(s.cancelled_pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(x, cy), v.RADIUS - 1, v.RADIUS - 1)
        return
    p.setPen(s.ring)
    p.setBrush(s.colour)
    p.drawEllipse(QPointF(x, cy), v.RADIUS, v.RADIUS)


def _paint_crosses(f: _Frame, crosses: list[tuple[float, ...]], cy: float) -> None:
    if not crosses:
        return
    failed_colour = QColor(RESULT_COLOURS["failed"])
    f.p.setPen(QPen(failed_colour.darker(140), 0.8))
    f.p.setBrush(failed_colour)
    for cross in crosses:
        f.p.drawPath(marker_path("cross", QPointF(cross[0], cross[2] if len(cross) > 2 else cy), cross[1]))


def _paint_selected_mark(f: _Frame, x: float, cy: float) -> None:
    v, p = f.v, f.p
    p.setPen(QPen(f.c["selection"], 2.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(QPointF(x, cy), v.RADIUS + 4.5, v.RADIUS + 4.5)
    dashed = QPen(f.c["selection"], 1, Qt.PenStyle.DashLine)
    p.setPen(dashed)
    p.drawLine(QPointF(x, v.TOP + v.DEPLOY_LANE), QPointF(x, cy - v.RADIUS - 5))
    p.drawLine(QPointF(x, cy + v.RADIUS + 5), QPointF(x, f.axis_y))


def _paint_range_drag(f: _Frame) -> None:
    """The range being dragged out with Shift."""
    v = f.v
    if v._range_drag is None:
        return
    a, b = sorted(v._range_drag)
    sel = QColor(f.c["selection"])
    sel.setAlphaF(0.18)
    f.p.fillRect(QRectF(v.x_of(a), v.TOP, v.x_of(b) - v.x_of(a), f.axis_y - v.TOP), sel)


def _paint_axis(f: _Frame) -> None:
    """The axis line, tick marks and tick labels (skipping labels that would overlap)."""
    v, p, plot, fm, axis_y = f.v, f.p, f.plot, f.fm, f.axis_y
    p.setPen(QPen(f.c["axis"], 1))
    p.drawLine(QPointF(plot.left(), axis_y + 0.5), QPointF(plot.right(), axis_y + 0.5))
    p.setFont(v.font())
    label_y = axis_y + 4
    last_right = -1e9
    for t in f.ticks or ():
        x = v.x_of(t)
        p.setPen(QPen(f.c["axis"], 1))
        p.drawLine(QPointF(round(x) + 0.5, axis_y), QPointF(round(x) + 0.5, axis_y + 4))
        label = _tick_label(t, f.unit, v._tz)
        w = fm.horizontalAdvance(label)
        lx = min(max(x - w / 2, plot.left()), plot.right() - w)
        if lx > last_right + 6:
            p.setPen(f.c["text"])
            p.drawText(QRectF(lx, label_y, w + 2, fm.height()), Qt.AlignmentFlag.AlignLeft, label)
            last_right = lx + w


def _paint_context_row(f: _Frame) -> None:
    """The date (or month) at the left edge and at each boundary in view."""
    v, p, plot, unit = f.v, f.p, f.plot, f.unit
    ctx_y = f.axis_y + 4 + f.fm.height() + 1
    small = f.small = QFont(v.font())
    small.setPointSizeF(max(small.pointSizeF() - 1, 7.0))
    sfm = f.sfm = QFontMetrics(small)
    p.setFont(small)
    p.setPen(f.c["muted"])
    ctx_unit = {"seconds": "days", "minutes": "days", "hours": "days", "days": "months"}.get(unit)
    if not (ctx_unit and ctx_y + sfm.height() <= v.height()):
        return
    bounds = (day_starts if ctx_unit == "days" else month_starts)(v.t0, v.t1, v._tz)
    placed = [(plot.left(), _context_label(v.t0, unit, v._tz))]
    placed += [(v.x_of(t), _context_label(t, unit, v._tz)) for t in bounds]
    right_edge = -1e9
    for i, (x, text) in enumerate(placed):
        w = sfm.horizontalAdvance(text)
        nxt = placed[i + 1][0] if i + 1 < len(placed) else plot.right() + w
        if x < right_edge + 10 or (i == 0 and nxt - x < w + 10):
            continue
        p.drawText(QRectF(x + (2 if i else 0), ctx_y, w + 2, sfm.height()), Qt.AlignmentFlag.AlignLeft, text)
        right_edge = x + w


def _paint_gutter(f: _Frame) -> None:
    """Lane labels over the window colour, and the time zone under them."""
    v, p, lh = f.v, f.p, f.lh
    p.fillRect(QRectF(0, 0, v.GUTTER - 4, v.height()), f.c["gutter"])
    p.setPen(QPen(f.c["grid"], 1))
    p.drawLine(QPointF(v.GUTTER - 4.5, 0), QPointF(v.GUTTER - 4.5, v.height()))
    p.setFont(v.font())
    p.setPen(f.c["text"])
    p.drawText(QRectF(10, v.TOP, v.GUTTER - 18, v.DEPLOY_LANE),
               Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "Deploys")
    for li, lane in enumerate(v.lanes):
        cy = v._lane_centre(li)
        colour = QColor(ACTION_COLOURS.get(lane.action, "#8a8f98"))
        p.setPen(QPen(colour.darker(135), 1))
        p.setBrush(colour)
        p.drawEllipse(QPointF(16, cy), 4.5, 4.5)
        p.setPen(f.c["text"])
        label = ACTION_LABELS.get(lane.action, lane.action.replace("_", " ").title())
        p.drawText(QRectF(27, cy - lh / 2, v.GUTTER - 35, lh),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   f.fm.elidedText(label, Qt.TextElideMode.ElideRight, v.GUTTER - 35))
    if f.small is None or f.sfm is None:  # set by _paint_context_row, which paints before
        return
    p.setFont(f.small)
    p.setPen(f.c["muted"])
    tz = _local(v.t0, v._tz).strftime("%Z") or "local"
    p.drawText(QRectF(10, f.axis_y + 4, v.GUTTER - 18, f.sfm.height()), Qt.AlignmentFlag.AlignLeft,
               f"time: {tz}")


def _paint_notes(f: _Frame) -> None:
    """The "No history yet" note when empty; a focus frame."""
    v, p, plot = f.v, f.p, f.plot
    if not v.times:
        p.setFont(v.font())
        p.setPen(f.c["muted"])
        p.drawText(QRectF(plot.left(), v.TOP, plot.width(), f.axis_y - v.TOP),
                   Qt.AlignmentFlag.AlignCenter, "No history yet")
    if v.hasFocus():
        p.setPen(QPen(f.c["selection"], 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(QRectF(v.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
