"""``nexo audit verify [REPORT] [--anchor FILE]`` and ``nexo audit anchor --out FILE``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import EXIT_FAILED, EXIT_OK, InvalidInput


def audit(ctx: Any) -> int:
    a = ctx.args
    if a.audit_command == "anchor":
        return _anchor(ctx, a.out)
    if a.report:
        if getattr(a, "anchor", None):
            raise InvalidInput("--anchor checks the database; it does not go with a REPORT to verify")
        from ..core.reports import verify_report

        verdict = verify_report(a.report)
        print(verdict)
        return EXIT_OK if verdict.ok else EXIT_FAILED
    from ..core.operations import audit_verify

    verdict = audit_verify(ctx.target)
    print(verdict)
    ok = verdict.ok
    if getattr(a, "anchor", None):
        from ..core.operations import audit_verify_anchor

        anchored = audit_verify_anchor(ctx.target, a.anchor)
        print(anchored)
        ok = ok and anchored.ok
    return EXIT_OK if ok else EXIT_FAILED


def _anchor(ctx: Any, out: Path) -> int:
    from ..core.operations import audit_anchor

    doc = audit_anchor(ctx.target)
    text = json.dumps(doc, indent=2) + "\n"
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)  # whole or not at all
    except OSError as exc:
        raise InvalidInput(f"{out}: cannot write the anchor: {exc.strerror or exc}") from None
    h = doc["history"]
    print(f"anchored {out}: history head seq {h['head_seq']} ({h['rows']} rows), hash {h['head_hash']}")
    return EXIT_OK
