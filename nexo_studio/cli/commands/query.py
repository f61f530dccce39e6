"""Commands that read and print: status, validate, plan, history, graph."""

from __future__ import annotations

import sys

from ...errors import EXIT_OK, EXIT_INVALID, NexoError
from ..context import Context, emit_json, seconds


#: findings about files that no listing can show as a migration: every listing names them
LEFT_OUT = ("file_error", "duplicate_version")


def cmd_status(ctx: Context) -> int:
    from ...core.operations import status

    if getattr(ctx.args, "from_tool", None):  # the other tool's view (SPEC §8)
        from .adopt import cmd_status_from

        return cmd_status_from(ctx)
    snap = status(ctx.project, ctx.target)
    ctx.keep(snap)
    counts: dict[str, int] = {}
    for s in snap.states:
        counts[s.status] = counts.get(s.status, 0) + 1
    if ctx.args.json:
        from ..json_shapes import state_records  # (not loaded for the table)

        emit_json({"ok": True, "database": ctx.target.display_url, "dialect": snap.dialect,
                   "schema_version": snap.schema_version, "counts": counts,
                   "migrations": state_records(snap.states),
                   "findings": [f.as_dict() for f in snap.findings]})
        return EXIT_OK
    from ..render import paint, table

    rows = []
    for s in snap.states:
        r = s.row if s.is_applied else None
        rows.append([
            s.status, s.version, s.name,
            seconds(r.applied_at) if r is not None and r.applied_at else "",
            (r.applied_by or "") if r is not None else "",
            f"{r.execution_ms}" if r is not None and r.execution_ms is not None else "",
        ])
    print(f"{ctx.target.display_url}  ({snap.dialect}, schema version {snap.schema_version or 'none'})")
    table(rows, ["STATUS", "VERSION", "NAME", "APPLIED AT (UTC)", "BY", "MS"], colour_col=0)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    left_out = [f for f in snap.findings if f.code in LEFT_OUT]
    malformed = f"; {len(left_out)} malformed file(s) left out" if left_out else ""
    print(f"\n{len(snap.states)} migrations: {summary or 'none'}{malformed}")
    _findings_out(left_out)
    for f in snap.findings:
        if f.code in ("drift", "missing", "dirty", "tampered", "preexisting_objects"):
            print(paint(f.level, f.level) + f": {f.message}")
    return EXIT_OK


def _findings_out(findings, stream=None) -> None:
    from ..render import paint

    stream = stream or sys.stdout
    for f in findings:
        where = f" ({f.path.name}{':' + str(f.line) if f.line else ''})" if f.path else ""
        print(f"{paint(f.level, f.level, stream)}: [{f.code}] {f.message}{where}", file=stream)


def cmd_validate(ctx: Context) -> int:
    from ...core.operations import status

    project = ctx.project
    # state findings (drift, missing, out of order) need the database; read-only
    snap = status(project, ctx.target)
    errors = snap.errors
    findings = list(snap.findings) + _lint_warnings(snap)
    warnings = [f for f in findings if f.level == "warning"]
    if ctx.args.json:
        emit_json({"ok": not errors, "errors": len(errors), "warnings": len(warnings),
                   "findings": [f.as_dict() for f in findings]})
    else:
        _findings_out(findings)
        print(f"{len(project.migrations)} migrations: {len(errors)} error(s), {len(warnings)} warning(s)")
    return EXIT_INVALID if errors else EXIT_OK


def _lint_warnings(snap) -> list:
    """Risk lint of the migrations still to apply (applied ones have run: their risk is past)."""
    from ...core.validate import lint_findings

    return lint_findings([s.migration for s in snap.states if s.status == "pending" and s.migration], snap.dialect)


def cmd_plan(ctx: Context) -> int:
    from ...core.operations import status
    from ...core.pipeline import plan_sql
    from ...core.planner import deploy_plan

    if ctx.args.dialect:  # offline (SPEC §7): never connects; every migration is pending
        from ...core.model import canonical_dialect
        from ...core.project import snapshot

        dialect = canonical_dialect(ctx.args.dialect)
        snap = snapshot(ctx.project, {}, dialect)
    else:
        snap = status(ctx.project, ctx.target)
        dialect = ctx.target.dialect
    if snap.errors:
        from ...errors import ValidationFailed

        raise ValidationFailed(snap.findings)
    plan = deploy_plan(ctx.project, snap, ctx.args.to)
    sql = plan_sql(ctx.project, plan, dialect, "up")
    findings = _plan_findings(ctx, plan.ids, dialect)
    if ctx.args.json:
        emit_json({"ok": True, "dialect": dialect, "plan": [
            {"id": mid, "description": ctx.project.migrations[mid].description,
             "statements": [{"line": ln, "sql": s} for ln, s in stmts],
             "findings": [f.as_dict() for f in findings if f.migration_id == mid]}
            for mid, stmts in sql]})
        return EXIT_OK
    if ctx.args.dialect:
        print(f"-- offline plan for {dialect}: no database read, every migration counted as pending")
    if not plan:
        print("up to date: nothing to apply")
        return EXIT_OK
    _print_plan(ctx, "apply", sql, show_sql=ctx.args.sql, findings=findings)
    return EXIT_OK


def _plan_findings(ctx: Context, ids, dialect: str) -> list:
    """The plan's risk lint (``up`` sections); with a database, its row estimates raise levels."""
    from ...core.lint.hooks import plan_findings

    findings = plan_findings(ctx.project, ids, dialect)
    if not ctx.args.dialect and any(f.table for f in findings):
        from .lint import _row_estimates

        sizes = _row_estimates(ctx, dialect, {f.table for f in findings if f.table})
        findings = plan_findings(ctx.project, ids, dialect, sizes) if sizes else findings
    return findings


def _print_plan(ctx: Context, verb: str, sql, show_sql: bool, findings=()) -> None:
    from ..render import paint

    at: dict = {}
    for f in findings:
        at.setdefault((f.migration_id, f.line), []).append(f)

    def risks(mid: str, line) -> None:
        for f in at.get((mid, line), ()):
            allowed = f" (allowed: {f.allowed_reason})" if f.allowed else ""
            print(f"      -- {paint(f.level, f.level)} [{f.code}] line {f.line}: {f.message}{allowed}")

    print(f"{len(sql)} migration(s) to {verb}, in this order:")
    for i, (mid, stmts) in enumerate(sql, 1):
        m = ctx.project.migrations.get(mid)
        desc = f"  — {m.description}" if m and m.description else ""
        print(f"{i:4}. {mid}{desc}")
        if not show_sql:
            for line in dict.fromkeys(f.line for f in findings if f.migration_id == mid):
                risks(mid, line)
            continue
        for line, s in stmts:
            print(f"      -- {m.path.name if m else mid}:{line}")
            risks(mid, line)
            for text in s.splitlines():
                print(f"      {text}")
            print("      ;")


def cmd_history(ctx: Context) -> int:
    a = ctx.args
    target = ctx.target
    if target.absent():
        rows = []
    else:
        with target.connect() as conn:
            rows = list(target.store.history(conn, migration_id=a.migration, action=a.action, status=a.status,
                                             deployment_id=a.deployment, limit=a.limit or None, newest_first=True))
    rows.reverse()
    if a.json:
        from ..json_shapes import history_dict

        emit_json({"ok": True, "events": [history_dict(h) for h in rows]})
        return EXIT_OK
    from ..render import table

    table([[str(h.seq), seconds(h.started_at), h.action, h.status,
            h.migration_id or "", f"{h.duration_ms}" if h.duration_ms is not None else "",
            h.operator or "", (h.error or "").splitlines()[0][:60] if h.error else ""]
           for h in rows], ["SEQ", "STARTED (UTC)", "ACTION", "STATUS", "MIGRATION", "MS", "BY", "ERROR"],
          colour_col=3)
    return EXIT_OK


def cmd_graph(ctx: Context) -> int:
    from ...core.operations import status

    project = ctx.project
    try:
        snap = status(project, ctx.target)
        statuses = {s.id: s.status for s in snap.states}
    except NexoError:
        statuses = {}
    if ctx.args.json:
        from ..json_shapes import graph_dict

        left_out = [f for f in project.findings(None) if f.code in LEFT_OUT]
        emit_json({"ok": True, **graph_dict(project, statuses, left_out)})
        return EXIT_OK
    from ...core.graph_dot import graph_dot

    print(graph_dot(project, statuses), end="")
    _findings_out([f for f in project.findings(None) if f.code in LEFT_OUT], sys.stderr)
    return EXIT_OK
