"""`nexo`: the command line over the engine (SPEC §5).

Each command is a thin function: build the project and target, run an engine operation,
render its result. Errors are mapped to exit codes once, in ``main()``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import EXIT_FAILED, EXIT_INVALID, EXIT_OK, ConfirmationRequired, NexoError

JSON_COMMANDS = {"status", "validate", "plan", "deploy", "rollback", "history"}
#: commands that change nothing (SPEC §2): they build their data once, print it and end
READ_ONLY_COMMANDS = {"status", "validate", "plan", "history", "graph"}


# --------------------------------------------------------------------------------------------
# argument parsing


def _global_options(p: argparse.ArgumentParser, suppress: bool) -> None:
    d = argparse.SUPPRESS if suppress else None
    p.add_argument("--db", metavar="URL", default=d,
                   help="SQLAlchemy database URL (else NEXO_DATABASE_URL, nexo.toml, sqlite:///nexo.db)")
    p.add_argument("--migrations", metavar="DIR", type=Path, default=d,
                   help="migrations folder (default: migrations_dir from nexo.toml, else ./migrations)")
    p.add_argument("--config", metavar="FILE", type=Path, default=d, help="config file (default ./nexo.toml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nexo",
        description="Versioned database schema migrations: validate, deploy, roll back, audit.",
        epilog="Exit codes: 0 ok, 1 operation failed, 2 invalid input, 3 refused (database dirty/failed/drifted).",
    )
    parser.add_argument("--version", action="version", version=f"nexo {__version__}")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def cmd(name: str, help: str, json_flag: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _global_options(p, suppress=True)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
        return p

    def lock_timeout(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lock-timeout", type=float, metavar="SECONDS",
                       help="wait this long for another operation's lock (default 30, or nexo.toml)")

    def yes(p: argparse.ArgumentParser) -> None:
        p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    cmd("status", "show every migration's status against the database", True)
    cmd("validate", "check files, dependencies and state; exit 2 on errors", True)
    p = cmd("plan", "show what deploy would apply, in order", True)
    p.add_argument("--to", metavar="ID|VERSION", help="plan up to this migration or version")
    p.add_argument("--sql", action="store_true", help="also print the SQL of each migration")

    p = cmd("deploy", "validate, back up, apply pending migrations, verify; roll back on failure", True)
    p.add_argument("--to", metavar="ID|VERSION", help="deploy this migration (and its dependencies) or up to this version")
    p.add_argument("--dry-run", action="store_true", help="print the plan and the exact SQL; change nothing")
    p.add_argument("--no-backup", action="store_true", help="skip the backup before applying")
    p.add_argument("--no-verify", action="store_true", help="skip verify sections and post-deploy checks")
    p.add_argument("--no-auto-rollback", action="store_true", help="on failure, keep what was applied")
    p.add_argument("--verbose", "-v", action="store_true", help="print every statement as it runs")
    lock_timeout(p)

    p = cmd("rollback", "roll back to a version, or one migration (with its dependents)", True)
    p.add_argument("id", nargs="?", metavar="ID", help="roll back this one migration")
    p.add_argument("--to", metavar="ID|VERSION", help="roll back everything newer than this (0: everything)")
    p.add_argument("--with-dependents", action="store_true", help="with ID: also roll back what depends on it")
    p.add_argument("--dry-run", action="store_true", help="print the plan and the exact SQL; change nothing")
    p.add_argument("--verbose", "-v", action="store_true", help="print every statement as it runs")
    yes(p)
    lock_timeout(p)

    p = cmd("history", "show the audit trail (newest last)", True)
    p.add_argument("--limit", type=int, default=50, help="show the last N events (default 50; 0 = all)")
    p.add_argument("--migration", metavar="ID")
    p.add_argument("--action")
    p.add_argument("--status")
    p.add_argument("--deployment", metavar="ID")

    p = cmd("backup", "back up the database (or list backups)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write exactly this file (sidecar FILE.json)")
    p.add_argument("--list", action="store_true", help="list recorded backups")
    lock_timeout(p)

    p = cmd("restore", "restore a backup over the database")
    p.add_argument("path", type=Path, metavar="PATH")
    yes(p)
    lock_timeout(p)

    p = cmd("repair", "resolve a dirty, failed, drifted or missing migration")
    p.add_argument("id", nargs="?", metavar="ID")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--mark", choices=["applied", "rolled-back"], help="record ID as applied or rolled back")
    g.add_argument("--accept-checksum", action="store_true", help="accept ID's changed file")
    g.add_argument("--forget-missing", metavar="MISSING_ID", help="drop the row of a migration whose file is gone")
    g.add_argument("--accept-history", action="store_true",
                   help="accept history rows that were edited or lost, or a lost state table (changed outside nexo), "
                        "recording the acceptance in the history")
    p.add_argument("--override-healthy", action="store_true",
                   help="with --mark: record a state for a row that needs no repair (applied or pending); "
                        "recorded as such")
    yes(p)
    lock_timeout(p)

    p = cmd("baseline", "mark a migration and everything before it as applied, without running them")
    p.add_argument("--to", required=True, metavar="ID|VERSION")
    yes(p)
    lock_timeout(p)

    p = cmd("export", "export an audit report (history, state, hash-chain verdict)")
    p.add_argument("--format", required=True, choices=["csv", "json", "html", "pdf"])
    p.add_argument("--out", required=True, type=Path, metavar="PATH")
    p.add_argument("--since", metavar="DATE", help="ISO date or time (UTC)")
    p.add_argument("--until", metavar="DATE", help="ISO date or time (UTC)")
    p.add_argument("--migration", metavar="ID")
    p.add_argument("--action")
    p.add_argument("--status")
    p.add_argument("--deployment", metavar="ID")

    p = cmd("new", "create a new migration file depending on the current heads")
    p.add_argument("name", help="lowercase name: [a-z0-9_]+")
    p.add_argument("--depends", metavar="IDS", help="comma-separated ids (default: the current heads)")
    p.add_argument("--py", action="store_true", help="create a Python migration")

    p = cmd("audit", "audit the history")
    asub = p.add_subparsers(dest="audit_command", metavar="verify|anchor", required=True)
    av = asub.add_parser("verify", help="verify the history hash chain (or an exported JSON report)")
    _global_options(av, suppress=True)
    av.add_argument("report", nargs="?", type=Path, help="an exported JSON report to check instead")
    av.add_argument("--anchor", type=Path, metavar="FILE",
                    help="also check the history still holds, unchanged, the head recorded in FILE "
                         "(from `nexo audit anchor`, or an exported JSON report)")
    aa = asub.add_parser("anchor", help="write the history's head to FILE, to keep elsewhere (see --anchor)")
    _global_options(aa, suppress=True)
    aa.add_argument("--out", required=True, type=Path, metavar="FILE")

    cmd("graph", "print the dependency graph as Graphviz DOT")
    return parser


# --------------------------------------------------------------------------------------------
# context


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        from ..core.config import load_config

        self.args = args
        self.config = load_config(getattr(args, "config", None), migrations=getattr(args, "migrations", None))
        self._project = None
        self._target = None

    @property
    def project(self):
        if self._project is None:
            from ..core.project import Project

            self._project = Project.load(self.config.migrations_dir)
        return self._project

    @property
    def target(self):
        if self._target is None:
            from ..core.config import resolve_url
            from ..core.target import Target

            self._target = Target(resolve_url(getattr(self.args, "db", None), self.config), self.config.schema)
        return self._target

    def lock_timeout(self) -> float:
        value = getattr(self.args, "lock_timeout", None)
        return self.config.deploy.lock_timeout if value is None else value

    def close(self) -> None:
        if self._target is not None:
            self._target.dispose()


def err(*parts: Any) -> None:
    print(*parts, file=sys.stderr)


def confirm(args: argparse.Namespace, question: str, action: str) -> None:
    if getattr(args, "yes", False):
        return
    if not sys.stdin.isatty():
        raise ConfirmationRequired(action)
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise ConfirmationRequired(action)


def run_op(gen, verbose: bool = False):
    from ..core.events import run
    from .render import ProgressPrinter

    return run(gen, ProgressPrinter(verbose=verbose))


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def emit_json(doc: dict) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


# --------------------------------------------------------------------------------------------
# commands


def state_dict(s) -> dict:
    r = s.row
    return {
        "id": s.id, "version": s.version, "name": s.name, "status": s.status,
        "description": s.description,
        "applied_at": iso(r.applied_at) if r and s.is_applied else None,
        "applied_by": r.applied_by if r and s.is_applied else None,
        "execution_ms": r.execution_ms if r and s.is_applied else None,
        "depends": list(s.migration.depends if s.migration else (r.depends if r else ())),
        "reversible": bool(s.migration and s.migration.reversible(None)),
    }


def cmd_status(ctx: Context) -> int:
    from ..core.operations import status

    snap = status(ctx.project, ctx.target)
    counts: dict[str, int] = {}
    for s in snap.states:
        counts[s.status] = counts.get(s.status, 0) + 1
    if ctx.args.json:
        emit_json({"ok": True, "database": ctx.target.display_url, "dialect": snap.dialect,
                   "schema_version": snap.schema_version, "counts": counts,
                   "migrations": [state_dict(s) for s in snap.states],
                   "findings": [f.as_dict() for f in snap.findings]})
        return EXIT_OK
    from .render import paint, table

    rows = []
    for s in snap.states:
        r = s.row
        applied = s.is_applied and r is not None
        rows.append([
            s.status, s.version, s.name,
            r.applied_at.strftime("%Y-%m-%d %H:%M:%S") if applied and r.applied_at else "",
            (r.applied_by or "") if applied else "",
            f"{r.execution_ms}" if applied and r.execution_ms is not None else "",
        ])
    print(f"{ctx.target.display_url}  ({snap.dialect}, schema version {snap.schema_version or 'none'})")
    table(rows, ["STATUS", "VERSION", "NAME", "APPLIED AT (UTC)", "BY", "MS"], colour_col=0)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    print(f"\n{len(snap.states)} migrations: {summary or 'none'}")
    for f in snap.findings:
        if f.code in ("drift", "missing", "dirty", "tampered"):
            print(paint(f.level, f.level) + f": {f.message}")
    return EXIT_OK


def _findings_out(findings, stream=None) -> None:
    from .render import paint

    stream = stream or sys.stdout
    for f in findings:
        where = f" ({f.path.name}{':' + str(f.line) if f.line else ''})" if f.path else ""
        print(f"{paint(f.level, f.level, stream)}: [{f.code}] {f.message}{where}", file=stream)


def cmd_validate(ctx: Context) -> int:
    from ..core.operations import status

    project = ctx.project
    # state findings (drift, missing, out of order) need the database; read-only
    snap = status(project, ctx.target)
    errors = snap.errors
    if ctx.args.json:
        emit_json({"ok": not errors, "errors": len(errors), "warnings": len(snap.warnings),
                   "findings": [f.as_dict() for f in snap.findings]})
    else:
        _findings_out(snap.findings)
        print(f"{len(project.migrations)} migrations: {len(errors)} error(s), {len(snap.warnings)} warning(s)")
    return EXIT_INVALID if errors else EXIT_OK


def cmd_plan(ctx: Context) -> int:
    from ..core.operations import status
    from ..core.pipeline import plan_sql
    from ..core.planner import deploy_plan

    snap = status(ctx.project, ctx.target)
    if snap.errors:
        from ..errors import ValidationFailed

        raise ValidationFailed(snap.findings)
    plan = deploy_plan(ctx.project, snap, ctx.args.to)
    sql = plan_sql(ctx.project, plan, ctx.target.dialect, "up")
    if ctx.args.json:
        emit_json({"ok": True, "plan": [
            {"id": mid, "description": ctx.project.migrations[mid].description,
             "statements": [{"line": ln, "sql": s} for ln, s in stmts]}
            for mid, stmts in sql]})
        return EXIT_OK
    if not plan:
        print("up to date: nothing to apply")
        return EXIT_OK
    _print_plan(ctx, "apply", sql, show_sql=ctx.args.sql)
    return EXIT_OK


def _print_plan(ctx: Context, verb: str, sql, show_sql: bool) -> None:
    print(f"{len(sql)} migration(s) to {verb}, in this order:")
    for i, (mid, stmts) in enumerate(sql, 1):
        m = ctx.project.migrations.get(mid)
        desc = f"  — {m.description}" if m and m.description else ""
        print(f"{i:4}. {mid}{desc}")
        if show_sql:
            for line, s in stmts:
                print(f"      -- {m.path.name if m else mid}:{line}")
                for text in s.splitlines():
                    print(f"      {text}")
                print("      ;")


def result_dict(result) -> dict:
    err_doc = None
    if result.error is not None:
        e = result.error
        err_doc = {"type": type(e).__name__, "message": str(e)}
        for key in ("migration_id", "statement", "line", "dirty"):
            if hasattr(e, key):
                err_doc[key] = getattr(e, key)
        if getattr(e, "path", None):
            err_doc["file"] = str(e.path)
    return {
        "ok": result.ok, "action": result.action, "status": result.status,
        "deployment_id": result.deployment_id, "plan": list(result.plan),
        "applied": result.applied, "rolled_back": result.rolled_back, "failed": result.failed,
        "backup": str(result.backup) if result.backup else None,
        "steps": [{"name": s.name, "status": s.status, "duration_ms": s.duration_ms, "detail": s.detail}
                  for s in result.steps],
        "message": result.message, "error": err_doc,
        "sql": [{"id": mid, "statements": [{"line": ln, "sql": s} for ln, s in st]} for mid, st in result.sql],
        "migrations": [{"id": ev.migration_id, "action": ev.action, "status": ev.status,
                        "duration_ms": ev.duration_ms, "statements": ev.statements, "rows": ev.rows,
                        "error": ev.error, "statement": ev.statement, "line": ev.line}
                       for ev in result.migrations],
    }


def _finish_operation(ctx: Context, result, verb: str) -> int:
    if ctx.args.json:
        emit_json(result_dict(result))
    elif result.status == "dry_run":
        _print_plan(ctx, verb, result.sql, show_sql=True)
        print("(dry run: nothing was changed)")
    else:
        if result.migrations:
            from .render import table

            table([[ev.action, ev.status, ev.migration_id, f"{ev.duration_ms}", str(ev.statements),
                    "" if ev.rows is None else str(ev.rows)] for ev in result.migrations],
                  ["ACTION", "STATUS", "MIGRATION", "MS", "STATEMENTS", "ROWS"], colour_col=1)
            steps = ", ".join(f"{s.name} {s.status} ({s.duration_ms} ms)" for s in result.steps)
            print(f"steps: {steps}")
        print(result.message)
    if result.ok:
        return EXIT_OK
    return result.error.exit_code if result.error is not None else EXIT_FAILED


def cmd_deploy(ctx: Context) -> int:
    from ..core.config import default_backup_dir
    from ..core.pipeline import DeployOptions, deploy

    a, d = ctx.args, ctx.config.deploy
    opts = DeployOptions(
        to=a.to, dry_run=a.dry_run, backup=d.backup and not a.no_backup,
        verify=d.verify and not a.no_verify, auto_rollback=d.auto_rollback and not a.no_auto_rollback,
        lock_timeout=ctx.lock_timeout(), backup_dir=d.backup_dir or default_backup_dir(ctx.target.url),
        checks=d.checks,
    )
    result = _interruptible(lambda cancel: run_op(deploy(ctx.project, ctx.target, opts, cancel), a.verbose))
    return _finish_operation(ctx, result, "apply")


def _interruptible(fn: Callable):
    """Ctrl-C cancels the running operation cleanly (the engine records `cancelled`).

    The operation runs on a worker thread while the main thread waits: Python runs signal
    handlers only on the main thread and only between bytecodes, so a main thread blocked in
    a long statement would never see Ctrl-C. The handler sets the cancel token, which also
    interrupts the running statement.
    """
    import signal
    import threading

    from ..core.events import CancelToken

    cancel = CancelToken()
    if threading.current_thread() is not threading.main_thread():
        return fn(cancel)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = fn(cancel)
        except BaseException as exc:  # re-raised on the main thread
            outcome["error"] = exc

    def on_sigint(_sig, _frame):
        if cancel.cancelled:
            raise KeyboardInterrupt
        err("\ncancelling … (press Ctrl-C again to abort at once)")
        cancel.cancel()

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        worker = threading.Thread(target=work, name="nexo-operation", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
    finally:
        signal.signal(signal.SIGINT, old)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def cmd_rollback(ctx: Context) -> int:
    from ..core.pipeline import RollbackOptions, rollback
    from ..errors import InvalidInput

    a = ctx.args
    if bool(a.id) == bool(a.to):
        raise InvalidInput("rollback needs either an ID or --to ID|VERSION (not both)")
    if a.with_dependents and not a.id:
        raise InvalidInput("--with-dependents needs an ID")
    opts = RollbackOptions(to=a.to, one=a.id, with_dependents=a.with_dependents, dry_run=True,
                           lock_timeout=ctx.lock_timeout())
    preview = run_op(rollback(ctx.project, ctx.target, opts))
    if a.dry_run:
        return _finish_operation(ctx, preview, "roll back")
    # with nothing to roll back the real run still checks, under the lock, that the database
    # is not dirty or tampered with (exit 3 then), and says "nothing to roll back"
    if preview.plan and (not a.json or not a.yes):
        if sys.stdin.isatty() and not a.yes:
            _print_plan(ctx, "roll back", preview.sql, show_sql=False)
        confirm(a, f"Roll back {len(preview.plan)} migration(s)?", "rollback")
    opts.dry_run = False
    result = _interruptible(lambda cancel: run_op(rollback(ctx.project, ctx.target, opts, cancel), a.verbose))
    return _finish_operation(ctx, result, "roll back")


def history_dict(h) -> dict:
    return {
        "seq": h.seq, "deployment_id": h.deployment_id, "migration_id": h.migration_id,
        "action": h.action, "status": h.status, "started_at": iso(h.started_at),
        "finished_at": iso(h.finished_at), "duration_ms": h.duration_ms, "operator": h.operator,
        "host": h.host, "tool_version": h.tool_version,
        "details": json.loads(h.details) if h.details else None, "error": h.error,
        "prev_hash": h.prev_hash, "hash": h.hash,
    }


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
        emit_json({"ok": True, "events": [history_dict(h) for h in rows]})
        return EXIT_OK
    from .render import table

    table([[str(h.seq), h.started_at.strftime("%Y-%m-%d %H:%M:%S"), h.action, h.status,
            h.migration_id or "", f"{h.duration_ms}" if h.duration_ms is not None else "",
            h.operator or "", (h.error or "").splitlines()[0][:60] if h.error else ""]
           for h in rows], ["SEQ", "STARTED (UTC)", "ACTION", "STATUS", "MIGRATION", "MS", "BY", "ERROR"],
          colour_col=3)
    return EXIT_OK


def cmd_backup(ctx: Context) -> int:
    from ..core.backups import backup, list_backups
    from ..core.config import default_backup_dir

    a = ctx.args
    if a.list:
        from .render import table

        items = list_backups(ctx.target)
        table([[iso(b["created_at"]) or "", f"{b['size']:,}" if b.get("size") else "", b["path"],
                "ok" if b.get("exists") else "missing"] for b in items],
              ["CREATED (UTC)", "BYTES", "PATH", "FILE"])
        return EXIT_OK
    path = run_op(backup(ctx.target, out=a.out, backup_dir=ctx.config.deploy.backup_dir or default_backup_dir(ctx.target.url),
                         lock_timeout=ctx.lock_timeout()))
    print(path)
    return EXIT_OK


def cmd_restore(ctx: Context) -> int:
    from ..core.backups import check_backup, restore

    a = ctx.args
    check_backup(a.path)
    confirm(a, f"Restore {a.path} over {ctx.target.display_url}? Everything after the backup is lost.", "restore")
    run_op(restore(ctx.target, a.path, lock_timeout=ctx.lock_timeout()))
    print(f"restored {a.path}")
    return EXIT_OK


def cmd_repair(ctx: Context) -> int:
    from ..core.operations import repair
    from ..errors import InvalidInput

    a = ctx.args
    mid = a.forget_missing or a.id
    if a.accept_history:
        if mid:
            raise InvalidInput("--accept-history takes no migration ID")
        from ..core.operations import history_problems

        # what is accepted is read first and shown, and only that is accepted (expect=)
        problems = history_problems(ctx.target)
        if not problems:
            raise InvalidInput("nothing to accept: the history chain verifies and the state tables are consistent")
        listing = "\n".join(f"  {line}" for line in problems.lines())
        confirm(a, f"Repair: accept the history as it is now, with:\n{listing}\n"
                   "(the rows stay as they are; the acceptance is recorded in the history)\nAccept?", "repair")
        res = run_op(repair(ctx.project, ctx.target, None, accept_history=True, lock_timeout=ctx.lock_timeout(),
                            expect=problems))
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
    print(f"{res.migration_id}: {res.before} -> {res.after}")
    return EXIT_OK


def cmd_baseline(ctx: Context) -> int:
    from ..core.operations import baseline

    a = ctx.args
    confirm(a, f"Mark everything up to {a.to} as applied without running it?", "baseline")
    done = run_op(baseline(ctx.project, ctx.target, a.to, lock_timeout=ctx.lock_timeout()))
    print(f"baselined {len(done)} migration(s)" if done else "nothing to baseline")
    return EXIT_OK


def cmd_export(ctx: Context) -> int:
    from ..core.reports import ReportFilters, export_report

    a = ctx.args
    if a.format == "pdf":  # the only command that loads Qt: the PDF is drawn with it
        try:
            import nexo_studio.qt.report_pdf  # noqa: F401  (registers the pdf renderer)
        except ImportError as exc:
            from ..errors import InvalidInput

            raise InvalidInput(f"pdf export needs Qt (PySide6), which cannot be loaded: {exc}") from None
    filters = ReportFilters.parse(since=a.since, until=a.until, migration_id=a.migration, action=a.action,
                                  status=a.status, deployment_id=a.deployment)
    out = export_report(ctx.target, ctx.project, a.format, a.out, filters)
    print(out)
    return EXIT_OK


def cmd_new(ctx: Context) -> int:
    from ..core.scaffold import new_migration

    a = ctx.args
    depends = None if a.depends is None else [d.strip() for d in a.depends.split(",") if d.strip()]
    path = new_migration(ctx.config.migrations_dir, a.name, depends=depends, python=a.py)
    print(path)
    return EXIT_OK


def cmd_audit(ctx: Context) -> int:
    from .audit_cmd import audit

    return audit(ctx)


def cmd_graph(ctx: Context) -> int:
    from ..core.operations import status

    project = ctx.project
    try:
        snap = status(project, ctx.target)
        statuses = {s.id: s.status for s in snap.states}
    except NexoError:
        statuses = {}
    fill = {"applied": "#c8e6c9", "pending": "#fff3c4", "dirty": "#ffcdd2", "failed": "#ffcdd2",
            "drifted": "#e1bee7", "missing": "#e1bee7"}
    print("digraph migrations {")
    print('  rankdir=LR; node [shape=box, style="rounded,filled", fontname="Helvetica"];')
    for mid in sorted(project.migrations, key=lambda i: project.migrations[i].version):
        st = statuses.get(mid, "pending")
        label = f"{project.migrations[mid].version}\\n{project.migrations[mid].name}\\n[{st}]"
        print(f'  "{mid}" [label="{label}", fillcolor="{fill.get(st, "#ffffff")}"];')
    for dep, child in sorted(project.graph.edges()):
        print(f'  "{dep}" -> "{child}";')
    print("}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[Context], int]] = {
    "status": cmd_status, "validate": cmd_validate, "plan": cmd_plan, "deploy": cmd_deploy,
    "rollback": cmd_rollback, "history": cmd_history, "backup": cmd_backup, "restore": cmd_restore,
    "repair": cmd_repair, "baseline": cmd_baseline, "export": cmd_export, "new": cmd_new,
    "audit": cmd_audit, "graph": cmd_graph,
}


# --------------------------------------------------------------------------------------------
# entry point


def error_doc(exc: NexoError) -> dict:
    doc: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    findings = getattr(exc, "findings", None)
    if findings:
        doc["findings"] = [f.as_dict() for f in findings]
    for key in ("migration_id", "ids", "dependents", "problems", "holder", "host", "port", "path", "line"):
        value = getattr(exc, key, None)
        if value is not None:
            doc[key] = str(value) if isinstance(value, Path) else value
    return doc


@contextlib.contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Pause the cycle collector while a read-only command runs, as Mercurial does while it
    builds large structures (``util.nogc``). Everything such a command builds stays alive
    until it ends, so each collection scans it all and frees next to nothing: one young
    collection of ~200,000 objects was 65 ms of `status` at 10,000 migrations."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    wants_json = getattr(args, "json", False) and args.command in JSON_COMMANDS
    ctx = None
    try:
        ctx = Context(args)
        with _collector_paused(args.command in READ_ONLY_COMMANDS):
            return COMMANDS[args.command](ctx)
    except NexoError as exc:
        from ..core.db import redact

        if wants_json:
            emit_json({"ok": False, "error": error_doc(exc)})
        else:
            if getattr(exc, "findings", None):
                _findings_out([f for f in exc.findings if f.level == "error"], sys.stderr)
            err(f"nexo: {redact(str(exc))}")
        return exc.exit_code
    except KeyboardInterrupt:
        err("nexo: interrupted")
        return EXIT_FAILED
    except Exception as exc:  # a database error outside any step: report it, never a traceback
        import sqlalchemy

        if not isinstance(exc, sqlalchemy.exc.SQLAlchemyError):
            raise
        from ..core.db import redact

        text = redact(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
        if os.environ.get("NEXO_DEBUG"):
            import traceback

            traceback.print_exc()
        if wants_json:
            emit_json({"ok": False, "error": {"type": type(exc).__name__, "message": text}})
        else:
            err(f"nexo: database error: {text}")
        return EXIT_FAILED
    finally:
        if ctx is not None:
            ctx.close()


def entry() -> None:  # pragma: no cover
    # A run of `nexo` is one short process whose objects nearly all live until it exits:
    # SQLAlchemy's modules, the migrations, the state rows (~200,000 tracked objects for
    # `status` at 10,000 migrations). With the default thresholds (700, 10, 10) the cycle
    # collector ran 417 times there, 0.27 s of 1.28 s, and freed under 1,000 objects.
    # Read-only commands pause it (main()); for the others collect less often, as mypy
    # does; cycles are still freed. Set only here, in the process entry point: an embedding
    # process (tests, the GUI) keeps its own settings.
    gc.set_threshold(200_000, 30, 30)
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`nexo history | head`): not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    # The interpreter's shutdown runs one more full collection over everything still alive,
    # 30-60 ms, for memory the OS takes back anyway. Frozen objects are left out of it;
    # teardown itself (atexit handlers, closing files, flushing) runs as always.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
