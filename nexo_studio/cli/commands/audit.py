"""``nexo audit verify [REPORT] [--anchor FILE]`` and ``nexo audit anchor --out FILE``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import EXIT_FAILED, EXIT_OK, InvalidInput
from ..context import Context, emit_json
from ..json_shapes import verdict_dict

if TYPE_CHECKING:
    from ...app.types import ChainVerdict


def cmd_audit(ctx: Context) -> int:
    a = ctx.args
    if a.audit_command == "anchor":
        return _anchor(ctx, a.out)
    anchored = None
    verdict: ChainVerdict  # the history's, or an exported report's (a ReportVerdict)
    if a.report:
        if getattr(a, "anchor", None):
            raise InvalidInput("--anchor checks the database; it does not go with a REPORT to verify")
        from ...core.reports import verify_report

        verdict = verify_report(a.report)
    else:
        from ...core.operations import audit_verify, audit_verify_anchor

        verdict = audit_verify(ctx.target)
        if getattr(a, "anchor", None):
            anchored = audit_verify_anchor(ctx.target, a.anchor)
    ok = verdict.ok and (anchored is None or anchored.ok)
    if getattr(a, "json", False):
        doc = {"ok": ok, "verdict": verdict_dict(verdict)}
        if anchored is not None:
            doc["anchor"] = {"ok": anchored.ok, "source": str(anchored.anchor.source),
                             "head_seq": anchored.anchor.head_seq, "rows": anchored.anchor.rows,
                             "problems": list(anchored.problems), "message": str(anchored)}
        emit_json(doc)
        return EXIT_OK if ok else EXIT_FAILED
    print(verdict)
    if anchored is not None:
        print(anchored)
    return EXIT_OK if ok else EXIT_FAILED


def _anchor(ctx: Context, out: Path) -> int:
    from ...core.operations import audit_anchor

    doc = audit_anchor(ctx.target)
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, out)  # whole or not at all
    except OSError as exc:
        raise InvalidInput(f"{out}: cannot write the anchor: {exc.strerror or exc}") from None
    h = doc["history"]
    if getattr(ctx.args, "json", False):
        emit_json({"ok": True, "out": str(out), "history": h})
        return EXIT_OK
    print(f"anchored {out}: history head seq {h['head_seq']} ({h['rows']} rows), hash {h['head_hash']}")
    return EXIT_OK
