"""The timeline's data: history rows indexed for drawing (lanes, deployments), axis ticks and
their labels, time conversions. Pure Python, no Qt: safe on a worker thread, testable without a
display.

Times are stored as naive UTC (the history table's convention); ``tz`` arguments choose the zone
they are shown in (None: the machine's local zone).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from ...core.reports.layout import duration
from ...app.types import HistoryRow
from ..labels import ACTION_LABELS

#: lane order (deploy_start / deploy_end, and the fleet_start / fleet_end around a fleet run's
#: deployment, make the deployment spans, not marks)
LANE_ORDER = ("apply", "rollback", "verify", "backup", "restore", "repair", "baseline")
DEPLOY_ACTIONS = ("deploy_start", "deploy_end", "fleet_start", "fleet_end")

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
            elif r.action in DEPLOY_ACTIONS:
                pass  # fleet_start / fleet_end: the fleet run's marks around it, not steps
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



def day_starts(t0: float, t1: float, tz: tzinfo | None) -> list[float]:
    """Midnights (in ``tz``) after ``t0`` up to ``t1``, at most 400."""
    out = []
    d = _local(t0, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(400):
        d = _zoned(d.replace(tzinfo=None) + timedelta(days=1), tz)
        d = d.replace(hour=0, minute=0, second=0, microsecond=0)
        ts = d.timestamp()
        if ts > t1:
            break
        out.append(ts)
    return out


def month_starts(t0: float, t1: float, tz: tzinfo | None) -> list[float]:
    """First days of the months (in ``tz``) after ``t0`` up to ``t1``, at most 400."""
    out = []
    d = _local(t0, tz)
    y, m = d.year, d.month
    for _ in range(400):
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        ts = _zoned(datetime(y, m, 1), tz).timestamp()
        if ts > t1:
            break
        out.append(ts)
    return out
