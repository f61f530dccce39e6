"""HTML export: one self-contained file (inline CSS, inline SVG charts, no scripts, no external
references), readable on screen and printed (print CSS: A4, repeated table headers, rows never
split across pages). Every value from the database is HTML-escaped. Streamed: the event table is
written row by row.

Body digest
    The *body* is every byte of the file before the line that starts with
    ``<!--nexo-report-footer-->``; its SHA-256 is printed in the footer that follows that marker
    line. To check by hand::

        sed -n '/^<!--nexo-report-footer-->$/q;p' report.html | sha256sum
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path

from .layout import Banner, Block, Cell, CellLike, Chart, Heading, KeyValues, Paragraph, Table, document, when
from .model import Report
from .sink import HashingWriter, atomic_output

FOOTER_MARKER = "<!--nexo-report-footer-->"

CSS = """
:root { --ink:#263238; --muted:#607d8b; --line:#cfd8dc; --head:#eceff1; --ok:#2e7d32; --bad:#c62828; --warn:#b26a00; }
* { box-sizing: border-box; }
body { font: 13px/1.45 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 24px auto; max-width: 1280px; padding: 0 18px; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 26px 0 8px; padding-bottom: 3px; border-bottom: 2px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 6px; }
.sub { color: var(--muted); margin: 0 0 14px; }
.muted { color: var(--muted); }
.banner { padding: 10px 14px; margin: 14px 0; border-left: 6px solid; border-radius: 3px; }
.banner.ok { background: #e8f5e9; border-color: var(--ok); }
.banner.bad { background: #ffebee; border-color: var(--bad); }
.banner strong { display: block; font-size: 15px; }
.banner.ok, .banner.bad { color: var(--ink); font-weight: normal; }  /* only the title in the tone */
.banner.ok strong { color: var(--ok); }
.banner.bad strong { color: var(--bad); }
table { border-collapse: collapse; width: 100%; margin: 4px 0 10px; font-size: 12px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; vertical-align: top; text-align: left;
         overflow-wrap: anywhere; word-break: break-word; }
thead th { background: var(--head); font-weight: 600; overflow-wrap: normal; word-break: normal; }
table.kv th { width: 16%; background: var(--head); font-weight: 600; }
table.small { font-size: 11px; }
td.right, th.right { text-align: right; }
.mono { font-family: "DejaVu Sans Mono", Consolas, Menlo, monospace; font-size: 0.92em; }
.pre { white-space: pre-wrap; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
td.muted { color: #b0bec5; }
.empty { color: var(--muted); font-style: italic; }
.charts { display: flex; flex-wrap: wrap; gap: 14px; }
.chart { border: 1px solid var(--line); padding: 6px; background: #fff; }
.chart svg { max-width: 100%; height: auto; display: block; }
footer { margin-top: 28px; padding-top: 8px; border-top: 2px solid var(--line); color: var(--muted); font-size: 11px; }
footer code { color: var(--ink); }
@media print {
  @page { size: A4; margin: 14mm 11mm 15mm; }
  body { margin: 0; max-width: none; padding: 0; font-size: 10px; }
  h2 { font-size: 14px; break-after: avoid; page-break-after: avoid; }
  h2.page { break-before: page; page-break-before: always; }
  h3 { break-after: avoid; page-break-after: avoid; }
  table { font-size: 9px; }
  table.small { font-size: 8px; }
  thead { display: table-header-group; }
  tr, .chart, .banner, table.kv { break-inside: avoid; page-break-inside: avoid; }
  .charts { display: block; }
  .chart { margin-bottom: 8px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _cell(c: CellLike, tag: str = "td", align: str = "left", mono: bool = False) -> str:
    if isinstance(c, str):
        c = Cell(c)
    classes = []
    if align == "right":
        classes.append("right")
    if c.mono or mono:
        classes.append("mono")
    if c.pre:
        classes.append("pre")
    body = escape(c.text)
    if c.detail:
        body = (f'<span class="{c.tone}">{body}</span>' if c.tone else body) + "\n" + escape(c.detail)
        if not c.pre:
            body = body.replace("\n", "<br>")
    elif c.tone:
        classes.append(c.tone)
    attrs = f' class="{" ".join(classes)}"' if classes else ""
    if c.title and c.title != c.text:
        attrs += f' title="{escape(c.title)}"'
    return f"<{tag}{attrs}>{body}</{tag}>"


def _table(t: Table, out: HashingWriter) -> None:
    total = sum(col.weight for col in t.columns) or 1
    out.write(f'<table class="{t.key}{" small" if t.small else ""}"><colgroup>')
    for col in t.columns:
        out.write(f'<col style="width:{100 * col.weight / total:.1f}%">')
    out.write("</colgroup><thead><tr>")
    for col in t.columns:
        cls = ' class="right"' if col.align == "right" else ""
        out.write(f"<th{cls}>{escape(col.title)}</th>")
    out.write("</tr></thead><tbody>\n")
    n = 0
    for row in t.rows():
        out.write("<tr>" + "".join(_cell(c, align=col.align, mono=col.mono) for c, col in zip(row, t.columns))
                  + "</tr>\n")
        n += 1
    if n == 0:
        out.write(f'<tr><td class="empty" colspan="{len(t.columns)}">{escape(t.empty)}</td></tr>\n')
    out.write("</tbody></table>\n")


def _blocks(blocks: Iterable[Block], out: HashingWriter) -> None:
    charts_open = False
    for b in blocks:
        if isinstance(b, Chart):
            if not charts_open:
                out.write('<div class="charts">')
                charts_open = True
            out.write(f'<div class="chart">{b.svg}</div>')
            continue
        if charts_open:
            out.write("</div>\n")
            charts_open = False
        if isinstance(b, Heading):
            cls = ' class="page"' if b.new_page else ""
            out.write(f"<h{b.level}{cls}>{escape(b.text)}</h{b.level}>\n")
        elif isinstance(b, Paragraph):
            out.write(f'<p class="{b.tone}">{escape(b.text)}</p>\n' if b.tone else f"<p>{escape(b.text)}</p>\n")
        elif isinstance(b, Banner):
            out.write(f'<div class="banner {"ok" if b.ok else "bad"}"><strong>{escape(b.title)}</strong>'
                      f"{escape(b.text)}</div>\n")
        elif isinstance(b, KeyValues):
            out.write('<table class="kv"><tbody>')
            for k, v in b.items:
                out.write(f"<tr><th>{escape(k)}</th>{_cell(v)}</tr>")
            out.write("</tbody></table>\n")
        elif isinstance(b, Table):
            _table(b, out)
    if charts_open:
        out.write("</div>\n")


def write_html(report: Report, out: Path) -> str:
    """Write the HTML report; return the body's SHA-256 (also printed in its footer)."""
    h = report.header
    with atomic_output(Path(out)) as fh:
        sink = HashingWriter(fh)
        title = f"Audit report \u2014 {h.database}"
        sink.write('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                   '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                   f'<meta name="generator" content="Nexo Studio {escape(h.tool_version)}">\n'
                   f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n")
        sink.write(f"<h1>Nexo Studio audit report</h1>\n<p class=\"sub\">{escape(h.database)} \u00b7 "
                   f"generated {escape(when(h.generated_at))} UTC by {escape(h.generated_by)}</p>\n")
        _blocks(document(report), sink)
        sink.write("\n")
        digest = sink.hexdigest()
        sink.hashing = False
        sink.write(f"{FOOTER_MARKER}\n<footer><p>Report body SHA-256: <code>{digest}</code></p>"
                   "<p>The body is every byte of this file before the line <code>"
                   f"{escape(FOOTER_MARKER)}</code>; check it with <code>sed -n "
                   f"'/^{escape(FOOTER_MARKER)}$/q;p' FILE | sha256sum</code>. Generated by Nexo Studio "
                   f"{escape(h.tool_version)} on {escape(when(h.generated_at))} UTC.</p></footer>\n"
                   "</body>\n</html>\n")
        sink.flush()
    return digest
