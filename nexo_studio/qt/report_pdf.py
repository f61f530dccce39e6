"""PDF audit reports, drawn with Qt: the report's blocks (``core.reports.layout``) become a
QTextDocument in the HTML subset Qt understands, which is paginated and painted page by page into
a QPdfWriter -- A4 landscape (the event table has ten columns), margins, a running header and a footer with the page number on every
page, table header rows repeated after each page break, rows never cut in half.

Works without a screen: with no ``DISPLAY``/``WAYLAND_DISPLAY`` (Linux and other X11 systems)
Qt's ``offscreen`` platform is selected before the application object is created; an existing
QApplication/QGuiApplication (the GUI, pytest-qt) is reused.

Importing this module registers the ``pdf`` renderer with ``nexo_studio.core.reports``.

Body digest
    A PDF cannot contain its own hash, and its bytes are not reproducible across Qt versions,
    so the *body* of a PDF report is its data: the footer of every page prints the SHA-256 of the
    report's canonical JSON serialisation -- exactly the ``body_sha256`` that a JSON export of the
    same report data carries (definition in ``core.reports.json_report``).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from html import escape
from pathlib import Path

from nexo_studio.core.reports.export import register_renderer
from nexo_studio.core.reports.json_report import body_digest
from nexo_studio.core.reports.layout import (
    Banner,
    Block,
    Cell,
    CellLike,
    Chart,
    Heading,
    KeyValues,
    Paragraph,
    Table,
    document,
    when,
)
from nexo_studio.core.reports.model import Report
from nexo_studio.core.reports.sink import atomic_path

# -- page geometry (document units: 1/96 inch, the QPdfWriter resolution used) ------------------
DPI = 96
MM = DPI / 25.4
PAGE_W, PAGE_H = round(297 * MM), round(210 * MM)  # A4 landscape: the event table is wide
MARGIN_X = round(13 * MM)
HEADER_H = round(16 * MM)  # top margin including the running header
FOOTER_H = round(15 * MM)  # bottom margin including the footer
BODY_W = PAGE_W - 2 * MARGIN_X
BODY_H = PAGE_H - HEADER_H - FOOTER_H

INK, MUTED, LINE, HEAD_BG = "#263238", "#607d8b", "#b0bec5", "#eceff1"
TONES = {"ok": "#2e7d32", "bad": "#c62828", "warn": "#b26a00", "muted": "#90a4ae"}
SANS, MONO = "DejaVu Sans", "DejaVu Sans Mono"

_app = None


def ensure_app():
    """The running Qt GUI application, or a new one (offscreen when there is no display)."""
    global _app
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    if app is not None:
        return app
    if sys.platform not in ("win32", "darwin") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication(sys.argv[:1] or ["nexo"])
    return _app


# -- HTML (the subset QTextDocument renders) --------------------------------------------------

_LONG = re.compile(r"\S{18,}")
_SOFT = re.compile(r"([_./\\:,=&?-])")


def _breakable(text: str) -> str:
    """Allow line breaks inside long tokens (ids, uuids, paths, hashes) so no column is clipped."""

    def soften(m: re.Match) -> str:
        token = _SOFT.sub("\\1\u200b", m.group(0))
        return "\u200b".join(part if len(part) <= 16 else "\u200b".join(part[i:i + 12] for i in range(0, len(part), 12))
                             for part in token.split("\u200b"))

    return _LONG.sub(soften, text)


def _text(text: str) -> str:
    return escape(_breakable(text)).replace("\n", "<br>")


def _span(c: CellLike, mono: bool = False) -> str:
    if isinstance(c, str):
        c = Cell(c)
    style = []
    if c.mono or mono:
        style.append(f"font-family:'{MONO}'; font-size:6.5pt")
    if c.tone:
        style.append(f"color:{TONES[c.tone]}")
        if c.tone in ("ok", "bad", "warn"):
            style.append("font-weight:600")
    body = _text(c.text)
    return f'<span style="{"; ".join(style)}">{body}</span>' if style else body


def _table(t: Table) -> str:
    total = sum(col.weight for col in t.columns) or 1
    size = "6.5pt" if t.small else "7.5pt"
    out = [f'<table width="100%" cellspacing="0" cellpadding="2" border="1" '
           f'style="border-collapse:collapse; border-color:{LINE}; border-style:solid; font-size:{size}">'
           "<thead><tr>"]
    for col in t.columns:
        out.append(f'<th width="{100 * col.weight / total:.1f}%" bgcolor="{HEAD_BG}" '
                   f'align="{"right" if col.align == "right" else "left"}">{escape(col.title)}</th>')
    out.append("</tr></thead><tbody>")
    n = 0
    for row in t.rows():
        out.append("<tr>")
        for c, col in zip(row, t.columns):
            align = ' align="right"' if col.align == "right" else ""
            out.append(f'<td valign="top"{align}>{_span(c, col.mono)}</td>')
        out.append("</tr>")
        n += 1
    if n == 0:
        out.append(f'<tr><td colspan="{len(t.columns)}" style="color:{MUTED}"><i>{escape(t.empty)}</i></td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _kv(b: KeyValues) -> str:
    rows = "".join(f'<tr><th width="17%" align="left" valign="top" bgcolor="{HEAD_BG}">{escape(k)}</th>'
                   f'<td valign="top">{_span(v)}</td></tr>' for k, v in b.items)
    return (f'<table width="100%" cellspacing="0" cellpadding="3" border="1" '
            f'style="border-collapse:collapse; border-color:{LINE}; font-size:7.5pt">{rows}</table>')


def _banner(b: Banner) -> str:
    colour, bg = (TONES["ok"], "#e8f5e9") if b.ok else (TONES["bad"], "#ffebee")
    return (f'<table width="100%" cellspacing="0" cellpadding="6" border="0" bgcolor="{bg}" '
            f'style="margin-top:4px; margin-bottom:6px"><tr><td width="6" bgcolor="{colour}"></td><td>'
            f'<span style="font-size:11pt; font-weight:700; color:{colour}">{escape(b.title)}</span><br>'
            f'<span style="font-size:8pt">{_text(b.text)}</span></td></tr></table>')


def _html(report: Report, blocks: Iterable[Block], charts: list[Chart]) -> str:
    h = report.header
    out = [f'<html><body style="font-family:\'{SANS}\'; font-size:8pt; color:{INK}">',
           f'<p style="font-size:16pt; font-weight:700; margin-bottom:0">Nexo Studio audit report</p>',
           f'<p style="color:{MUTED}; margin-top:2px">{_text(h.database)} \u00b7 generated '
           f"{escape(when(h.generated_at))} UTC by {escape(h.generated_by)}</p>"]
    for b in blocks:
        if isinstance(b, Heading):
            size = "12pt" if b.level == 2 else "10pt"
            brk = "page-break-before:always; " if b.new_page else ""
            out.append(f'<p style="{brk}font-size:{size}; font-weight:700; margin-top:12px; margin-bottom:4px">'
                       f"{escape(b.text)}</p>")
        elif isinstance(b, Paragraph):
            colour = TONES.get(b.tone, INK)
            out.append(f'<p style="color:{colour}; margin-top:0">{_text(b.text)}</p>')
        elif isinstance(b, Banner):
            out.append(_banner(b))
        elif isinstance(b, KeyValues):
            out.append(_kv(b))
        elif isinstance(b, Chart):
            charts.append(b)
            scale = min(1.0, BODY_W / b.width)
            out.append(f'<p style="margin-top:6px"><img src="nexo-chart:{b.key}" width="{int(b.width * scale)}" '
                       f'height="{int(b.height * scale)}"></p>')
        elif isinstance(b, Table):
            out.append(_table(b))
    out.append("</body></html>")
    return "".join(out)


def _chart_image(chart: Chart, scale: float = 3.0):
    from PySide6.QtCore import QByteArray, QRectF
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(int(chart.width * scale), int(chart.height * scale), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    renderer = QSvgRenderer(QByteArray(chart.svg.encode("utf-8")))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    return image


# -- painting -------------------------------------------------------------------------------------


def write_pdf(report: Report, out: Path) -> str:
    """Render ``report`` to ``out`` (PDF); return the body digest printed in its footers."""
    ensure_app()
    from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt, QUrl
    from PySide6.QtGui import (
        QColor,
        QFont,
        QFontMetricsF,
        QPageLayout,
        QPageSize,
        QPainter,
        QPdfWriter,
        QPen,
        QTextDocument,
    )

    digest = body_digest(report)
    charts: list[Chart] = []
    html = _html(report, document(report), charts)

    out = Path(out)
    with atomic_path(out) as part:
        writer = QPdfWriter(str(part))
        writer.setResolution(DPI)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape,
                                         QMarginsF(0, 0, 0, 0)))
        writer.setTitle(f"Nexo Studio audit report \u2014 {report.header.database}")
        writer.setCreator(f"Nexo Studio {report.header.tool_version}")

        doc = QTextDocument()
        doc.documentLayout().setPaintDevice(writer)
        doc.setDefaultFont(QFont(SANS, 8))
        doc.setDocumentMargin(0)
        for chart in charts:
            doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"nexo-chart:{chart.key}"),
                            _chart_image(chart))
        doc.setHtml(html)
        doc.setPageSize(QSizeF(BODY_W, BODY_H))
        pages = doc.pageCount()

        painter = QPainter(writer)
        small = QFont(SANS, 6.5)
        fm = QFontMetricsF(small, writer)
        h = report.header
        left_head = f"Nexo Studio audit report \u00b7 {h.database}"
        right_head = f"generated {when(h.generated_at)} UTC"
        try:
            for page in range(pages):
                if page:
                    writer.newPage()
                # running header
                painter.setFont(small)
                painter.setPen(QColor(MUTED))
                base = HEADER_H - round(6 * MM)
                rw = fm.horizontalAdvance(right_head)
                painter.drawText(QRectF(MARGIN_X, base - fm.height(), BODY_W - rw - 12, fm.height()),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                                 fm.elidedText(left_head, Qt.TextElideMode.ElideMiddle, BODY_W - rw - 12))
                painter.drawText(QRectF(PAGE_W - MARGIN_X - rw, base - fm.height(), rw, fm.height()),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, right_head)
                painter.setPen(QPen(QColor(LINE), 0.8))
                painter.drawLine(MARGIN_X, base + 3, PAGE_W - MARGIN_X, base + 3)
                # body: this page's slice of the paginated document
                painter.save()
                painter.translate(MARGIN_X, HEADER_H - page * BODY_H)
                doc.drawContents(painter, QRectF(0, page * BODY_H, BODY_W, BODY_H))
                painter.restore()
                # footer
                top = PAGE_H - FOOTER_H + round(5 * MM)
                painter.setPen(QPen(QColor(LINE), 0.8))
                painter.drawLine(MARGIN_X, top, PAGE_W - MARGIN_X, top)
                painter.setFont(small)
                painter.setPen(QColor(MUTED))
                number = f"Page {page + 1} of {pages}"
                nw = fm.horizontalAdvance(number)
                painter.drawText(QRectF(MARGIN_X, top + 3, BODY_W - nw - 12, fm.height()),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                                 f"Report body SHA-256: {digest}")
                painter.drawText(QRectF(PAGE_W - MARGIN_X - nw, top + 3, nw, fm.height()),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, number)
        finally:
            painter.end()
        del painter, writer
    return digest


register_renderer("pdf", write_pdf)
