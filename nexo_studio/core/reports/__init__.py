"""Audit reports: history, state and hash-chain verdict of one database, as CSV, JSON, HTML, PDF.

Layout of the package::

    model.py        the report as data (filters, header, summary, state rows, streams)
    source.py       reading a report from the database (read-only, streamed, pinned to a head seq)
    layout.py       what the human-readable formats say, as neutral blocks
    charts.py       inline SVG charts (deployments over time, apply duration per migration)
    csv_report.py   CSV writer (+ PATH.sha256 sidecar)
    json_report.py  JSON writer, schema ``nexo-report/1`` (documented there)
    html_report.py  self-contained HTML writer
    verify.py       ``verify_report``: re-check an exported JSON report on its own
    export.py       ``export_report`` and the renderer registry (PDF is ``nexo_studio.pdf``)

Public API::

    filters = ReportFilters.parse(since="2025-01-01", until=None, migration_id=None, action=None,
                                  status=None, deployment_id=None)
    path = export_report(target, project, "csv" | "json" | "html" | "pdf", out, filters)
    verdict = verify_report(path_to_json_report)   # ReportVerdict (a ChainVerdict)
    with open_report(target, project, filters) as report: ...   # the model, for previews

Every format carries the SHA-256 of its *body*: CSV in ``PATH.sha256``; JSON as
``body_sha256``; HTML and PDF in the footer. Each writer's docstring defines its body exactly.
"""

from __future__ import annotations

from .export import FORMATS, export_report, register_renderer, renderer_for
from .model import HISTORY_COLUMNS, Report, ReportFilters
from .source import open_report
from .verify import ReportVerdict, verify_report

__all__ = [
    "FORMATS", "HISTORY_COLUMNS", "Report", "ReportFilters", "ReportVerdict", "export_report",
    "open_report", "register_renderer", "renderer_for", "verify_report",
]
