"""`nexo import`, `nexo adopt` and `nexo status --from`: take over another tool's project and
database (SPEC §8)."""

from __future__ import annotations

from pathlib import Path

from ...errors import EXIT_OK
from ..context import Context, confirm, emit_json, run_op


def cmd_import(ctx: Context) -> int:
    from ...app.adopt import import_files

    a = ctx.args
    into = a.into or ctx.config.migrations_dir
    res = import_files(a.from_tool, a.source, Path(into), dry_run=a.dry_run, skip_unsupported=a.skip_unsupported)
    if a.json:
        emit_json({"ok": True, "dry_run": bool(a.dry_run), **res.as_dict()})
        return EXIT_OK
    from ..render import table

    table([[m["foreign_id"], m["source"], m["migration_id"], "none" if m["transaction"] == "none" else "",
            "yes" if m["down"] else "no", "yes" if m["verify"] else "no"] for m in res.mapping()],
          ["FOREIGN ID", "SOURCE", "NEXO MIGRATION", "TX", "DOWN", "VERIFY"])
    for u in res.unsupported:
        print(f"skipped: {u}")
    verb = "would write" if a.dry_run else "wrote"
    print(f"\n{verb} {len(res.planned) if a.dry_run else len(res.written)} file(s) into {into}")
    return EXIT_OK


def _print_reconciliation(rec) -> None:
    from ..render import table

    print(f"{rec.state.tool}: {rec.state.table or '(no database)'} "
          f"({'found, ' + str(len(rec.state.raw)) + ' rows' if rec.state.found else 'not found'})")
    table([[x.kind, x.foreign_id, x.migration_id or "", x.detail] for x in rec.lines],
          ["STATE", "FOREIGN ID", "NEXO MIGRATION", "DETAIL"])


def cmd_status_from(ctx: Context) -> int:
    from ...app.adopt import status_from

    rec = status_from(ctx.session, ctx.args.from_tool)  # inspecting needs no imported project (SPEC §8)
    if ctx.args.json:
        emit_json({"ok": True, "database": ctx.target.display_url, **rec.as_dict()})
        return EXIT_OK
    _print_reconciliation(rec)
    return EXIT_OK


def cmd_adopt(ctx: Context) -> int:
    from ...app.adopt import adopt, refuse, status_from

    a = ctx.args
    rec = status_from(ctx.session, a.from_tool, ctx.project)
    if not a.json:
        _print_reconciliation(rec)
    refuse(rec, a.accept_mismatch)
    if a.dry_run:
        if a.json:
            emit_json({"ok": True, "dry_run": True, **rec.as_dict(), "adopted": []})
        return EXIT_OK
    n = len(rec.of("matched-applied", "checksum-mismatch"))
    confirm(a, f"Record {n} migration(s) applied by {a.from_tool} as applied, without running them?", "adopt")
    rec, done = run_op(adopt(ctx.session, a.from_tool, accept_mismatch=a.accept_mismatch,
                             lock_timeout=ctx.lock_timeout()))
    if a.json:
        emit_json({"ok": True, "dry_run": False, **rec.as_dict(), "adopted": done})
        return EXIT_OK
    print(f"adopted {len(done)} migration(s)" if done else "nothing to adopt")
    return EXIT_OK
