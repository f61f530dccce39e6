"""CSV export: one row per history event, streamed.

Layout
    * UTF-8 with a byte-order mark (so spreadsheets detect the encoding), RFC 4180 quoting,
      CRLF line ends.
    * First line: the column names, always in this order -- every column of
      ``__MigrationHistory`` (``HISTORY_COLUMNS``): ``seq, deployment_id, migration_id, action,
      status, started_at, finished_at, duration_ms, operator, host, tool_version, details, error,
      prev_hash, hash``.
    * A last column, ``audit``, after those (added later: readers that pick columns by name, or
      take the first fifteen, are unaffected; it is not a history column, so leave it out when
      recomputing ``hash``): what the audit verdict -- the same as ``nexo
      audit verify`` -- says about that row: ``ok``; ``TAMPERED: <why>`` for a row that breaks the
      hash chain (edited, or rows deleted before it: "seq 4 deleted") or an event __Migrations
      contradicts; ``tampered, accepted at seq N: <why>`` for a change accepted on record, and
      ``accepts the tampered row seq S`` on the row that accepted it. What concerns the history
      as a whole (rows deleted from its end, a table lost, an event whose row is gone) is added
      to the last row, as ``TAMPERED (history): <why>``; when no row is listed, one line with
      only ``audit`` filled says it.
    * A last column, ``schema_drift`` (added with live drift, SPEC §10; also not hashed): the drift
      verdict of the live schema against the last snapshot, on the last line only (a line of its
      own when no event is listed), empty on the others: ``none (matches snapshot #…)``, ``DRIFT:
      N change(s) since …: <kind> <object> <name>: + after / - before / ~ before -> after; …``,
      ``no snapshot (…)``, ``stale: …`` or ``unknown: <why>``.
    * Then one line per filtered event, in ``seq`` order. Times are UTC ISO-8601 with
      microseconds and ``Z`` (``2025-01-26T09:30:00.123456Z``) -- the exact text the hash chain
      hashes, so ``hash`` can be recomputed from a CSV row. Empty cell = NULL. ``details`` is the
      stored JSON text. Values are written as stored (no spreadsheet-formula escaping, which
      would alter the evidence); open untrusted files with formulas disabled.

Body digest
    The CSV carries no footer line (it would break spreadsheets and CSV readers). Instead the
    SHA-256 of the whole file (every byte, BOM included) is written beside it to ``PATH.sha256``
    in ``sha256sum`` format (``<hex>  <file name>``), so ``sha256sum -c PATH.sha256`` checks it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .drift_section import drift_text
from .model import HISTORY_COLUMNS, Report, event_values, integrity_notes, iso
from .sink import HashingWriter, atomic_output

#: the audit column of a row nothing is wrong with
AUDIT_OK = "ok"

#: the column after HISTORY_COLUMNS: what the audit verdict says about the row (not hashed)
AUDIT_COLUMN = "audit"
#: the column after that: the schema drift verdict, on the last line (not hashed)
DRIFT_COLUMN = "schema_drift"


def write_csv(report: Report, out: Path) -> str:
    """Write the CSV and its ``.sha256`` sidecar; return the body's SHA-256."""
    out = Path(out)
    with atomic_output(out) as fh:
        sink = HashingWriter(fh)
        sink.write("\ufeff")
        writer = csv.writer(sink, lineterminator="\r\n")
        writer.writerow((*HISTORY_COLUMNS, AUDIT_COLUMN, DRIFT_COLUMN))
        started, finished = HISTORY_COLUMNS.index("started_at"), HISTORY_COLUMNS.index("finished_at")
        notes, whole = integrity_notes(report.verdict)  # a pass over the whole history first
        whole_text = "; ".join(f"TAMPERED (history): {w}" for w in whole)
        last: list | None = None
        for r in report.events():
            if last is not None:
                writer.writerow(last)
            values = list(event_values(r))
            values[started] = iso(values[started])
            values[finished] = iso(values[finished])
            last = [*values, notes.get(values[0], AUDIT_OK), None]  # None is written as an empty cell
        if whole_text:  # history-wide findings ride on the last line, or on a line of their own
            if last is None:
                last = [None] * len(HISTORY_COLUMNS) + [whole_text, None]
            else:
                last[-2] = whole_text if last[-2] == AUDIT_OK else f"{last[-2]}; {whole_text}"
        drift = drift_text(report.drift)
        if drift:  # so is the schema's drift verdict
            if last is None:
                last = [None] * (len(HISTORY_COLUMNS) + 1) + [drift]
            else:
                last[-1] = drift
        if last is not None:
            writer.writerow(last)
        sink.flush()
        digest = sink.hexdigest()
    sidecar = out.with_name(out.name + ".sha256")
    with atomic_output(sidecar) as fh:
        fh.write(f"{digest}  {out.name}\n".encode())
    return digest
