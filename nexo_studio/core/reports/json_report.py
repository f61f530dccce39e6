"""JSON export, schema ``nexo-report/1``; streamed.

Document (members in this order; times are UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; absent = null)::

    {
      "schema": "nexo-report/1",
      "header": {
        "title", "database" (URL, password redacted), "dialect", "server_version",
        "schema_version" (newest applied version or null), "project" (migrations folder),
        "generated_at", "generated_by" ("user@host"), "tool": "nexo-studio", "tool_version",
        "filters": {"since", "until", "migration_id", "action", "status", "deployment_id"},
        "filtered": bool,
        "history": {"rows", "head_seq", "head_hash"}   -- the whole history the report was cut
                                                          from: row count, last seq and its hash
      },
      "drift": {"status" (none|drift|no_snapshot|unknown), "snapshot", "live_sha256",
                "changes": [{"kind", "object_type", "name", "before", "after", "note"}]},
      "summary": {                                      -- over the filtered events
        "events": int,
        "by_action": {action: {status: count}},  "by_status": {status: count},
        "deployments": [{"deployment_id", "started_at", "finished_at", "duration_ms",
                         "outcome" (deployed|failed|cancelled|...|incomplete), "status",
                         "plan", "applied", "rolled_back", "failed", "backup", "error",
                         "operator", "host", "start_seq", "end_seq"}],
        "failures": [{"seq", "started_at", "action", "status", "migration_id", "deployment_id",
                      "error", "statement", "line", "file"}],
        "migrations": {"applied", "rolled_back", "failed", "drifted", "missing", "dirty",
                       "pending": [ids]},               -- current state, not filtered
        "apply_durations": [{"migration_id", "runs", "avg_ms", "max_ms", "last_ms"}]
      },
      "state": [{"id", "version", "name", "status" (pending|applied|failed|dirty|drifted|missing),
                 "stored_status", "description",
                 "applied_at", "applied_by", "execution_ms", "checksum", "checksum_state",
                 "depends", "reversible"}],
      "events": [                                       -- filtered, in seq order, one per line
        {"seq", "deployment_id", "migration_id", "action", "status", "started_at",
         "finished_at", "duration_ms", "operator", "host", "tool_version", "details", "error",
         "prev_hash", "hash"}                           -- every column exactly as stored
      ],
      "verdict": {"ok", "rows", "bad_seq", "reason", "scope": "whole history", "text",
                  "status" (intact|accepted|tampered), "seqs" (every seq concerned),
                  "breaks": [{"seq", "reason", "row_hash", "accepted_at": null}],
                  "accepted": [{"seq", "reason", "row_hash", "accepted_at"}],
                  "problems": [{"seq" (or null: the history as a whole), "text"}]},
                                                        -- the WHOLE history, as `nexo audit verify`
                                                           judges it: hash chain + state tables
      "body_sha256": hex
    }

``verdict.ok`` is false whenever ``nexo audit verify`` would exit 1: a row breaks the hash chain
(``breaks``), or the state tables contradict the history (``problems``: rows deleted from its
end, a table lost, a __Migrations row the history contradicts). ``bad_seq``/``reason`` name the
first; ``seqs`` lists every seq concerned. Members after ``text`` were added later (readers of
the first version ignore them). ``accepted``: rows changed outside the tool and accepted on
record (``repair --accept-history``), which no longer make the verdict false.

``verdict`` follows ``events`` so that an unfiltered report checks the chain over the rows it
writes, in the same pass. Events carry every hashed column as stored (``details`` is the stored JSON *text*, times are
the chain's text form), so ``hash`` can be recomputed from the report alone
(:func:`nexo_studio.core.reports.verify.verify_report`).

``body_sha256`` -- the *body* is the document without its ``body_sha256`` member, serialised
canonically: ``json.dumps(body, ensure_ascii=False, separators=(",", ":"))`` with members in
document order (as written, and as a JSON parser that keeps order reads them back), encoded as
UTF-8. Whitespace between tokens is not part of the body, so re-indenting the file keeps the
digest; changing, adding, removing or reordering any member changes it. It is an integrity
check (anyone can recompute it), not a signature: the chain hashes are what tie the events to
the database (compare ``header.history.head_hash`` with ``nexo audit verify`` on the database).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..state.chain import verify_chain
from .model import HISTORY_COLUMNS, Report, event_values, iso, verdict_as_dict
from .sink import HashingWriter, atomic_output

SCHEMA = "nexo-report/1"


def dumps(value: Any) -> str:
    """The canonical serialisation of one value (see the module docstring)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def event_dict(r: Any) -> dict[str, Any]:
    d = dict(zip(HISTORY_COLUMNS, event_values(r)))
    d["started_at"] = iso(d["started_at"])
    d["finished_at"] = iso(d["finished_at"])
    return d


class _Doc:
    """Feeds the canonical text to the digest and writes it, with layout whitespace, to the file."""

    def __init__(self, digest: HashingWriter, out: HashingWriter | None) -> None:
        self.canon = digest
        self.out = out

    def put(self, canonical: str, layout: str = "") -> None:
        """``canonical`` goes into the body digest; ``layout`` (whitespace) only into the file."""
        self.canon.write(canonical)
        if self.out is not None:
            self.out.write(canonical + layout)


def _write(report: Report, doc: _Doc) -> None:
    summary = report.summary
    doc.put("{", "")
    doc.put(f'"schema":{dumps(SCHEMA)},', "\n")
    doc.put(f'"header":{dumps(report.header.as_dict())},', "\n")
    if report.drift is not None:
        doc.put(f'"drift":{dumps(report.drift)},', "\n")
    counts = summary.counts_as_dict()
    doc.put('"summary":{' + ",".join(f"{dumps(k)}:{dumps(v)}" for k, v in counts.items()) + ',"deployments":[',
            "\n")
    first = True
    for dep in report.deployments():
        doc.put(("" if first else ",") + dumps(dep.as_dict()), "\n")
        first = False
    doc.put('],"failures":[', "\n")
    first = True
    for fail in report.failures():
        doc.put(("" if first else ",") + dumps(fail.as_dict()), "\n")
        first = False
    doc.put(f'],"migrations":{dumps(summary.migrations_as_dict())}', "\n")
    doc.put(f',"apply_durations":{dumps([d.as_dict() for d in summary.apply_durations])}' + "},", "\n")
    doc.put('"state":[', "\n")
    for i, row in enumerate(report.state):
        doc.put(("," if i else "") + dumps(row.as_dict()), "\n")
    doc.put("],", "\n")
    doc.put('"events":[', "\n")
    events = _written_events(report, doc)
    if report.verdict_pending and report.holds_whole_history:
        # One pass: the chain is checked over the very rows being written.
        report.verdict = report.audit(verify_chain(events))
    for _ in events:
        pass
    doc.put("],", "\n")
    doc.put(f'"verdict":{dumps(verdict_as_dict(report.verdict))}', "")


def _written_events(report: Report, doc: _Doc) -> Iterator[dict[str, Any]]:
    """Write each event and hand it on (its timestamps already in the chain's text form)."""
    first = True
    for r in report.events():
        d = event_dict(r)
        doc.put(("" if first else ",") + dumps(d), "\n")
        first = False
        yield d


def body_digest(report: Report) -> str:
    """The ``body_sha256`` a JSON export of ``report`` carries (computed without writing)."""
    sink = HashingWriter(None)
    _write(report, _Doc(sink, None))
    sink.write("}")
    return sink.hexdigest()


def write_json(report: Report, out: Path) -> str:
    """Write the JSON report; return its ``body_sha256``."""
    with atomic_output(Path(out)) as fh:
        digest_sink = HashingWriter(None)
        file_sink = HashingWriter(fh)
        file_sink.hashing = False  # the digest is over the canonical text, not the file bytes
        _write(report, _Doc(digest_sink, file_sink))
        digest_sink.write("}")  # the body closes here; the file goes on with body_sha256
        digest = digest_sink.hexdigest()
        file_sink.write(f',\n"body_sha256":{dumps(digest)}}}\n')
        file_sink.flush()
    return digest
