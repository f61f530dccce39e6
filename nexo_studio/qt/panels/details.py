"""The details pane: a migration's or a history event's fields as a small table."""

from __future__ import annotations

import html
from datetime import datetime, timezone

from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QTextBrowser, QWidget

from ...core.project import Project, Snapshot
from ...app.types import HistoryRow
from ..models import fmt_ms, fmt_time
from ..palette import ACTION_LABELS, STATUS_LABELS, action_colour, status_colour

#: below this viewport width (px) names stand above their values
STACK_BELOW = 260


def _breakable(text: str) -> str:
    """Escape, and let long ids wrap after the version and at underscores, not mid-word."""
    return html.escape(text).replace("_", "_\u200b")


class DetailsPane(QTextBrowser):
    """What is known about the selected migration or history event."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("details")
        self.setOpenLinks(False)
        # lines break between words (and at the zero-width spaces of ids), never inside a value
        self.setWordWrapMode(QTextOption.WrapMode.WordWrap)
        self._shown: tuple | None = None
        self._stacked = False
        self.show_hint()

    def show_hint(self) -> None:
        """What to do when nothing is selected (wraps, unlike a placeholder)."""
        self._shown = None
        self.setHtml("<p style='color:gray'>Select a migration (table or graph) or a history event "
                     "to see its details here.</p>")

    def show_migration(self, project: Project | None, snapshot: Snapshot | None, migration_id: str | None,
                       history: tuple[HistoryRow, ...] = ()) -> None:
        st = snapshot.by_id.get(migration_id) if (snapshot and migration_id) else None
        if st is None or snapshot is None:
            self.show_hint()
            return
        m, r = st.migration, st.row
        colour = status_colour(st.status).name()
        rows = [("Status", f"<b style='color:{colour}'>● {STATUS_LABELS.get(st.status, st.status)}</b>"),
                ("Version", st.version), ("Name", html.escape(st.name))]
        if st.status == "unknown":
            rows.append(("Database", "cannot connect: the status is unknown until the database answers"))
        if st.description:
            rows.append(("Description", html.escape(st.description)))
        if m is not None:
            deps = project.graph.direct_dependencies(m.id) if project and m.id in project.graph else m.depends
            dependents = project.graph.direct_dependents(m.id) if project and m.id in project.graph else ()
            rows += [("Depends on", "<br>".join(map(_breakable, deps)) or "—"),
                     ("Needed by", "<br>".join(map(_breakable, dependents)) or "—"),
                     ("File", _breakable(m.path.name)), ("Kind", m.kind.upper()),
                     ("Transaction", m.transaction),
                     ("Reversible", "yes" if m.reversible(snapshot.dialect) else
                      f"<b style='color:{status_colour('failed').name()}'>no (no down section)</b>")]
            if m.tags:
                rows.append(("Tags", ", ".join(m.tags)))
            rows.append(("Checksum (file)", f"<code>{m.checksum(snapshot.dialect)[:16]}…</code>"))
        if r is not None and r.status != "rolled_back":
            rows += [("Applied at", fmt_time(r.applied_at) + " UTC"), ("Applied by", html.escape(r.applied_by or "")),
                     ("Duration", fmt_ms(r.execution_ms)), ("Checksum (db)", f"<code>{r.checksum[:16]}…</code>"),
                     ("Row status", r.status)]
            err = (r.metadata or {}).get("error")
            if err:
                rows.append(("Error", f"<span style='color:{status_colour('failed').name()}'>{html.escape(str(err))}</span>"))
        if st.status in ("failed", "dirty"):
            rows += _failure_rows(st.id, history)
        self._table(st.id, rows, breakable=True)

    def show_event(self, h: HistoryRow, verdict=None) -> None:
        colour = action_colour(h.action, h.status).name()
        rows = [("Seq", str(h.seq)), ("Action", f"<b style='color:{colour}'>{ACTION_LABELS.get(h.action, h.action)}</b>"),
                ("Result", h.status), ("Migration", _breakable(h.migration_id or "—")),
                ("Started", fmt_time(h.started_at) + " UTC"), ("Finished", fmt_time(h.finished_at) + " UTC"),
                ("Duration", fmt_ms(h.duration_ms)), ("Operator", html.escape(h.operator or "")),
                ("Host", html.escape(h.host or "")), ("Tool version", html.escape(h.tool_version or "")),
                ("Deployment", f"<code>{html.escape(h.deployment_id or '—')}</code>")]
        if h.error:
            rows.append(("Error", f"<span style='color:{status_colour('failed').name()}'>"
                                  f"{html.escape(h.error).replace(chr(10), '<br>')}</span>"))
        details = h.details_dict()
        for k, v in details.items():
            if v not in (None, "", [], {}):
                if isinstance(v, list):
                    text = "<br>".join(_breakable(str(x)) for x in v)
                else:
                    text = _breakable(str(v))
                rows.append((k.replace("_", " ").capitalize(), text))
        rows.append(("Hash", f"<code>{h.hash[:16]}…</code>"))
        if verdict is not None:
            rows.append(("Hash chain", _chain_text(h.seq, verdict)))
        self._table(f"History event #{h.seq}", rows)

    def _table(self, title: str, rows: list[tuple[str, str]], breakable: bool = False) -> None:
        self._shown = (title, rows, breakable)
        self._stacked = self._narrow()
        head = _breakable(title) if breakable else html.escape(title)
        if self._stacked:  # a narrow pane: each name above its value, the value gets the full width
            body = "".join(f"<tr><td style='color:gray; font-size:small'>{k}</td></tr><tr><td>{v}</td></tr>"
                           for k, v in rows)
        else:
            body = "".join(f"<tr><td style='color:gray; padding-right:10px; white-space:nowrap' valign='top'>{k}"
                           f"</td><td>{v}</td></tr>" for k, v in rows)
        self.setHtml(f"<h3 style='margin:2px 0 6px 0'>{head}</h3><table cellspacing='2'>{body}</table>")

    def _narrow(self) -> bool:
        return self.viewport().width() < STACK_BELOW

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        super().resizeEvent(event)
        shown = getattr(self, "_shown", None)
        if shown is not None and self._narrow() != self._stacked:
            self._table(*shown)


def _failure_rows(migration_id: str, history: tuple[HistoryRow, ...]) -> list[tuple[str, str]]:
    """The newest failed step of ``migration_id`` in the history: when, and its error."""
    failed = next((h for h in reversed(history) if h.migration_id == migration_id and h.status == "failed"
                   and h.action in ("apply", "rollback")), None)
    if failed is None:
        return []
    red = status_colour("failed").name()
    rows = [("Failed at", f"{fmt_time(failed.finished_at or failed.started_at)} UTC ({failed.action}, "
                          f"history #{failed.seq})")]
    if failed.error:
        rows.append(("Error", f"<span style='color:{red}'>{html.escape(failed.error).replace(chr(10), '<br>')}"
                              "</span>"))
    return rows


def _chain_text(seq: int, verdict) -> str:
    """What the hash-chain verdict says about the row ``seq`` (coloured HTML)."""
    broken = next((b for b in verdict.breaks if b.seq == seq), None)
    accepted = next((b for b in verdict.accepted if b.seq == seq), None)
    if broken is not None:
        status, text = "failed", f"this row breaks the chain: {broken.reason}"
    elif accepted is not None:
        status, text = "pending", f"{accepted.reason}; accepted on record at seq {accepted.accepted_at}"
    elif verdict.bad_seq is None or seq < verdict.bad_seq:
        status, text = "applied", "intact up to this row"
    else:
        status, text = "failed", f"broken earlier, at seq {verdict.bad_seq}: {verdict.reason}"
    return f"<b style='color:{status_colour(status).name()}'>{html.escape(text)}</b>"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
