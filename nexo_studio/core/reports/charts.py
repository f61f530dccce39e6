"""Inline SVG charts for the HTML and PDF reports (plain SVG 1.1/Tiny: attributes only, no CSS,
no scripts, so browsers and Qt's SVG renderer draw them the same). Every text is escaped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

from .model import ApplyDuration, Deployment

OK = "#2e7d32"
BAD = "#c62828"
WARN = "#ef8f00"
INK = "#263238"
MUTED = "#78909c"
GRID = "#cfd8dc"
BAR = "#1565c0"
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'


@dataclass(frozen=True)
class SvgChart:
    svg: str
    width: int
    height: int


@dataclass(frozen=True)
class Bucket:
    start: date
    label: str
    ok: int = 0
    failed: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.ok + self.failed + self.other


def _day(value: datetime) -> date:
    return value.date()


def deployment_buckets(deployments: Iterable[Deployment]) -> tuple[list[Bucket], str]:
    """Deployments per day (or week, or month when the span is long), split by outcome."""
    per_day: dict[date, list[int]] = {}
    for d in deployments:
        counts = per_day.setdefault(_day(d.started_at), [0, 0, 0])
        if d.ok:
            counts[0] += 1
        elif d.failed or d.outcome in ("failed", "rolled_back") or d.status in ("failed", "rolled_back"):
            counts[1] += 1
        else:
            counts[2] += 1
    if not per_day:
        return [], "day"
    first, last = min(per_day), max(per_day)
    span = (last - first).days
    if span <= 45:
        unit = "day"
        key = lambda d: d  # noqa: E731
    elif span <= 7 * 45:
        unit = "week"
        key = lambda d: d - timedelta(days=d.weekday())  # noqa: E731
    else:
        unit = "month"
        key = lambda d: d.replace(day=1)  # noqa: E731
    merged: dict[date, list[int]] = {}
    for day, counts in per_day.items():
        m = merged.setdefault(key(day), [0, 0, 0])
        for i in range(3):
            m[i] += counts[i]
    # every bucket between the first and the last, so gaps in time show as gaps
    out = []
    cur = key(first)
    end = key(last)
    while cur <= end:
        ok, failed, other = merged.get(cur, (0, 0, 0))
        label = cur.strftime("%Y-%m") if unit == "month" else cur.isoformat()
        out.append(Bucket(cur, label, ok, failed, other))
        if unit == "day":
            cur += timedelta(days=1)
        elif unit == "week":
            cur += timedelta(days=7)
        else:
            cur = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out, unit


def _text(x: float, y: float, s: str, size: int = 11, anchor: str = "start", fill: str = INK,
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" {FONT} fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{escape(s)}</text>')


def _axis(vmax: int) -> tuple[int, int]:
    """A tick step (1, 2, 2.5 or 5 times a power of ten) and the axis top for counts up to ``vmax``."""
    if vmax <= 4:
        return 1, max(vmax, 1)
    raw = vmax / 4
    mag = 10 ** (len(str(int(raw))) - 1)
    step = next(int(m * mag) for m in (1, 2, 2.5, 5, 10) if m * mag >= raw and (m * mag) == int(m * mag))
    return step, step * -(-vmax // step)


def deployments_chart(buckets: Sequence[Bucket], unit: str, width: int = 720, height: int = 230) -> SvgChart:
    """Stacked bars: deployments per bucket, ok / failed / other (cancelled, incomplete)."""
    left, right, top, bottom = 44, 12, 30, 46
    pw, ph = width - left - right, height - top - bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Deployments per {unit}">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
             _text(left, 16, f"Deployments per {unit}", 13, weight="bold")]
    if not buckets:
        parts.append(_text(width / 2, top + ph / 2, "no deployments in this report", 12, "middle", MUTED))
        parts.append("</svg>")
        return SvgChart("".join(parts), width, height)
    step, ymax = _axis(max(b.total for b in buckets))
    ticks = ymax // step
    for i in range(ticks + 1):
        v = step * i
        y = top + ph - ph * i / ticks
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(left - 6, y + 4, f"{v:,}", 10, "end", MUTED))
    n = len(buckets)
    slot = pw / n
    bw = max(1.0, min(36.0, slot * 0.7))
    every = max(1, int(n / max(1, pw // 70)) + (1 if n > pw // 70 else 0))
    for i, b in enumerate(buckets):
        x = left + slot * i + (slot - bw) / 2
        y = top + ph
        for count, colour in ((b.ok, OK), (b.failed, BAD), (b.other, WARN)):
            if count:
                h = ph * count / ymax
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="{colour}">'
                             f'<title>{escape(b.label)}: {count}</title></rect>')
        if i % every == 0:
            parts.append(_text(left + slot * i + slot / 2, top + ph + 15, b.label, 10, "middle", INK))
    parts.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="{INK}" stroke-width="1"/>')
    lx: float = left
    for name, colour in (("ok", OK), ("failed / rolled back", BAD), ("cancelled / incomplete", WARN)):
        parts.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(lx + 14, height - 5, name, 10))
        lx += 34 + 6.2 * len(name)
    parts.append("</svg>")
    return SvgChart("".join(parts), width, height)


def _short(mid: str, limit: int = 40) -> str:
    return mid if len(mid) <= limit else mid[: limit - 1] + "\u2026"


def durations_chart(durations: Sequence[ApplyDuration], width: int = 720, limit: int = 30) -> SvgChart:
    """Horizontal bars: average apply time per migration (max shown as a tick)."""
    rows = list(durations)
    note = ""
    if len(rows) > limit:
        rows = sorted(rows, key=lambda d: d.avg_ms, reverse=True)[:limit]
        note = f"the {limit} slowest of {len(durations)} migrations"
        rows.sort(key=lambda d: d.migration_id)
    label_w, right, top, row_h = 270, 150, 30, 20
    height = top + row_h * max(1, len(rows)) + (34 if note else 18)
    pw = width - label_w - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Apply duration per migration">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
             _text(8, 16, "Apply duration per migration (average; tick = slowest run)", 13, weight="bold")]
    if not rows:
        parts.append(_text(width / 2, top + 14, "no successful applies in this report", 12, "middle", MUTED))
        parts.append("</svg>")
        return SvgChart("".join(parts), width, height)
    vmax = max(1, max(d.max_ms for d in rows))
    for i, d in enumerate(rows):
        y = top + row_h * i
        parts.append(_text(label_w - 8, y + 14, _short(d.migration_id), 10, "end"))
        w = max(1.0, pw * d.avg_ms / vmax)
        parts.append(f'<rect x="{label_w}" y="{y + 4:.1f}" width="{w:.1f}" height="{row_h - 8}" fill="{BAR}">'
                     f'<title>{escape(d.migration_id)}</title></rect>')
        mx = label_w + pw * d.max_ms / vmax
        parts.append(f'<line x1="{mx:.1f}" y1="{y + 2}" x2="{mx:.1f}" y2="{y + row_h - 2}" stroke="{INK}" stroke-width="2"/>')
        runs = f"{d.runs} run" + ("s" if d.runs != 1 else "")
        parts.append(_text(label_w + pw + 8, y + 14, f"{d.avg_ms:,} ms avg \u00b7 {runs}", 10, fill=MUTED))
    if note:
        parts.append(_text(8, height - 8, note, 10, fill=MUTED))
    parts.append("</svg>")
    return SvgChart("".join(parts), width, height)
