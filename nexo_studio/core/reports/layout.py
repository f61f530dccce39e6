"""What a human-readable report says, as neutral blocks (headings, key/value lists, tables,
charts) that the HTML writer and the Qt PDF renderer each draw in their own way. The content is
decided here once; the two fronts only decide looks.

Tables are lazy: ``Table.rows()`` starts a new pass over its stream, so the HTML writer can
write 100,000 events without holding them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from . import charts
from .model import (
    ACTIONS,
    EVENT_STATUSES,
    MIGRATION_GROUPS,
    Deployment,
    EventRow,
    Failure,
    Report,
    StateRow,
    as_utc,
    details_of,
    integrity_notes,
)


@dataclass(frozen=True)
class Cell:
    text: str
    tone: str = ""  # "", "ok", "bad", "warn", "muted"
    mono: bool = False
    pre: bool = False  # keep line breaks (errors, statements)
    title: str = ""  # the full value when ``text`` is shortened
    detail: str = ""  # secondary text on the next line, not toned (details under an error)


CellLike = Cell | str


@dataclass(frozen=True)
class Column:
    title: str
    weight: int  # relative width
    align: str = "left"
    mono: bool = False


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    new_page: bool = False  # start on a new page when printed


@dataclass(frozen=True)
class Paragraph:
    text: str
    tone: str = ""


@dataclass(frozen=True)
class Banner:
    ok: bool
    title: str
    text: str


@dataclass(frozen=True)
class KeyValues:
    items: tuple[tuple[str, CellLike], ...]


@dataclass(frozen=True)
class Chart:
    key: str
    svg: str
    width: int
    height: int


@dataclass(frozen=True)
class Table:
    key: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterable[Sequence[CellLike]]] = field(repr=False)
    empty: str = "none"
    small: bool = False  # dense table (the event list)


Block = Heading | Paragraph | Banner | KeyValues | Chart | Table


# --------------------------------------------------------------------------------------------
# formatting


def when(value: datetime | None) -> str:
    """Human UTC time, to the second (full precision is in CSV/JSON)."""
    if value is None:
        return ""
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S")


def duration(ms: int | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    s = ms / 1000
    if s < 60:
        return f"{s:.1f} s"
    m, s = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def short(value: str | None, n: int = 8) -> Cell:
    if not value:
        return Cell("")
    return Cell(value[:n], mono=True, title=value) if len(value) > n else Cell(value, mono=True)


def tone_of(status: str | None) -> str:
    return {"ok": "ok", "applied": "ok", "deployed": "ok", "failed": "bad",
            "dirty": "bad", "drifted": "warn", "missing": "warn", "cancelled": "warn", "rolled_back": "warn",
            "incomplete": "warn", "pending": "muted"}.get(status or "", "")


def _plain(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


_DIGESTS = ("checksum", "sha256")


def details_text(row: EventRow, skip: tuple[str, ...] = ("statement",)) -> str:
    """``details`` as ``key: value; ...`` (digests shortened, the failing statement left to the
    failures table); the exact JSON is in the CSV/JSON exports."""
    d = details_of(row)
    if not d and row.details:
        return row.details
    parts = []
    for k, v in d.items():
        if v in (None, "", [], {}) or k in skip:
            continue
        text = _plain(v)
        if k in _DIGESTS and isinstance(v, str) and len(v) > 12:
            text = v[:12] + "\u2026"
        parts.append(f"{k}: {text}")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# sections


def _verdict_banner(report: Report) -> Banner:
    """The verdict as ``nexo audit verify`` gives it, in plain words, every seq concerned named."""
    v = report.verdict
    rows = report.header.history_rows
    problems = getattr(v, "problems", ())
    if v.ok:
        text = (f"All {rows} history row(s) (seq 1-{report.header.head_seq}) were re-hashed and link up from the "
                "genesis hash, and the state tables agree with them.")
        if not v.accepted:
            return Banner(True, "History chain intact", text + " No row was edited, inserted or deleted.")
        accepted = "; ".join(f"seq {b.seq} ({b.reason}), accepted at seq {b.accepted_at}" for b in v.accepted)
        return Banner(True, "History chain intact, with changes accepted on record",
                      f"{text} Rows changed outside Nexo were accepted by a DBA (repair --accept-history) and are "
                      f"kept as found: {accepted}.")
    if v.breaks:
        others = [b.seq for b in v.breaks[1:]]
        title = f"History chain BROKEN at seq {v.bad_seq}" + (f" (and seq {', '.join(map(str, others))})" if others else "")
    else:
        title = f"History TAMPERED (seq {', '.join(map(str, v.seqs))})" if v.seqs else "History TAMPERED"
    said = [str(b) for b in v.breaks] + list(problems)
    more = f" and {len(said) - 1} more finding(s), listed under History integrity" if len(said) > 1 else ""
    seqs = f"Seq concerned: {', '.join(map(str, v.seqs))}. " if v.seqs else ""
    return Banner(False, title,
                  f"TAMPERED: {said[0]}{more}. {seqs}These rows cannot be trusted as recorded; compare with a "
                  f"backup or an earlier report ({v.rows} row(s) checked; `nexo audit verify` says the same).")


def _integrity_rows(report: Report) -> list[list[CellLike]]:
    """One line per row or problem the verdict names (the rows' marks in the event table say the same)."""
    notes, whole = integrity_notes(report.verdict)
    lines: list[list[CellLike]] = [
        [str(seq), Cell(text, tone="bad" if text.startswith("TAMPERED") else "warn")] for seq, text in sorted(notes.items())]
    lines += [["", Cell(f"TAMPERED (history): {text}", tone="bad")] for text in whole]
    return lines


def _header_items(report: Report) -> tuple[tuple[str, CellLike], ...]:
    h = report.header
    return (
        ("Database", Cell(h.database, mono=True)),
        ("Dialect / server", f"{h.dialect} / {h.server_version}"),
        ("Schema version", Cell(h.schema_version or "none applied", mono=bool(h.schema_version))),
        ("Project", Cell(h.project or "(none)", mono=True)),
        ("Generated", f"{when(h.generated_at)} UTC by {h.generated_by}"),
        ("Tool", f"Nexo Studio {h.tool_version}"),
        ("Filters", h.filters.describe()),
        ("History", f"{h.history_rows} row(s), up to seq {h.head_seq} (head hash {h.head_hash[:16]}\u2026); "
                    f"{report.summary.events} event(s) in this report"),
    )


def _counts_rows(report: Report) -> list[list[CellLike]]:
    s = report.summary
    statuses = list(EVENT_STATUSES) + sorted(k for k in s.by_status if k not in EVENT_STATUSES)
    order = [a for a in ACTIONS if a in s.by_action] + sorted(a for a in s.by_action if a not in ACTIONS)
    rows: list[list[CellLike]] = []
    for action in order:
        counts = s.by_action[action]
        rows.append([action] + [Cell(str(counts.get(st, 0)), tone=tone_of(st) if counts.get(st) else "muted")
                                for st in statuses] + [str(sum(counts.values()))])
    if rows:
        rows.append([Cell("total", tone="")] + [str(s.by_status.get(st, 0)) for st in statuses] + [str(s.events)])
    return rows


def _count_columns(report: Report) -> tuple[Column, ...]:
    extra = sorted(k for k in report.summary.by_status if k not in EVENT_STATUSES)
    return (Column("Action", 4),) + tuple(Column(st, 2, "right") for st in (*EVENT_STATUSES, *extra)) + (
        Column("total", 2, "right"),)


def _migration_items(report: Report) -> tuple[tuple[str, CellLike], ...]:
    names = {"applied": "Applied", "rolled_back": "Rolled back", "failed": "Failed (last attempt)",
             "drifted": "Drifted", "missing": "Missing", "dirty": "Dirty", "pending": "Pending"}
    items = []
    for key in MIGRATION_GROUPS:
        ids = report.summary.migrations.get(key, ())
        text = f"{len(ids)}" + (": " + ", ".join(ids) if ids else "")
        tone = tone_of(key) if ids and key in ("failed", "drifted", "missing", "dirty") else ""
        items.append((names[key], Cell(text, tone=tone)))
    return tuple(items)


def _deployment_row(d: Deployment) -> list[CellLike]:
    result = d.outcome
    what = []
    if d.applied:
        what.append("applied: " + ", ".join(d.applied))
    if d.rolled_back:
        what.append("rolled back: " + ", ".join(d.rolled_back))
    if d.failed:
        what.append("failed: " + d.failed)
    if not what and d.plan:
        what.append("planned: " + ", ".join(d.plan))
    notes = []
    if d.error:
        notes.append(d.error)
    if d.backup:
        notes.append("backup: " + d.backup)
    return [
        when(d.started_at), Cell(d.deployment_id, mono=True),
        Cell(result.replace("_", " "), tone="bad" if d.failed or result in ("failed", "rolled_back") else tone_of(result)),
        duration(d.duration_ms), "\n".join(what), Cell("\n".join(notes), pre=True, tone="bad" if d.error else ""),
        d.operator or "",
    ]


def _failure_row(f: Failure) -> list[CellLike]:
    where = f.file + (f":{f.line}" if f.line else "") if f.file else ""
    stmt = (f.statement or "").strip()
    if len(stmt) > 600:
        stmt = stmt[:600] + "\u2026"
    return [
        str(f.seq), when(f.started_at), f.action, Cell(f.status, tone=tone_of(f.status)),
        Cell(f.migration_id or "", mono=True), Cell(f.error or "", tone="bad", pre=True),
        Cell((where + "\n" if where else "") + stmt, mono=True, pre=True),
    ]


def _state_row(s: StateRow) -> list[CellLike]:
    checksum = s.checksum[:12] + "\u2026" if s.checksum else ""
    state = {"ok": "", "changed": " (file changed)", "file gone": " (file gone)"}.get(s.checksum_state, "")
    down = "" if s.reversible is None else ("yes" if s.reversible else "no")
    allowed = "; ".join(f"lint allows {code}: {reason}" for code, reason in s.lint_allowed)
    return [
        Cell(s.id, mono=True, detail=allowed), Cell(s.status, tone=tone_of(s.status)), when(s.applied_at), s.applied_by or "",
        duration(s.execution_ms), Cell(checksum + state, mono=True, tone="warn" if state else "",
                                       title=s.checksum or ""),
        Cell(down, tone="warn" if down == "no" else ""),
    ]


def _event_row(r: EventRow, notes: dict[int, str]) -> list[CellLike]:
    text = details_text(r)
    note = notes.get(r.seq)
    if note:  # what the verdict says about this row comes first, in its tone
        tone = "bad" if note.startswith("TAMPERED") else "warn"
        cell = Cell(note, tone=tone, pre=True, detail="\n".join(t for t in (r.error or "", text) if t))
        seq: CellLike = Cell(str(r.seq), tone=tone)
    else:
        cell = Cell(r.error, tone="bad", pre=True, detail=text) if r.error else Cell(text, pre=True)
        seq = str(r.seq)
    return [
        seq, when(r.started_at), r.action, Cell(r.status, tone=tone_of(r.status)),
        Cell(r.migration_id or "", mono=True), short(r.deployment_id), duration(r.duration_ms),
        r.operator or "", cell, short(r.hash, 12),
    ]


def _mapped(stream: Callable[[], Iterator], fn: Callable) -> Callable[[], Iterator]:
    return lambda: (fn(x) for x in stream())


def document(report: Report) -> Iterator[Block]:
    """The blocks of the human-readable report, in order."""
    yield _verdict_banner(report)
    integrity = _integrity_rows(report)
    if integrity:
        yield Heading("History integrity")
        yield Table("integrity", (Column("Seq", 4, "right"), Column("What the audit found", 60)),
                    lambda: iter(integrity))
    from .drift_section import drift_blocks

    yield from drift_blocks(report.drift)
    yield Heading("Report")
    yield KeyValues(_header_items(report))
    yield Heading("Summary")
    yield Table("counts", _count_columns(report), lambda: _counts_rows(report), empty="no events in this report")
    yield Heading("Migrations (current state)", 3)
    yield KeyValues(_migration_items(report))
    buckets, unit = charts.deployment_buckets(report.deployments())
    for key, chart in (("deployments", charts.deployments_chart(buckets, unit)),
                       ("durations", charts.durations_chart(report.summary.apply_durations))):
        yield Chart(key, chart.svg, chart.width, chart.height)
    yield Heading("Deployments")
    yield Table("deployments", (Column("Started (UTC)", 10), Column("Deployment", 12, mono=True),
                                Column("Outcome", 8), Column("Duration", 6), Column("Migrations", 32),
                                Column("Error / backup", 26), Column("By", 6)),
                _mapped(report.deployments, _deployment_row), empty="no deployments in this report")
    yield Heading("Failures")
    yield Table("failures", (Column("Seq", 4, "right"), Column("Time (UTC)", 10), Column("Action", 7),
                             Column("Status", 7), Column("Migration", 16, mono=True), Column("Error", 28),
                             Column("Where / statement", 28, mono=True)),
                _mapped(report.failures, _failure_row), empty="no failed or cancelled events in this report")
    yield Heading("Current state", new_page=True)
    yield Table("state", (Column("Migration", 30, mono=True), Column("Status", 8), Column("Applied at (UTC)", 13),
                          Column("By", 9), Column("Time", 7), Column("Checksum", 14, mono=True),
                          Column("Down", 5)),
                lambda: (_state_row(s) for s in report.state), empty="no migrations")
    notes = integrity_notes(report.verdict)[0]
    yield Heading("Events", new_page=True)
    yield Paragraph("Every event in the report, oldest first. Times UTC; deployment ids and hashes are "
                    "shortened here (full values in the CSV and JSON exports).", tone="muted")
    yield Table("events", (Column("Seq", 4, "right"), Column("Started (UTC)", 11), Column("Action", 7),
                           Column("Status", 7), Column("Migration", 17, mono=True),
                           Column("Deploy.", 6, mono=True), Column("Time", 6, "right"), Column("By", 6),
                           Column("Details / error", 29), Column("Hash", 7, mono=True)),
                _mapped(report.events, lambda r: _event_row(r, notes)), empty="no events match the filters",
                small=True)
