"""Commands that manage the database and the project: backup, restore, repair, baseline,
export, new, audit verify."""

from __future__ import annotations

from ...errors import EXIT_FAILED, EXIT_OK
from ..context import Context, confirm, emit_json, iso, run_op
from ..json_shapes import backup_dict, new_dict, repair_dict


def cmd_backup(ctx: Context) -> int:
    from ...core.backup.operations import backup, list_backups

    a = ctx.args
    if a.list:
        from ..render import table

        items = list_backups(ctx.target)
        if a.json:
            emit_json({"ok": True, "backups": [{**b, "created_at": iso(b["created_at"])} for b in items]})
            return EXIT_OK
        table([[iso(b["created_at"]) or "", f"{b['size']:,}" if b.get("size") else "", b["path"],
                "ok" if b.get("exists") else "missing"] for b in items],
              ["CREATED (UTC)", "BYTES", "PATH", "FILE"])
        return EXIT_OK
    path = run_op(backup(ctx.target, out=a.out, backup_dir=ctx.session.backup_dir,
                         lock_timeout=ctx.lock_timeout()))
    if a.json:
        emit_json({"ok": True, **backup_dict(path)})
        return EXIT_OK
    print(path)
    return EXIT_OK


def cmd_restore(ctx: Context) -> int:
    from ...core.backup.operations import check_backup, check_source, restore

    a = ctx.args
    check_source(ctx.target, a.path, check_backup(a.path), a.from_other_database)  # before asking
    confirm(a, f"Restore {a.path} over {ctx.target.display_url}? Everything after the backup is lost.", "restore")
    run_op(restore(ctx.target, a.path, lock_timeout=ctx.lock_timeout(), from_other_database=a.from_other_database))
    if a.json:
        emit_json({"ok": True, "restored": str(a.path)})
        return EXIT_OK
    print(f"restored {a.path}")
    return EXIT_OK


def cmd_repair(ctx: Context) -> int:
    from ...core.operations import repair
    from ...errors import InvalidInput

    a = ctx.args
    mid = a.forget_missing or a.id
    if a.accept_history:
        if mid:
            raise InvalidInput("--accept-history takes no migration ID")
        from ...core.operations import history_problems

        # what is accepted is read first and shown, and only that is accepted (expect=)
        problems = history_problems(ctx.target)
        if not problems:
            raise InvalidInput("nothing to accept: the history chain verifies and the state tables are consistent")
        listing = "\n".join(f"  {line}" for line in problems.lines())
        confirm(a, f"Repair: accept the history as it is now, with:\n{listing}\n"
                   "(the rows stay as they are; the acceptance is recorded in the history)\nAccept?", "repair")
        res = run_op(repair(ctx.project, ctx.target, None, accept_history=True, lock_timeout=ctx.lock_timeout(),
                            expect=problems))
        if a.json:
            emit_json({"ok": True, **repair_dict(res)})
            return EXIT_OK
        print(f"history accepted: recorded in the history as seq {res.seq}")
        return EXIT_OK
    if not mid:
        raise InvalidInput("repair needs a migration ID")
    if a.override_healthy and not a.mark:
        raise InvalidInput("--override-healthy goes with --mark")
    what = (f"mark {mid} as {a.mark}" + (" even if it needs no repair (recorded as an override)"
                                         if a.override_healthy else "") if a.mark else
            f"accept the changed checksum of {mid}" if a.accept_checksum else f"forget {mid}")
    confirm(a, f"Repair: {what}?", "repair")
    res = run_op(repair(ctx.project, ctx.target, mid, mark=a.mark, accept_checksum=a.accept_checksum,
                        forget_missing=bool(a.forget_missing), lock_timeout=ctx.lock_timeout(),
                        override_healthy=a.override_healthy))
    if a.json:
        emit_json({"ok": True, **repair_dict(res)})
        return EXIT_OK
    print(f"{res.migration_id}: {res.before} -> {res.after}")
    return EXIT_OK


def cmd_baseline(ctx: Context) -> int:
    from ...core.operations import baseline

    a = ctx.args
    confirm(a, f"Mark everything up to {a.to} as applied without running it?", "baseline")
    done = run_op(baseline(ctx.project, ctx.target, a.to, lock_timeout=ctx.lock_timeout()))
    if a.json:
        emit_json({"ok": True, "baselined": list(done)})
        return EXIT_OK
    print(f"baselined {len(done)} migration(s)" if done else "nothing to baseline")
    return EXIT_OK


def cmd_export(ctx: Context) -> int:
    from ...core.reports import ReportFilters, export_report

    a = ctx.args
    if a.format == "pdf":  # the only command that loads Qt: the PDF is drawn with it
        try:
            import nexo_studio.pdf  # noqa: F401  (registers the pdf renderer)
        except ImportError as exc:
            from ...errors import InvalidInput

            raise InvalidInput(f"pdf export needs Qt (PySide6), which cannot be loaded: {exc}") from None
    filters = ReportFilters.parse(since=a.since, until=a.until, migration_id=a.migration, action=a.action,
                                  status=a.status, deployment_id=a.deployment)
    out = export_report(ctx.target, ctx.project, a.format, a.out, filters)
    if a.json:
        emit_json({"ok": True, "format": a.format, "path": str(out)})
        return EXIT_OK
    print(out)
    return EXIT_OK


def cmd_new(ctx: Context) -> int:
    from ...core.scaffold import new_migration

    a = ctx.args
    depends = None if a.depends is None else [d.strip() for d in a.depends.split(",") if d.strip()]
    path = new_migration(ctx.config.migrations_dir, a.name, depends=depends, python=a.py)
    if a.json:
        emit_json({"ok": True, **new_dict(path)})
        return EXIT_OK
    print(path)
    return EXIT_OK
