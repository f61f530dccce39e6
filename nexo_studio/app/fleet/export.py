"""`fleet export`: the targets × migrations matrix with each target's chain verdict, as CSV,
JSON or HTML (self-contained, one file)."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .status import TargetStatus, iso

if TYPE_CHECKING:
    from ...core.project import Project

FORMATS = ("csv", "json", "html")

#: one letter per migration status in the matrix (terminal and HTML)
LETTERS = {"applied": "A", "pending": ".", "failed": "F", "dirty": "D", "drifted": "X", "missing": "M"}
_HTML_COLOURS = {"applied": "#c8e6c9", "pending": "#fff9c4", "failed": "#ffcdd2", "dirty": "#ef9a9a",
                 "drifted": "#e1bee7", "missing": "#e1bee7"}


def columns(project: "Project", rows: Sequence[TargetStatus]) -> list[str]:
    """The project's migrations in apply order, then ids only targets know (files gone)."""
    order = list(project.order())
    known = set(order)
    extra = sorted({mid for r in rows for mid in r.migrations if mid not in known})
    return order + extra


def document(rows: Sequence[TargetStatus], cols: Sequence[str]) -> dict:
    return {"ok": all(r.answered for r in rows),
            "generated_at": iso(datetime.now(timezone.utc)), "migrations": list(cols),
            "targets": [r.as_dict() for r in rows]}


def _chain_cells(r: TargetStatus) -> tuple[str, str]:
    if r.chain is None:
        return "", r.error or ""
    return ("yes" if r.chain.ok else "no"), str(r.chain)


def to_csv(rows: Sequence[TargetStatus], cols: Sequence[str]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["name", "dialect", "state", "chain_ok", "chain", "applied", "pending", "head",
                "last_deployed_at", "error", *cols])
    for r in rows:
        ok, verdict = _chain_cells(r)
        w.writerow([r.name, r.dialect, r.state, ok, verdict, r.applied, r.pending, r.head or "",
                    iso(r.last_deployed_at) or "", r.error or "", *(r.migrations.get(c, "") for c in cols)])
    return out.getvalue()


def to_html(rows: Sequence[TargetStatus], cols: Sequence[str]) -> str:
    e = html.escape
    head = "".join(f'<th title="{e(c)}">{i}</th>' for i, c in enumerate(cols, 1))
    body = []
    for r in rows:
        ok, verdict = _chain_cells(r)
        cells = "".join(
            f'<td style="background:{_HTML_COLOURS.get(r.migrations.get(c, ""), "#fff")}" '
            f'title="{e(c)}: {e(r.migrations.get(c, "-"))}">{LETTERS.get(r.migrations.get(c, ""), "")}</td>'
            for c in cols)
        chain = f'<td class="{"good" if ok == "yes" else "bad"}" title="{e(verdict)}">{e(ok or "-")}</td>'
        body.append(f"<tr><th>{e(r.name)}</th><td>{e(r.dialect)}</td><td>{e(r.state)}</td>{chain}"
                    f"<td>{r.applied}</td><td>{r.pending}</td>{cells}</tr>")
    legend = "".join(f"<li><b>{e(k)}</b> {e(v)}</li>" for v, k in LETTERS.items())
    key = "".join(f"<li>{i}: {e(c)}</li>" for i, c in enumerate(cols, 1))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Nexo fleet report</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:2px 4px;text-align:center}}.good{{color:#1b5e20}}.bad{{color:#b71c1c;font-weight:bold}}</style>
</head><body><h1>Fleet report</h1><p>Generated {e(iso(datetime.now(timezone.utc)) or "")};
{len(rows)} target(s), {len(cols)} migration(s).</p>
<table><tr><th>target</th><th>dialect</th><th>state</th><th>chain ok</th><th>applied</th><th>pending</th>{head}</tr>
{"".join(body)}</table><h2>Legend</h2><ul>{legend}</ul><h2>Migrations</h2><ol>{key}</ol></body></html>
"""


def write(fmt: str, path: Path, rows: Sequence[TargetStatus], cols: Sequence[str]) -> Path:
    """Write the report whole or not at all (a temporary file renamed into place)."""
    text = {"csv": lambda: to_csv(rows, cols), "html": lambda: to_html(rows, cols),
            "json": lambda: json.dumps(document(rows, cols), indent=2) + "\n"}[fmt]()
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
