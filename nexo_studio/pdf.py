"""PDF audit reports, drawn with Qt (QTextDocument + QPdfWriter + QPainter); works without a screen.

How it is drawn
    The report's blocks (``core.reports.layout`` -- the same content as the HTML report) become
    small QTextDocuments in the HTML subset Qt renders: one per heading, key/value list, banner
    and chart, and one per run of up to ``CHUNK_ROWS`` rows of a table (each with the column
    header row). Each document is laid out once at the body width, and its *cut points* are
    measured: the top of every table row. A planner fills A4 landscape pages (the event table
    has ten columns) top to bottom, cutting tables only between rows, repeating the table's
    header row at the top of every continued page, keeping headings with what follows and
    starting "Current state" and "Events" on new pages. Each page is then painted with a
    QPainter: a running header, every placed slice via ``QTextDocument.drawContents`` with a
    translate and a clip, and a footer with the page number ("Page i of n"). Only a single row
    taller than a whole page is ever split (at the page height); a chart taller than a page is
    scaled down instead. On long histories (more than ``KEEP_DOCS`` table chunks) the laid-out
    documents are released after planning and laid out again page by page while painting, so
    memory grows only by the HTML text of the rows (about 1 KB per event); a PDF of many
    thousands of events is still slow (about 100 pages per 3,000 events) -- CSV and JSON are
    the formats for bulk.

Without a screen
    With no ``DISPLAY``/``WAYLAND_DISPLAY`` (Linux and other X11 systems) Qt's ``offscreen``
    platform is selected before the application object is created; an existing
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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

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
PAGE_W, PAGE_H = round(297 * MM), round(210 * MM)  # A4 landscape
MARGIN_X = round(12 * MM)
HEADER_H = round(15 * MM)  # top margin, with the running header in it
FOOTER_H = round(14 * MM)  # bottom margin, with the footer in it
BODY_W = PAGE_W - 2 * MARGIN_X
BODY_H = PAGE_H - HEADER_H - FOOTER_H
CHUNK_ROWS = 300  # table rows per QTextDocument (keeps Qt's table layout fast on long histories)
KEEP_DOCS = 8  # with more table chunks than this, laid-out documents are released after planning
#                 and rebuilt page by page while painting: memory stays flat on long histories
PAD, BORDER = 2, 1  # table cell padding and border, document units

INK, MUTED, LINE, HEAD_BG = "#263238", "#607d8b", "#b0bec5", "#eceff1"
TONES = {"ok": "#2e7d32", "bad": "#c62828", "warn": "#b26a00", "muted": "#90a4ae"}
SANS, MONO = "DejaVu Sans", "DejaVu Sans Mono"

_app = None


def ensure_app() -> Any:
    """The running Qt GUI application, or a new one (offscreen when there is no display)."""
    global _app
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    if app is not None:
        return app
    if sys.platform not in ("win32", "darwin") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # a QApplication, not a QGuiApplication: a process that renders a PDF first and opens a
    # window later (the test suite, a future GUI export) would otherwise abort in QWidget().
    from PySide6.QtWidgets import QApplication

    _app = QApplication(sys.argv[:1] or ["nexo"])
    return _app


# -- HTML in the subset QTextDocument renders --------------------------------------------------

_LONG = re.compile(r"\S{18,}")
_SOFT = re.compile(r"([_./\\:,=&?-])")


def _breakable(text: str) -> str:
    """Allow line breaks inside long tokens (ids, uuids, paths) with zero-width spaces."""

    def soften(m: re.Match) -> str:
        parts = _SOFT.sub("\\1\u200b", m.group(0)).split("\u200b")
        return "\u200b".join(p if len(p) <= 16 else "\u200b".join(p[i:i + 12] for i in range(0, len(p), 12))
                             for p in parts)

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
    body = f'<span style="{"; ".join(style)}">{body}</span>' if style else body
    return body + "<br>" + _text(c.detail) if c.detail else body


def _page(body: str, size: str = "8pt") -> str:
    return f"<html><body style=\"font-family:'{SANS}'; font-size:{size}; color:{INK}\">{body}</body></html>"


def _table_open(size: str) -> str:
    return (f'<table width="100%" cellspacing="0" cellpadding="{PAD}" border="{BORDER}" '
            f'style="border-collapse:collapse; border-color:{LINE}; border-style:solid; font-size:{size}">')


def _table_chunks(t: Table) -> Iterator[str]:
    """HTML of the table in runs of CHUNK_ROWS rows, each starting with the header row."""
    total = sum(col.weight for col in t.columns) or 1
    size = "6.5pt" if t.small else "7.5pt"
    head = "<thead><tr>" + "".join(
        f'<th width="{100 * col.weight / total:.2f}%" bgcolor="{HEAD_BG}" '
        f'align="{"right" if col.align == "right" else "left"}">{escape(col.title)}</th>' for col in t.columns
    ) + "</tr></thead>"
    rows: list[str] = []
    for row in t.rows():
        cells = "".join(f'<td valign="top"{" align=right" if col.align == "right" else ""}>{_span(c, col.mono)}</td>'
                        for c, col in zip(row, t.columns))
        rows.append(f"<tr>{cells}</tr>")
        if len(rows) == CHUNK_ROWS:
            yield _table_open(size) + head + "".join(rows) + "</table>"
            rows = []
    if rows:
        yield _table_open(size) + head + "".join(rows) + "</table>"


def _kv(b: KeyValues) -> str:
    rows = "".join(f'<tr><th width="16%" align="left" valign="top" bgcolor="{HEAD_BG}">{escape(k)}</th>'
                   f'<td valign="top">{_span(v)}</td></tr>' for k, v in b.items)
    return _table_open("7.5pt") + rows + "</table>"


def _banner(b: Banner) -> str:
    colour, bg = (TONES["ok"], "#e8f5e9") if b.ok else (TONES["bad"], "#ffebee")
    return (f'<table width="100%" cellspacing="0" cellpadding="6" border="0" bgcolor="{bg}">'
            f'<tr><td width="5" bgcolor="{colour}"></td><td>'
            f'<span style="font-size:11pt; font-weight:700; color:{colour}">{escape(b.title)}</span><br>'
            f'<span style="font-size:8pt">{_text(b.text)}</span></td></tr></table>')


# -- flowables ---------------------------------------------------------------------------------


@dataclass
class Flowable:
    doc: Any  # QTextDocument, laid out at BODY_W
    height: float
    cuts: list[float]  # where a page may end inside it, ascending; the last is ``height``
    header: float = 0.0  # height of the table header row repeated on continued pages (0: none)
    start: float = 0.0  # where drawing starts (a later chunk of a table skips its header row)
    gap: float = 6.0  # space above it, unless it starts a page
    keep_with_next: bool = False
    new_page: bool = False
    is_table: bool = False
    rebuild: Any = None  # makes ``doc`` again after it was released (long tables)

    def document(self) -> Any:
        if self.doc is None:
            self.doc = self.rebuild()
        return self.doc


@dataclass
class Slice:
    flow: Flowable
    top: float  # source range in the flowable's document
    bottom: float
    y: float  # destination, from the top of the page body
    rule_below: bool = False  # a table cut at the page end: close it with a line


class _Builder:
    def __init__(self, writer: Any) -> None:
        from PySide6.QtGui import QFont, QTextDocument

        self._QTextDocument = QTextDocument
        self.writer = writer
        self.font = QFont(SANS, 8)

    def doc(self, html: str, resources: Iterable[tuple[str, Any]] = ()) -> Any:
        from PySide6.QtCore import QUrl

        doc = self._QTextDocument()
        doc.documentLayout().setPaintDevice(self.writer)
        doc.setDefaultFont(self.font)
        doc.setDocumentMargin(0)
        for name, image in resources:
            doc.addResource(self._QTextDocument.ResourceType.ImageResource, QUrl(name), image)
        doc.setHtml(html)
        doc.setTextWidth(BODY_W)
        return doc

    def whole(self, html: str, **kw: Any) -> Flowable:
        doc = self.doc(_page(html))
        h = doc.size().height()
        return Flowable(doc, h, [h], **kw)

    def table(self, html: str, has_header: bool, continuation: bool = False, gap: float = 6.0) -> Flowable:
        from PySide6.QtGui import QTextTable

        doc = self.doc(_page(html))
        height = doc.size().height()
        table = next((f for f in doc.rootFrame().childFrames() if isinstance(f, QTextTable)), None)
        if table is None:
            return Flowable(doc, height, [height], gap=gap)
        layout = doc.documentLayout()
        tops = [layout.blockBoundingRect(table.cellAt(r, 0).firstCursorPosition().block()).top() - PAD - BORDER
                for r in range(table.rows())]
        first_data = 1 if has_header else 0
        header = tops[1] if has_header and len(tops) > 1 else 0.0
        # a page may end after any row, but never between the header and the first row
        cuts = [t for t in tops[first_data + 1:]] + [height]
        return Flowable(doc, height, cuts, header=header, start=header if continuation else 0.0,
                        gap=0.0 if continuation else gap, is_table=True, rebuild=lambda: self.doc(_page(html)))

    def chart(self, chart: Chart) -> Flowable:
        scale = min(1.0, BODY_W / chart.width, (BODY_H - 4) / chart.height)  # never split a picture
        name = f"nexo-chart:{chart.key}"
        html = f'<img src="{name}" width="{int(chart.width * scale)}" height="{int(chart.height * scale)}">'
        doc = self.doc(_page(html), [(name, _chart_image(chart))])
        h = doc.size().height()
        return Flowable(doc, h, [h], gap=8.0)

    def flowables(self, report: Report, blocks: Iterable[Block]) -> Iterator[Flowable]:
        h = report.header
        yield self.whole(
            f'<p style="font-size:16pt; font-weight:700; margin:0">Nexo Studio audit report</p>'
            f'<p style="color:{MUTED}; margin:2px 0 0 0">{_text(h.database)} \u00b7 generated '
            f"{escape(when(h.generated_at))} UTC by {escape(h.generated_by)}</p>", gap=0.0)
        for b in blocks:
            if isinstance(b, Heading):
                size = "12pt" if b.level == 2 else "9.5pt"
                yield self.whole(f'<p style="font-size:{size}; font-weight:700; margin:0">{escape(b.text)}</p>',
                                 gap=14.0 if b.level == 2 else 8.0, keep_with_next=True, new_page=b.new_page)
            elif isinstance(b, Paragraph):
                yield self.whole(f'<p style="color:{TONES.get(b.tone, INK)}; margin:0">{_text(b.text)}</p>', gap=3.0)
            elif isinstance(b, Banner):
                yield self.whole(_banner(b), gap=8.0)
            elif isinstance(b, KeyValues):
                yield self.table(_kv(b), has_header=False, gap=4.0)
            elif isinstance(b, Chart):
                yield self.chart(b)
            elif isinstance(b, Table):
                n = 0
                for n, html in enumerate(_table_chunks(b), 1):
                    yield self.table(html, has_header=True, continuation=n > 1, gap=4.0)
                if n == 0:
                    yield self.whole(f'<p style="color:{MUTED}; margin:0"><i>{escape(b.empty)}</i></p>', gap=3.0)


def plan(flows: list[Flowable]) -> list[list[Slice]]:
    """Place flowables on pages; cut tables only between rows; repeat table headers."""
    pages: list[list[Slice]] = []
    page: list[Slice] = []
    y = 0.0

    def new_page() -> None:
        nonlocal page, y
        pages.append(page)
        page, y = [], 0.0

    for i, f in enumerate(flows):
        if f.new_page and page:
            new_page()
        if page:
            y += f.gap
        if f.keep_with_next and i + 1 < len(flows) and page:
            nxt = flows[i + 1]
            first = next((c for c in nxt.cuts if c > nxt.start), nxt.height) - nxt.start
            if y + f.height + nxt.gap + first > BODY_H:
                new_page()
        pos = f.start
        while pos < f.height - 0.01:
            header = f.header if (f.is_table and f.header and pos > 0 and not page) else 0.0
            avail = BODY_H - y - header
            fits = [c for c in f.cuts if c > pos and c - pos <= avail + 0.01]
            if fits:
                cut = fits[-1]
            elif page:  # does not fit under what is already on this page
                new_page()
                continue
            else:  # taller than a whole page even alone: split it at the page height
                cut = pos + max(avail, 1.0)
            if header:
                page.append(Slice(f, 0.0, header, y))
                y += header
            page.append(Slice(f, pos, cut, y, rule_below=f.is_table and cut < f.height - 0.01))
            y += cut - pos
            pos = cut
    if page or not pages:
        pages.append(page)
    return pages


def _chart_image(chart: Chart, scale: float = 3.0) -> Any:
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


# -- painting ----------------------------------------------------------------------------------


def _measured_flows(writer, report: Report) -> tuple[list, bool]:  # noqa: ANN001
    """Every flowable of the report, measured; with many tables, their documents are dropped
    (``releasing``: laid out again when their page is painted)."""
    builder = _Builder(writer)
    flows, tables = [], 0
    for flow in builder.flowables(report, document(report)):
        flows.append(flow)
        tables += flow.is_table
        if flow.is_table and tables > KEEP_DOCS:
            flow.doc = None  # measured; laid out again when its page is painted
    return flows, tables > KEEP_DOCS


@dataclass
class _Chrome:
    """What every page's running header and footer show."""

    small: Any
    fm: Any
    rule: Any
    left_head: str
    right_head: str
    digest: str
    pages: int


def _paint_header(painter, c: _Chrome) -> None:  # noqa: ANN001
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor

    base = HEADER_H - 5 * MM
    fm = c.fm
    painter.setFont(c.small)
    painter.setPen(QColor(MUTED))
    rw = fm.horizontalAdvance(c.right_head)
    painter.drawText(QRectF(MARGIN_X, base - fm.height(), BODY_W - rw - 16, fm.height()),
                     Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                     fm.elidedText(c.left_head, Qt.TextElideMode.ElideMiddle, BODY_W - rw - 16))
    painter.drawText(QRectF(PAGE_W - MARGIN_X - rw, base - fm.height(), rw, fm.height()),
                     Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, c.right_head)
    painter.setPen(c.rule)
    painter.drawLine(QPointF(MARGIN_X, base + 3), QPointF(PAGE_W - MARGIN_X, base + 3))


def _paint_body(painter, slices) -> None:  # noqa: ANN001
    from PySide6.QtCore import QPointF, QRectF
    from PySide6.QtGui import QColor, QPen

    for s in slices:
        painter.save()
        painter.translate(MARGIN_X, HEADER_H + s.y - s.top)
        s.flow.document().drawContents(painter, QRectF(0, s.top, BODY_W, s.bottom - s.top))
        painter.restore()
        if s.rule_below:
            painter.setPen(QPen(QColor(LINE), BORDER))
            y = HEADER_H + s.y + (s.bottom - s.top)
            painter.drawLine(QPointF(MARGIN_X, y), QPointF(MARGIN_X + BODY_W, y))


def _paint_footer(painter, c: _Chrome, number: int) -> None:  # noqa: ANN001
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor

    fm = c.fm
    top = PAGE_H - FOOTER_H + 4 * MM
    painter.setPen(c.rule)
    painter.drawLine(QPointF(MARGIN_X, top), QPointF(PAGE_W - MARGIN_X, top))
    painter.setFont(c.small)
    painter.setPen(QColor(MUTED))
    label = f"Page {number} of {c.pages}"
    nw = fm.horizontalAdvance(label)
    painter.drawText(QRectF(MARGIN_X, top + 3, BODY_W - nw - 16, fm.height()),
                     Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                     f"Report body SHA-256 (canonical JSON of the report data): {c.digest}")
    painter.drawText(QRectF(PAGE_W - MARGIN_X - nw, top + 3, nw, fm.height()),
                     Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, label)


def _paint_pages(writer, pages, chrome: _Chrome, releasing: bool) -> None:  # noqa: ANN001
    from PySide6.QtGui import QPainter

    last_page = {id(s.flow): n for n, slices in enumerate(pages) for s in slices}
    painter = QPainter(writer)
    try:
        for number, slices in enumerate(pages, 1):
            if number > 1:
                writer.newPage()
            _paint_header(painter, chrome)
            _paint_body(painter, slices)
            if releasing:
                for s in slices:
                    if s.flow.is_table and last_page[id(s.flow)] == number - 1:
                        s.flow.doc = None
            _paint_footer(painter, chrome, number)
    finally:
        painter.end()
    del painter


def write_pdf(report: Report, out: Path) -> str:
    """Render ``report`` to ``out`` (PDF); return the body digest printed in its footers."""
    ensure_app()
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPageLayout, QPageSize, QPdfWriter, QPen

    digest = body_digest(report)
    out = Path(out)
    h = report.header
    with atomic_path(out) as part:
        writer = QPdfWriter(str(part))
        writer.setResolution(DPI)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape,
                                         QMarginsF(0, 0, 0, 0)))
        writer.setTitle(f"Nexo Studio audit report \u2014 {h.database}")
        writer.setCreator(f"Nexo Studio {h.tool_version}")
        flows, releasing = _measured_flows(writer, report)
        pages = plan(flows)
        small = QFont(SANS, 6)  # QFont takes whole points: the 6.5 written here before was 6 too
        chrome = _Chrome(small, QFontMetricsF(small, writer), QPen(QColor(LINE), 0.8),
                         f"Nexo Studio audit report \u00b7 {h.database}",
                         f"generated {when(h.generated_at)} UTC \u00b7 history to seq {h.head_seq}",
                         digest, len(pages))
        _paint_pages(writer, pages, chrome, releasing)
        del writer, flows, pages, chrome
    return digest


register_renderer("pdf", write_pdf)
