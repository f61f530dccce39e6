"""The history timeline widget: ``__MigrationHistory`` events on a horizontal time axis.

One lane per kind of action (apply, rollback, verify, backup, restore, repair, baseline -- only
the kinds present), and a "Deploys" lane on top. Rows that share a ``deployment_id`` form a
deployment: a bar in the top lane plus a translucent band behind every lane, so its steps read as
"inside" it. Marks are coloured by action (the same colours as everywhere, from ``palette``);
failed events are red crosses, cancelled ones grey rings.

Painting is bounded by the widget's width, not by the number of events: events are kept sorted
per lane, the visible range is found by bisection, and marks that would land within a few pixels
of each other are drawn once (bigger, with the count in the tooltip), skipping ahead by bisection
rather than visiting each event. 100,000 events paint in milliseconds.

Times are stored as naive UTC (the history table's convention) and shown in UTC by default, like
the tables; ``set_utc(False)`` shows the machine's local time (the axis says which).
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone, tzinfo
from html import escape

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QWheelEvent
from PySide6.QtWidgets import QToolTip, QWidget

from ...app.types import HistoryRow
from ..palette import ACTION_COLOURS, ACTION_LABELS, RESULT_COLOURS
from .data import DEPLOY_ACTIONS, TimelineData, _Lane, _local, format_duration, to_seconds, to_utc
from .paint import colours, paint_timeline


class TimelineView(QWidget):
    """History events over time. Wheel zooms under the mouse, drag pans, Shift+drag zooms to
    the dragged range, F / Home fits everything, Left/Right step through events. Signals fire
    on user actions only (``select()`` does not emit)."""

    event_selected = Signal(int)
    #: visible range changed (naive UTC datetimes)
    range_changed = Signal(datetime, datetime)

    GUTTER = 104          # lane labels
    RIGHT = 14
    TOP = 6
    DEPLOY_LANE = 30
    AXIS = 42
    MIN_LANE, MAX_LANE = 26, 46
    BUCKET_PX = 6         # marks closer than this are drawn as one
    RADIUS = 5.0
    MIN_SPAN = 0.5        # seconds: deepest zoom

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(320, 160)
        self._adopt(TimelineData())
        self.t0 = 0.0
        self.t1 = 3600.0
        self.selected_seq: int | None = None
        #: history rows that break the hash chain: ringed in red (the snapshot's chain verdict)
        self.broken_seqs: frozenset[int] = frozenset()
        self._drag: tuple[QPoint, float, float] | None = None
        self._dragging = False
        self._range_drag: tuple[float, float] | None = None
        self.last_paint_ms = 0.0
        self._tz: tzinfo | None = timezone.utc

    def set_utc(self, utc: bool) -> None:
        """Show times in UTC (the default, like the history table) or in the local zone."""
        self._tz = timezone.utc if utc else None
        self.update()

    # -- data ----------------------------------------------------------------------------------

    def set_events(self, rows: Sequence[HistoryRow]) -> None:
        """Replace the events and fit them all."""
        self.set_data(TimelineData.from_rows(rows))

    def set_data(self, data: "TimelineData") -> None:
        """Like :meth:`set_events` with the indexing already done (``TimelineData.from_rows``
        is plain Python: run it on a worker for very long histories)."""
        self._adopt(data)
        if self.selected_seq not in self._pos_of_seq:
            self.selected_seq = None
        self.fit_all()

    def _adopt(self, data: "TimelineData") -> None:
        self.data = data
        self.rows = data.rows
        self.times = data.times
        self._order_seq = data.order_seq
        self._pos_of_seq = data.pos_of_seq
        self._row_lane = data.row_lane
        self.lanes = data.lanes
        self.deployments = data.deployments
        self._dep_starts = data.dep_starts
        self._dep_max_end = data.dep_max_end
        self._dep_of_seq = data.dep_of_seq

    # -- range ---------------------------------------------------------------------------------

    def data_range(self) -> tuple[float, float] | None:
        if not self.times:
            return None
        lo = self.times[0]
        hi = max(self.times[-1], self._dep_max_end[-1] if self._dep_max_end else lo)
        return lo, hi

    def fit_all(self) -> None:
        rng = self.data_range()
        if rng is None:
            self._set_range(to_seconds(datetime.now(timezone.utc)) - 1800,
                            to_seconds(datetime.now(timezone.utc)) + 1800)
            return
        lo, hi = rng
        span = hi - lo
        if span < 60:
            mid = (lo + hi) / 2
            lo, hi, span = mid - 30, mid + 30, 60.0
        pad = span * 0.04
        self._set_range(lo - pad, hi + pad)

    def zoom_to_range(self, start: datetime | float, end: datetime | float) -> None:
        """Show ``start``..``end`` (datetimes -- naive means UTC -- or epoch seconds)."""
        a = to_seconds(start) if isinstance(start, datetime) else float(start)
        b = to_seconds(end) if isinstance(end, datetime) else float(end)
        if b < a:
            a, b = b, a
        self._set_range(a, b)

    def visible_range(self) -> tuple[datetime, datetime]:
        """The visible range as naive UTC datetimes."""
        return to_utc(self.t0), to_utc(self.t1)

    def _set_range(self, t0: float, t1: float) -> None:
        if t1 - t0 < self.MIN_SPAN:
            mid = (t0 + t1) / 2
            t0, t1 = mid - self.MIN_SPAN / 2, mid + self.MIN_SPAN / 2
        rng = self.data_range()
        max_span = max(((rng[1] - rng[0]) * 20) if rng else 0, 40 * 86400.0)
        if t1 - t0 > max_span:
            mid = (t0 + t1) / 2
            t0, t1 = mid - max_span / 2, mid + max_span / 2
        if (t0, t1) == (self.t0, self.t1):
            return
        self.t0, self.t1 = t0, t1
        self.update()
        self.range_changed.emit(to_utc(t0), to_utc(t1))

    def zoom_by(self, factor: float, anchor_x: float | None = None) -> None:
        """factor > 1 zooms in; the time under ``anchor_x`` (widget x) stays put."""
        plot = self._plot_rect()
        if anchor_x is None:
            anchor_x = plot.center().x()
        ta = self.time_at(anchor_x)
        span = (self.t1 - self.t0) / factor
        frac = (anchor_x - plot.left()) / max(plot.width(), 1.0)
        self._set_range(ta - frac * span, ta - frac * span + span)

    def pan_by_pixels(self, dx: float) -> None:
        dt = dx * (self.t1 - self.t0) / max(self._plot_rect().width(), 1.0)
        self._set_range(self.t0 - dt, self.t1 - dt)

    # -- geometry ------------------------------------------------------------------------------

    def _plot_rect(self) -> QRectF:
        return QRectF(self.GUTTER, self.TOP, max(self.width() - self.GUTTER - self.RIGHT, 10.0),
                      max(self.height() - self.TOP - self.AXIS, 10.0))

    def _lane_height(self) -> float:
        n = max(len(self.lanes), 1)
        room = self._plot_rect().height() - self.DEPLOY_LANE
        return max(self.MIN_LANE, min(self.MAX_LANE, room / n))

    def _lane_top(self, li: int) -> float:
        return self.TOP + self.DEPLOY_LANE + li * self._lane_height()

    def _lane_centre(self, li: int) -> float:
        return self._lane_top(li) + self._lane_height() / 2

    def x_of(self, t: float) -> float:
        plot = self._plot_rect()
        return plot.left() + (t - self.t0) / (self.t1 - self.t0) * plot.width()

    def time_at(self, x: float) -> float:
        plot = self._plot_rect()
        return self.t0 + (x - plot.left()) / max(plot.width(), 1.0) * (self.t1 - self.t0)

    def event_position(self, seq: int) -> QPoint:
        """Widget position of an event's mark (tests, popups)."""
        i = self._pos_of_seq[seq]
        li = self._row_lane[i]
        if li < 0:
            k = self._dep_of_seq.get(seq)
            x = self.x_of(self.deployments[k].start if k is not None else self.times[i]) + 3
            return QPoint(round(x), round(self.TOP + self.DEPLOY_LANE / 2))
        return QPoint(round(self.x_of(self.times[i])), round(self._lane_centre(li)))

    # -- aggregation ---------------------------------------------------------------------------

    def _buckets(self, lane: _Lane, t_lo: float, t_hi: float) -> Iterator[tuple[float, int, int]]:
        """(x, i, j): lane events i..j-1 drawn as one mark at x. Bisection skips each bucket's
        events, so the cost is per bucket, not per event."""
        times = lane.times
        i = bisect_left(times, t_lo)
        hi = bisect_right(times, t_hi)
        if i >= hi:
            return
        plot = self._plot_rect()
        scale = plot.width() / (self.t1 - self.t0)
        left = plot.left()
        t0 = self.t0
        bucket_t = self.BUCKET_PX / scale
        while i < hi:
            t = times[i]
            j = bisect_left(times, t + bucket_t, i + 1, hi)
            yield left + (t - t0) * scale, i, j
            i = j

    def _visible_deployments(self, t_lo: float, t_hi: float) -> Iterator[tuple[float, float, int, int]]:
        """(x0, x1, k, count): deployments k..k+count-1 merged when they'd overlap on screen."""
        if not self.deployments:
            return
        k = bisect_left(self._dep_max_end, t_lo)
        hi = bisect_right(self._dep_starts, t_hi)
        plot = self._plot_rect()
        scale = plot.width() / (self.t1 - self.t0)
        gap_t = 3 / scale
        while k < hi:
            d = self.deployments[k]
            end = d.end
            j = k + 1
            while j < hi and self._dep_starts[j] <= end + gap_t:
                # merge everything that starts before the merged bar ends (bisect ahead)
                j2 = bisect_right(self._dep_starts, end + gap_t, j, hi)
                end = max(end, self._dep_max_end[j2 - 1])
                j = j2
            x0 = plot.left() + (d.start - self.t0) * scale
            x1 = plot.left() + (end - self.t0) * scale
            yield x0, x1, k, j - k
            k = j

    # -- selection / hit testing ---------------------------------------------------------------

    def select(self, seq: int | None) -> None:
        """Highlight one event (brought into view if outside); does not emit."""
        self.selected_seq = seq if seq in self._pos_of_seq else None
        if self.selected_seq is not None:
            t = self._selected_time()
            if not self.t0 <= t <= self.t1:
                span = self.t1 - self.t0
                self._set_range(t - span / 2, t + span / 2)
        self.update()

    def _selected_time(self) -> float:
        seq = self.selected_seq
        if seq is None:
            raise ValueError("no event is selected")
        k = self._dep_of_seq.get(seq)
        if k is not None and self._row_lane[self._pos_of_seq[seq]] < 0:
            return self.deployments[k].start
        return self.times[self._pos_of_seq[seq]]

    def event_at(self, pos: QPoint | QPointF) -> tuple[int, int, bool] | None:
        """(seq, events in that mark, is a deployment bar) under a widget position, or None."""
        x, y = pos.x(), pos.y()
        plot = self._plot_rect()
        if x < plot.left() - self.RADIUS or x > plot.right() + self.RADIUS:
            return None
        if self.TOP <= y < self.TOP + self.DEPLOY_LANE:
            t = self.time_at(x)
            tol = 4 * (self.t1 - self.t0) / plot.width()
            for x0, x1, k, count in self._visible_deployments(t - tol, t + tol):
                if x0 - 4 <= x <= max(x1, x0 + 6) + 4:
                    return self.deployments[k].seq, count, True
            return None
        lh = self._lane_height()
        li = int((y - self.TOP - self.DEPLOY_LANE) // lh)
        if not 0 <= li < len(self.lanes):
            return None
        if abs(y - self._lane_centre(li)) > max(self.RADIUS + 5, lh / 2 - 2):
            return None
        lane = self.lanes[li]
        tol = (self.RADIUS + 3) * (self.t1 - self.t0) / plot.width()
        t = self.time_at(x)
        best = None
        for bx, i, j in self._buckets(lane, t - tol - self.BUCKET_PX * (self.t1 - self.t0) / plot.width(), t + tol):
            d = abs(bx - x)
            if d <= self.RADIUS + 4 and (best is None or d < best[0]):
                best = (d, i, j)
        if best is None:
            return None
        _, i, j = best
        # within the bucket: a failure first, else the event nearest the cursor
        if lane.failed_prefix[j] - lane.failed_prefix[i]:
            k = next(k for k in range(i, j) if lane.failed_prefix[k + 1] > lane.failed_prefix[k])
        else:
            k = min(max(bisect_left(lane.times, t, i, j), i), j - 1)
        return self._order_seq[lane.index[k]], j - i, False

    def _step(self, direction: int) -> None:
        if not self.times:
            return
        if self.selected_seq is None:
            pos = bisect_left(self.times, self.t0) if direction > 0 else bisect_right(self.times, self.t1) - 1
        else:
            pos = self._pos_of_seq[self.selected_seq] + direction
        pos = min(max(pos, 0), len(self.times) - 1)
        seq = self._order_seq[pos]
        self.select(seq)
        self.event_selected.emit(seq)

    # -- tooltips ------------------------------------------------------------------------------

    def tooltip_for(self, seq: int, count: int = 1, deployment: bool | None = None) -> str:
        """Rich text for an event (or, with ``deployment``, for the deployment it starts)."""
        r = self.rows[self._pos_of_seq[seq]]
        lines = []
        k = self._dep_of_seq.get(seq)
        if deployment is None:
            deployment = r.action in DEPLOY_ACTIONS
        if deployment and k is not None:
            d = self.deployments[k]
            colour = RESULT_COLOURS.get(d.status, ACTION_COLOURS["deploy_start"])
            lines.append(f"<b>{escape(d.label)}</b> &nbsp;<span style='color:{colour}'>{escape(d.status)}</span>")
            lines.append(f"{_local(d.start, self._tz):%Y-%m-%d %H:%M:%S} → {_local(d.end, self._tz):%H:%M:%S}"
                         f" ({format_duration((d.end - d.start) * 1000)})")
            if count > 1:
                lines.append(f"<i>{count} deployments merged at this zoom</i>")
        else:
            status_colour = RESULT_COLOURS.get(r.status, "#888888")
            lines.append(f"<b>{escape(ACTION_LABELS.get(r.action, r.action))}</b> &nbsp;"
                         f"<span style='color:{status_colour}'>{escape(r.status)}</span>")
            if r.migration_id:
                lines.append(escape(r.migration_id))
            lines.append(f"{_local(to_seconds(r.started_at), self._tz):%Y-%m-%d %H:%M:%S %Z}"
                         f" · {format_duration(r.duration_ms)}")
            if count > 1:
                lines.append(f"<i>+{count - 1} more event{'s' if count > 2 else ''} here — zoom in</i>")
        who = " @ ".join(x for x in (r.operator, r.host) if x)
        if who:
            lines.append(f"by {escape(who)}")
        error = r.error
        if deployment and k is not None:
            error = self.deployments[k].error or error
        if error:
            err = error if len(error) < 400 else error[:400] + "…"
            lines.append(f"<span style='color:{RESULT_COLOURS['failed']}'>{escape(err)}</span>")
        lines.append(f"<small>#{r.seq}</small>")
        return "<qt>" + "<br>".join(lines) + "</qt>"

    # -- painting ------------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(900, 280)

    def _colours(self) -> dict[str, QColor]:
        return colours(self.palette())

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        p = QPainter(self)
        paint_timeline(self, p)
        p.end()
        self.last_paint_ms = (time.perf_counter() - started) * 1000

    # -- events --------------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        dy, dx = event.angleDelta().y(), event.angleDelta().x()
        if dy:
            self.zoom_by(1.2 ** (dy / 120), event.position().x())
        elif dx:
            self.pan_by_pixels(dx / 2)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        pos = event.position()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            t = self.time_at(pos.x())
            self._range_drag = (t, t)
        else:
            self._drag = (pos.toPoint(), self.t0, self.t1)
            self._dragging = False
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._range_drag is not None:
            self._range_drag = (self._range_drag[0], self.time_at(pos.x()))
            self.update()
            return
        if self._drag is not None:
            start, t0, t1 = self._drag
            dx = pos.x() - start.x()
            if self._dragging or abs(dx) > 3:
                if not self._dragging:
                    self.setCursor(Qt.CursorShape.ClosedHandCursor)
                self._dragging = True
                dt = dx * (t1 - t0) / max(self._plot_rect().width(), 1.0)
                self._set_range(t0 - dt, t1 - dt)
            return
        hit = self.event_at(pos)
        self.setCursor(Qt.CursorShape.PointingHandCursor if hit else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        if self._range_drag is not None:
            a, b = sorted(self._range_drag)
            self._range_drag = None
            if self.x_of(b) - self.x_of(a) > 4:
                self.zoom_to_range(a, b)
            self.update()
            return
        was_drag = self._dragging
        self._drag = None
        self._dragging = False
        self.unsetCursor()
        if not was_drag:
            hit = self.event_at(event.position())
            if hit is not None:
                self.select(hit[0])
                self.event_selected.emit(hit[0])

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        hit = self.event_at(event.position())
        if hit is not None and hit[1] > 1:  # a merged mark: zoom in on it
            self.zoom_by(4.0, event.position().x())
        else:
            super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_F, Qt.Key.Key_Home):
            self.fit_all()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.5)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / 1.5)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            sign = -1 if key == Qt.Key.Key_Left else 1
            if shift:
                self.pan_by_pixels(-sign * self._plot_rect().width() / 5)
            else:
                self._step(sign)
        else:
            super().keyPressEvent(event)

    def event(self, event) -> bool:  # noqa: ANN001
        if event.type() == event.Type.ToolTip:
            hit = self.event_at(event.pos())
            if hit is not None:
                QToolTip.showText(event.globalPos(), self.tooltip_for(*hit), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def focusInEvent(self, event) -> None:  # noqa: ANN001
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event) -> None:  # noqa: ANN001
        super().focusOutEvent(event)
        self.update()
