"""`nexo drift [--json]` and `nexo snapshot [--yes] [--json]` (SPEC §10).

drift: exit 0 no drift, 1 drift (every change listed), 2 no snapshot yet (hint: `nexo snapshot`) or
only a stale one (an operation killed after running migrations, before its closing snapshot).
Read-only. snapshot: records the live schema as the accepted one (history row ``snapshot``)."""

from __future__ import annotations

from ...errors import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from ..context import Context, confirm, emit_json, err

HINT = "no schema snapshot yet: run `nexo snapshot` to record the live schema as the accepted one"
STALE_HINT = ("the last schema snapshot predates migrations run by an operation that did not finish: "
              "drift cannot be told from their work; the next deploy, or `nexo snapshot`, records a new one")


def cmd_drift(ctx: Context) -> int:
    from ...app.drift import drift_verdict
    from ...core.drift import DRIFT, NO_SNAPSHOT, STALE

    verdict = drift_verdict(ctx.session)
    code = {NO_SNAPSHOT: EXIT_INVALID, STALE: EXIT_INVALID, DRIFT: EXIT_FAILED}.get(verdict.status, EXIT_OK)
    hint = HINT if verdict.status == NO_SNAPSHOT else STALE_HINT if verdict.status == STALE else None
    if ctx.args.json:
        doc = verdict.as_dict()
        if hint:
            doc["hint"] = hint
        emit_json(doc)
        return code
    s = verdict.snapshot  # every status but NO_SNAPSHOT was compared with one
    if verdict.status == NO_SNAPSHOT or s is None:
        err(HINT)
    elif verdict.status == STALE:
        err(f"{STALE_HINT} (history rows {', '.join(map(str, verdict.since))}); differences:")
        for c in verdict.changes:
            err(f"  {c}")
    elif verdict.status == DRIFT:
        print(f"drift: {len(verdict.changes)} change(s) since snapshot #{s.id} "
              f"(history seq {s.history_seq}, {s.taken_at:%Y-%m-%d %H:%M:%S} UTC):")
        for c in verdict.changes:
            print(f"  {c}")
    else:
        print(f"no drift: the live schema matches snapshot #{s.id} ({(verdict.live_sha256 or '')[:12]})")
    return code


def cmd_snapshot(ctx: Context) -> int:
    from ...app.drift import take_snapshot

    a = ctx.args
    confirm(a, f"Record the live schema of {ctx.target.display_url} as the accepted one?", "snapshot")
    done = take_snapshot(ctx.session, ctx.lock_timeout())
    if a.json:
        emit_json({"ok": True, **done})
        return EXIT_OK
    print(f"snapshot recorded: sha256 {done['sha256']} (history seq {done['history_seq']})")
    return EXIT_OK
