"""``export_report``: pick a renderer, open the report, write the file atomically.

Renderers are ``fn(report, out_path) -> body_sha256``. CSV, JSON and HTML live here in core.
PDF is drawn with Qt, and core never imports Qt nor names a Qt module: the PDF renderer lives
in ``nexo_studio.pdf`` and registers itself with :func:`register_renderer` when that
module is imported. Front ends that offer PDF import it (the CLI for ``--format pdf``, the GUI's
export dialog); without it a PDF request is an InvalidInput.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ...errors import InvalidInput
from ..project import Project
from ..target import Target
from .model import Report, ReportFilters

Renderer = Callable[[Report, Path], str]

FORMATS = ("csv", "json", "html", "pdf")
_RENDERERS: dict[str, Renderer] = {}


def register_renderer(fmt: str, renderer: Renderer) -> None:
    _RENDERERS[fmt] = renderer


def renderer_for(fmt: str) -> Renderer:
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown report format {fmt!r} (one of {', '.join(FORMATS)})")
    if fmt not in _RENDERERS:
        if fmt == "csv":
            from .csv_report import write_csv as fn
        elif fmt == "json":
            from .json_report import write_json as fn
        elif fmt == "html":
            from .html_report import write_html as fn
        else:
            raise InvalidInput(f"{fmt} export needs a renderer registered by a front end "
                               "(import nexo_studio.pdf, which draws it with Qt)")
        _RENDERERS[fmt] = fn
    return _RENDERERS[fmt]


def _check_out(out: Path) -> Path:
    out = Path(out).expanduser()
    if out.is_dir():
        raise InvalidInput(f"--out {out}: is a directory; give a file name")
    if not out.parent.exists():
        raise InvalidInput(f"--out {out}: folder {out.parent} does not exist")
    return out


def export_report(target: Target, project: Project | None, fmt: str, out: Path | str,
                  filters: ReportFilters | None = None, *, generated_at: datetime | None = None) -> Path:
    """Write an audit report of ``target`` to ``out`` as ``fmt``; return the path written.

    Read-only on the database. CSV also writes ``out.sha256`` (see :mod:`.csv_report`).
    """
    from .source import open_report

    render = renderer_for(fmt)
    path = _check_out(Path(out))
    with open_report(target, project, filters, generated_at=generated_at) as report:
        render(report, path)
    return path
