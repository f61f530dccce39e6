"""The history timeline: ``__MigrationHistory`` events on a horizontal time axis.

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

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from html import escape

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from ..core.state.store import HistoryRow
from ..core.reports.layout import duration
from .palette import ACTION_COLOURS, ACTION_LABELS, RESULT_COLOURS, is_dark, marker_path, text_on

#: lane order (deploy_start / deploy_end make the deployment spans, not marks)
LANE_ORDER = ("apply", "rollback", "verify", "backup", "restore", "repair", "baseline")
DEPLOY_ACTIONS = ("deploy_start", "deploy_end")

_EPOCH = datetime(1970, 1, 1)


def to_seconds(value: datetime) -> float:
    """Seconds since the epoch; naive datetimes are UTC (the history table's convention)."""
    if value.tzinfo is not None:
        return value.timestamp()
    return (value - _EPOCH).total_seconds()


def to_utc(seconds: float) -> datetime:
    """Naive UTC datetime for epoch seconds."""
    return _EPOCH + timedelta(seconds=seconds)


def _local(seconds: float, tz: tzinfo | None = None) -> datetime:
    """Aware datetime in ``tz`` (None: the machine's local zone)."""
    return datetime.fromtimestamp(seconds, timezone.utc).astimezone(tz)


def _zoned(naive: datetime, tz: tzinfo | None) -> datetime:
    """A wall-clock time in ``tz`` (None: local) as an aware datetime."""
    return naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()


def format_duration(ms: float | None) -> str:
    """Durations read the same in the timeline as in the reports (one formatter, in core)."""
    return "—" if ms is None else duration(int(round(ms)))


@dataclass
class _Lane:
    action: str
    times: list[float]
    index: list[int]          # into TimelineView.rows
    failed_prefix: list[int]  # failed_prefix[i] = failed events among the first i


@dataclass
class _Deployment:
    deployment_id: str
    start: float
    end: float
    seq: int                  # the event a click selects (deploy_start, else the first row)
    steps: int
    status: str               # ok / failed / cancelled / running
    operator: str | None
    label: str
    error: str | None = None


# -- axis ticks --------------------------------------------------------------------------------

_SECOND_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600,
                 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400)
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)


def _ticks(t0: float, t1: float, px_per_s: float, min_px: float,
           tz: tzinfo | None = None) -> tuple[str, list[float]]:
    """Tick times (epoch seconds) between t0 and t1, aligned in local time, at least ``min_px``
    apart. Returns (unit, ticks) with unit one of seconds/minutes/hours/days/months/years."""
    for step in _SECOND_STEPS:
        if step * px_per_s >= min_px:
            break
    else:
        step = None
    if step is not None:
        unit = ("seconds" if step < 60 else "minutes" if step < 3600 else
                "hours" if step < 86400 else "days")
        if step < 86400:
            offset = _local(t0, tz).utcoffset() or timedelta(0)
            off = offset.total_seconds()
            first = math.ceil((t0 + off) / step) * step - off
            count = int((t1 - first) / step) + 1
            return unit, [first + i * step for i in range(max(count, 0))]
        days = step // 86400
        start = _local(t0, tz).replace(hour=0, minute=0, second=0, microsecond=0)
        if days == 7 or days == 14:  # weeks start on Monday
            start -= timedelta(days=start.weekday())
        out = []
        d = start
        while True:
            # calendar days in local time (DST-safe: rebuild from the date)
            ts = d.timestamp()
            if ts > t1:
                break
            if ts >= t0:
                out.append(ts)
            nd = _zoned(d.replace(tzinfo=None) + timedelta(days=days), tz)
            d = nd.replace(hour=0, minute=0, second=0, microsecond=0)
        return unit, out
    month_px = 30.4 * 86400 * px_per_s
    months = next((m for m in _MONTH_STEPS if m * month_px >= min_px), _MONTH_STEPS[-1])
    start = _local(t0, tz)
    y, m = start.year, start.month
    m0 = ((y * 12 + m - 1) // months) * months
    out = []
    while True:
        y, m = divmod(m0, 12)
        if y > 9998:
            break
        ts = _zoned(datetime(y, m + 1, 1), tz).timestamp()
        if ts > t1:
            break
        if ts >= t0:
            out.append(ts)
        m0 += months
    return ("months" if months < 12 else "years"), out


def _tick_label(ts: float, unit: str, tz: tzinfo | None = None) -> str:
    d = _local(ts, tz)
    if unit == "seconds":
        return d.strftime("%H:%M:%S")
    if unit in ("minutes", "hours"):
        return d.strftime("%H:%M")
    if unit == "days":
        return f"{d.day} {d:%b}"
    if unit == "months":
        return d.strftime("%b %Y") if d.month == 1 else d.strftime("%b")
    return d.strftime("%Y")


def _context_label(ts: float, unit: str, tz: tzinfo | None = None) -> str:
    d = _local(ts, tz)
    if unit in ("seconds", "minutes", "hours"):
        return f"{d:%a} {d.day} {d:%b %Y}"
    if unit == "days":
        return d.strftime("%B %Y")
    return ""


class TimelineData:
    """History rows indexed for drawing: sorted by time, split into lanes with failure counts,
    grouped into deployments. No Qt; safe to build on a worker thread."""

    def __init__(self) -> None:
        self.rows: list[HistoryRow] = []
        self.times: list[float] = []            # all events, sorted
        self.order_seq: list[int] = []          # seq per sorted position
        self.pos_of_seq: dict[int, int] = {}
        self.row_lane: list[int] = []           # lane per sorted position (-1: deploy marker)
        self.lanes: list[_Lane] = []
        self.deployments: list[_Deployment] = []
        self.dep_starts: list[float] = []
        self.dep_max_end: list[float] = []      # running maximum of deployment ends
        self.dep_of_seq: dict[int, int] = {}

    @classmethod
    def from_rows(cls, rows: Sequence[HistoryRow]) -> "TimelineData":
        self = cls()
        rows = list(rows)
        epoch = _EPOCH
        times = [(r.started_at - epoch).total_seconds() if r.started_at.tzinfo is None
                 else r.started_at.timestamp() for r in rows]
        # history comes in seq order, which is nearly always time order: sort only if needed
        if any(times[i] > times[i + 1] for i in range(len(times) - 1)):
            order = sorted(range(len(rows)), key=lambda i: (times[i], rows[i].seq))
            rows = [rows[i] for i in order]
            times = [times[i] for i in order]
        self.rows = rows
        self.times = times
        self.order_seq = [r.seq for r in rows]
        self.pos_of_seq = {s: i for i, s in enumerate(self.order_seq)}
        present = {r.action for r in rows} - set(DEPLOY_ACTIONS)
        actions = [a for a in LANE_ORDER if a in present] + sorted(present - set(LANE_ORDER))
        lane_of = {a: i for i, a in enumerate(actions)}
        lanes = [_Lane(a, [], [], [0]) for a in actions]
        row_lane = []
        for i, r in enumerate(rows):
            li = lane_of.get(r.action, -1)
            row_lane.append(li)
            if li >= 0:
                lane = lanes[li]
                lane.times.append(times[i])
                lane.index.append(i)
                lane.failed_prefix.append(lane.failed_prefix[-1] + (r.status == "failed"))
        self.row_lane = row_lane
        self.lanes = lanes
        self._build_deployments()
        return self

    def _build_deployments(self) -> None:
        """One pass: rows sharing a deployment_id -> a span from its first start to its last
        finish, failed if any step failed."""
        acc: dict[str, list] = {}
        for i, r in enumerate(self.rows):
            did = r.deployment_id
            if not did:
                continue
            t = self.times[i]
            if r.duration_ms is not None:
                end = t + r.duration_ms / 1000
            elif r.finished_at is not None:
                end = to_seconds(r.finished_at)
            else:
                end = t
            a = acc.get(did)
            if a is None:
                # start, end, seq, steps, has_start, has_end, status rank, operator, kinds, count,
                # error, seqs of its deploy_start/deploy_end rows
                a = acc[did] = [t, end, r.seq, 0, False, False, 0, r.operator, set(), 0, None, []]
            elif end > a[1]:
                a[1] = end
            a[9] += 1
            if r.action in DEPLOY_ACTIONS:
                a[11].append(r.seq)
            if r.action == "deploy_start":
                if not a[4]:
                    a[2] = r.seq
                    a[7] = r.operator
                a[4] = True
            elif r.action == "deploy_end":
                a[5] = True
                if r.error:
                    a[10] = r.error  # the deployment's own verdict wins
            else:
                a[3] += 1
                a[8].add(r.action)
            rank = 2 if r.status == "failed" else 1 if r.status == "cancelled" else 0
            if rank > a[6]:
                a[6] = rank
            if r.error and a[10] is None:
                a[10] = r.error
        deps: list[_Deployment] = []
        marker_seqs: dict[str, list[int]] = {}
        for did, (start, end, seq, steps, has_start, has_end, rank, operator, kinds, count,
                  error, markers) in acc.items():
            if count < 2 and not has_start:
                continue  # a lone event with an id is just a mark
            status = ("failed" if rank == 2 else "cancelled" if rank == 1 else
                      "running" if has_start and not has_end else "ok")
            if has_start:
                title = "Deploy"
            else:
                names = [ACTION_LABELS.get(k, k) for k in LANE_ORDER if k in kinds]
                title = " + ".join(names[:2]) or "Operation"
            label = f"{title} · {steps} step{'s' if steps != 1 else ''}"
            deps.append(_Deployment(did, start, max(end, start), seq, steps, status, operator, label,
                                    error))
            marker_seqs[did] = markers
        deps.sort(key=lambda d: (d.start, d.seq))
        self.deployments = deps
        self.dep_starts = [d.start for d in deps]
        running = float("-inf")
        self.dep_max_end = []
        for d in deps:
            running = max(running, d.end)
            self.dep_max_end.append(running)
        # a deployment is found from its representative seq and from its start/end rows
        self.dep_of_seq = {}
        for k, d in enumerate(deps):
            for m in marker_seqs[d.deployment_id]:
                self.dep_of_seq[m] = k
            self.dep_of_seq[d.seq] = k


# -- the widget --------------------------------------------------------------------------------

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
        k = self._dep_of_seq.get(seq) if seq is not None else None
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
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        dark = is_dark(pal)

        def mix(t: float) -> QColor:
            return QColor.fromRgbF(base.redF() * (1 - t) + text.redF() * t,
                                   base.greenF() * (1 - t) + text.greenF() * t,
                                   base.blueF() * (1 - t) + text.blueF() * t)

        return {"base": base, "text": text, "muted": mix(0.55), "grid": mix(0.10),
                "lane": mix(0.035 if not dark else 0.06), "axis": mix(0.35),
                "gutter": pal.color(QPalette.ColorRole.Window),
                "selection": pal.color(QPalette.ColorRole.Highlight)}

    def paintEvent(self, event: QPaintEvent) -> None:
        import time as _time

        started = _time.perf_counter()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = self._colours()
        p.fillRect(self.rect(), c["base"])
        plot = self._plot_rect()
        lh = self._lane_height()
        lanes_bottom = self._lane_top(len(self.lanes)) if self.lanes else self.TOP + self.DEPLOY_LANE + lh
        p.setClipRect(QRectF(plot.left(), 0, plot.width(), self.height()))

        # lane stripes
        for li in range(len(self.lanes)):
            if li % 2 == 0:
                p.fillRect(QRect(round(plot.left()), round(self._lane_top(li)), round(plot.width()),
                                 round(self._lane_top(li + 1)) - round(self._lane_top(li))), c["lane"])
        p.setPen(QPen(c["grid"], 1))
        p.drawLine(QPointF(plot.left(), self.TOP + self.DEPLOY_LANE - 0.5),
                   QPointF(plot.right(), self.TOP + self.DEPLOY_LANE - 0.5))

        # ticks and grid
        fm = QFontMetrics(self.font())
        unit, ticks = _ticks(self.t0, self.t1, plot.width() / (self.t1 - self.t0),
                             fm.horizontalAdvance("00:00:00") + 28, self._tz)
        axis_y = lanes_bottom
        p.setPen(QPen(c["grid"], 1))
        for t in ticks:
            x = round(self.x_of(t)) + 0.5
            p.drawLine(QPointF(x, self.TOP), QPointF(x, axis_y))

        # deployment bands and bars
        t_pad = (self.RADIUS + 2) * (self.t1 - self.t0) / plot.width()
        t_lo, t_hi = self.t0 - t_pad, self.t1 + t_pad
        bar_font = QFont(self.font())
        bar_font.setPointSizeF(max(bar_font.pointSizeF() - 1, 7.0))
        bfm = QFontMetrics(bar_font)
        p.setFont(bar_font)
        visible_deps = list(self._visible_deployments(t_lo, t_hi))
        selected_dep = None
        if self.selected_seq is not None:
            k_sel = self._dep_of_seq.get(self.selected_seq)
            if k_sel is not None and (self._row_lane[self._pos_of_seq[self.selected_seq]] < 0
                                      or self.deployments[k_sel].seq == self.selected_seq):
                selected_dep = k_sel
        for x0, x1, k, count in visible_deps:
            d = self.deployments[k]
            failed = d.status == "failed" or (count > 1 and any(
                self.deployments[m].status == "failed" for m in range(k, min(k + count, k + 200))))
            colour = QColor(RESULT_COLOURS["failed"] if failed else ACTION_COLOURS["deploy_start"])
            band = QColor(colour)
            band.setAlphaF(0.10 if not failed else 0.09)
            w = max(x1 - x0, 3.0)
            # whole pixels: the fast, non-antialiased fill path (hundreds of bands when zoomed out)
            p.fillRect(QRect(round(x0), self.TOP + self.DEPLOY_LANE, max(round(w), 1),
                             round(axis_y) - self.TOP - self.DEPLOY_LANE), band)
            bar = QRectF(x0, self.TOP + 6, w, self.DEPLOY_LANE - 12)
            fill = QColor(colour)
            fill.setAlphaF(0.85)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(fill)
            p.drawRoundedRect(bar, 4, 4)
            if count == 1 and k == selected_dep:
                p.setPen(QPen(c["selection"], 2.5))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(bar.adjusted(-2.5, -2.5, 2.5, 2.5), 5, 5)
        # labels: inside the bar when it fits, else just after it if there is room
        for n, (x0, x1, k, count) in enumerate(visible_deps):
            d = self.deployments[k]
            text = d.label if count == 1 else f"{count} operations"
            if count == 1 and d.operator:
                text += f" · {d.operator}"
            if count == 1 and d.status in ("failed", "cancelled", "running"):
                text += f" · {d.status}"
            tw = bfm.horizontalAdvance(text)
            left = max(x0, plot.left())
            right = min(max(x1, x0 + 3), plot.right())
            top = self.TOP + 6
            height = self.DEPLOY_LANE - 12
            if right - left >= tw + 12:
                p.setPen(QColor("#ffffff"))
                p.drawText(QRectF(left + 6, top, right - left - 8, height),
                           Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
                continue
            limit = visible_deps[n + 1][0] - 8 if n + 1 < len(visible_deps) else plot.right()
            room = limit - (right + 5)
            if room >= min(tw, 70):
                p.setPen(c["text"])
                p.drawText(QRectF(right + 5, top, room, height),
                           Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                           bfm.elidedText(text, Qt.TextElideMode.ElideRight, int(room)))

        # marks
        BADGE = 8.0
        badge_font = QFont(self.font())
        badge_font.setPixelSize(10)
        badge_font.setBold(True)
        selected_pos = self._pos_of_seq.get(self.selected_seq) if self.selected_seq is not None else None
        scale = plot.width() / (self.t1 - self.t0)
        for li, lane in enumerate(self.lanes):
            cy = self._lane_centre(li)
            colour = QColor(ACTION_COLOURS.get(lane.action, "#8a8f98"))
            ring = QPen(colour.darker(135), 1.0)
            failed_colour = QColor(RESULT_COLOURS["failed"])
            bucket_w = max(self.BUCKET_PX - 1.5, 3.0)
            badge_text = text_on(colour)
            cancelled_pen = QPen(QColor(RESULT_COLOURS["cancelled"]), 2.0)
            crosses = []
            buckets = list(self._buckets(lane, t_lo, t_hi))
            for b, (x, i, j) in enumerate(buckets):
                n = j - i
                nf = lane.failed_prefix[j] - lane.failed_prefix[i]
                if n == 1:
                    row = self.rows[lane.index[i]]
                    if nf:
                        crosses.append((x, self.RADIUS + 1.5))
                        continue
                    if row.duration_ms and row.duration_ms / 1000 * scale > 2 * self.RADIUS:
                        # a long step: its duration as a bar behind the mark
                        bar = QColor(colour)
                        bar.setAlphaF(0.35)
                        p.fillRect(QRectF(x, cy - 2.5, row.duration_ms / 1000 * scale, 5), bar)
                    if row.status == "cancelled":
                        p.setPen(cancelled_pen)
                        p.setBrush(Qt.BrushStyle.NoBrush)
                        p.drawEllipse(QPointF(x, cy), self.RADIUS - 1, self.RADIUS - 1)
                        continue
                    p.setPen(ring)
                    p.setBrush(colour)
                    p.drawEllipse(QPointF(x, cy), self.RADIUS, self.RADIUS)
                    continue
                room = min(x - buckets[b - 1][0] if b else 1e9,
                           buckets[b + 1][0] - x if b + 1 < len(buckets) else 1e9)
                if room >= 2 * BADGE + 2:
                    # a few events in one spot, with space around: a badge with the count
                    p.setPen(ring)
                    p.setBrush(colour)
                    p.drawEllipse(QPointF(x, cy), BADGE, BADGE)
                    p.setFont(badge_font)
                    p.setPen(badge_text)
                    p.drawText(QRectF(x - BADGE, cy - BADGE, 2 * BADGE, 2 * BADGE),
                               Qt.AlignmentFlag.AlignCenter, str(n) if n < 100 else "99+")
                    if nf:
                        crosses.append((x + BADGE * 0.8, 4.0, cy - BADGE * 0.8))
                    continue
                # dense: a small bar, taller the more events it stands for
                h = min(lh - 8, 8 + 3.0 * math.log2(n))
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colour)
                p.drawRoundedRect(QRectF(x - bucket_w / 2, cy - h / 2, bucket_w, h), 1.5, 1.5)
                if nf:
                    crosses.append((x, 4.0))
            if crosses:
                p.setPen(QPen(failed_colour.darker(140), 0.8))
                p.setBrush(failed_colour)
                for cross in crosses:
                    p.drawPath(marker_path("cross", QPointF(cross[0], cross[2] if len(cross) > 2 else cy),
                                           cross[1]))
            if selected_pos is not None and self._row_lane[selected_pos] == li:
                x = self.x_of(self.times[selected_pos])
                p.setPen(QPen(c["selection"], 2.5))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(QPointF(x, cy), self.RADIUS + 4.5, self.RADIUS + 4.5)
                dashed = QPen(c["selection"], 1, Qt.PenStyle.DashLine)
                p.setPen(dashed)
                p.drawLine(QPointF(x, self.TOP + self.DEPLOY_LANE), QPointF(x, cy - self.RADIUS - 5))
                p.drawLine(QPointF(x, cy + self.RADIUS + 5), QPointF(x, axis_y))

        # range being dragged out with Shift
        if self._range_drag is not None:
            a, b = sorted(self._range_drag)
            sel = QColor(c["selection"])
            sel.setAlphaF(0.18)
            p.fillRect(QRectF(self.x_of(a), self.TOP, self.x_of(b) - self.x_of(a), axis_y - self.TOP), sel)

        # axis
        p.setClipping(False)
        p.setPen(QPen(c["axis"], 1))
        p.drawLine(QPointF(plot.left(), axis_y + 0.5), QPointF(plot.right(), axis_y + 0.5))
        p.setFont(self.font())
        label_y = axis_y + 4
        last_right = -1e9
        for t in ticks:
            x = self.x_of(t)
            p.setPen(QPen(c["axis"], 1))
            p.drawLine(QPointF(round(x) + 0.5, axis_y), QPointF(round(x) + 0.5, axis_y + 4))
            label = _tick_label(t, unit, self._tz)
            w = fm.horizontalAdvance(label)
            lx = min(max(x - w / 2, plot.left()), plot.right() - w)
            if lx > last_right + 6:
                p.setPen(c["text"])
                p.drawText(QRectF(lx, label_y, w + 2, fm.height()), Qt.AlignmentFlag.AlignLeft, label)
                last_right = lx + w
        # context row: the date (or month) at the left edge and at each boundary in view
        ctx_y = label_y + fm.height() + 1
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 1, 7.0))
        sfm = QFontMetrics(small)
        p.setFont(small)
        p.setPen(c["muted"])
        ctx_unit = {"seconds": "days", "minutes": "days", "hours": "days", "days": "months"}.get(unit)
        if ctx_unit and ctx_y + sfm.height() <= self.height():
            bounds = self._day_starts() if ctx_unit == "days" else self._month_starts()
            placed = [(plot.left(), _context_label(self.t0, unit, self._tz))]
            placed += [(self.x_of(t), _context_label(t, unit, self._tz)) for t in bounds]
            right_edge = -1e9
            for i, (x, text) in enumerate(placed):
                w = sfm.horizontalAdvance(text)
                nxt = placed[i + 1][0] if i + 1 < len(placed) else plot.right() + w
                if x < right_edge + 10 or (i == 0 and nxt - x < w + 10):
                    continue
                p.drawText(QRectF(x + (2 if i else 0), ctx_y, w + 2, sfm.height()), Qt.AlignmentFlag.AlignLeft, text)
                right_edge = x + w

        # gutter: lane labels over the window colour
        p.fillRect(QRectF(0, 0, self.GUTTER - 4, self.height()), c["gutter"])
        p.setPen(QPen(c["grid"], 1))
        p.drawLine(QPointF(self.GUTTER - 4.5, 0), QPointF(self.GUTTER - 4.5, self.height()))
        p.setFont(self.font())
        p.setPen(c["text"])
        p.drawText(QRectF(10, self.TOP, self.GUTTER - 18, self.DEPLOY_LANE),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "Deploys")
        for li, lane in enumerate(self.lanes):
            cy = self._lane_centre(li)
            colour = QColor(ACTION_COLOURS.get(lane.action, "#8a8f98"))
            p.setPen(QPen(colour.darker(135), 1))
            p.setBrush(colour)
            p.drawEllipse(QPointF(16, cy), 4.5, 4.5)
            p.setPen(c["text"])
            label = ACTION_LABELS.get(lane.action, lane.action.replace("_", " ").title())
            p.drawText(QRectF(27, cy - lh / 2, self.GUTTER - 35, lh),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(label, Qt.TextElideMode.ElideRight, self.GUTTER - 35))
        # time zone under the labels
        p.setFont(small)
        p.setPen(c["muted"])
        tz = _local(self.t0, self._tz).strftime("%Z") or "local"
        p.drawText(QRectF(10, axis_y + 4, self.GUTTER - 18, sfm.height()), Qt.AlignmentFlag.AlignLeft,
                   f"time: {tz}")
        if not self.times:
            p.setFont(self.font())
            p.setPen(c["muted"])
            p.drawText(QRectF(plot.left(), self.TOP, plot.width(), axis_y - self.TOP),
                       Qt.AlignmentFlag.AlignCenter, "No history yet")
        if self.hasFocus():
            p.setPen(QPen(c["selection"], 1))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        p.end()
        self.last_paint_ms = (_time.perf_counter() - started) * 1000

    def _day_starts(self) -> list[float]:
        out = []
        d = _local(self.t0, self._tz).replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(400):
            d = _zoned(d.replace(tzinfo=None) + timedelta(days=1), self._tz)
            d = d.replace(hour=0, minute=0, second=0, microsecond=0)
            ts = d.timestamp()
            if ts > self.t1:
                break
            out.append(ts)
        return out

    def _month_starts(self) -> list[float]:
        out = []
        d = _local(self.t0, self._tz)
        y, m = d.year, d.month
        for _ in range(400):
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            ts = _zoned(datetime(y, m, 1), self._tz).timestamp()
            if ts > self.t1:
                break
            out.append(ts)
        return out

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


__all__ = ["TimelineView", "TimelineData", "to_seconds", "to_utc", "format_duration"]
