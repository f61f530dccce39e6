"""Commands that run the pipeline: deploy and rollback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

from ...errors import EXIT_FAILED, EXIT_OK
from ..context import Context, confirm, emit_json, err, run_op
from ..json_shapes import result_dict
from .query import _print_plan


def _finish_operation(ctx: Context, result, verb: str) -> int:
    if ctx.args.json:
        emit_json(result_dict(result))
    elif result.status == "dry_run":
        _print_plan(ctx, verb, result.sql, show_sql=True, findings=result.lint)
        if "would refuse" in result.message:
            print(result.message.split("; ", 1)[-1])
        print("(dry run: nothing was changed)")
    else:
        if result.migrations:
            from ..render import table
            from ..rows import rows_cell

            dialect = ctx.target.dialect
            table([[ev.action, ev.status, ev.migration_id, f"{ev.duration_ms}", str(ev.statements),
                    rows_cell(ctx.project, dialect, ev)] for ev in result.migrations],
                  ["ACTION", "STATUS", "MIGRATION", "MS", "STATEMENTS", "ROWS"], colour_col=1)
            steps = ", ".join(f"{s.name} {s.status} ({s.duration_ms} ms)" for s in result.steps)
            print(f"steps: {steps}")
        print(result.message)
    if result.ok:
        return EXIT_OK
    return result.error.exit_code if result.error is not None else EXIT_FAILED


def cmd_deploy(ctx: Context) -> int:
    from ...core.pipeline import deploy

    a = ctx.args
    off = {step: False for step, flag in (("backup", a.no_backup), ("verify", a.no_verify),
                                          ("auto_rollback", a.no_auto_rollback)) if flag}
    if a.allow_risky:
        off["allow_risky"] = True
    if a.allow_drift:
        off["allow_drift"] = True
    opts = ctx.session.deploy_options(None, to=a.to, dry_run=a.dry_run, lock_timeout=ctx.lock_timeout(), **off)
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

    from ...core.events import CancelToken

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
    from ...core.pipeline import RollbackOptions, rollback
    from ...errors import InvalidInput

    a = ctx.args
    if bool(a.id) == bool(a.to):
        raise InvalidInput("rollback needs either an ID or --to ID|VERSION (not both)")
    if a.with_dependents and not a.id:
        raise InvalidInput("--with-dependents needs an ID")
    opts = RollbackOptions(to=a.to, one=a.id, with_dependents=a.with_dependents, dry_run=True,
                           lock_timeout=ctx.lock_timeout(), only_this_project=a.only_this_project)
    # the preview's stages are shown only when it is the run (--dry-run): the real run below
    # shows its own, and "== validate" is printed once
    preview = run_op(rollback(ctx.project, ctx.target, opts), quiet=not a.dry_run)
    if a.dry_run:
        return _finish_operation(ctx, preview, "roll back")
    # with nothing to roll back the real run still checks, under the lock, that the database
    # is not dirty or tampered with (exit 3 then), and says "nothing to roll back"
    if preview.plan and (not a.json or not a.yes):
        if sys.stdin.isatty() and not a.yes:
            with contextlib.redirect_stdout(sys.stderr if a.json else sys.stdout):
                _print_plan(ctx, "roll back", preview.sql, show_sql=False)
        confirm(a, f"Roll back {len(preview.plan)} migration(s)?", "rollback")
    opts.dry_run = False
    if a.backup:
        opts.backup, opts.backup_dir = True, ctx.session.backup_dir
    result = _interruptible(lambda cancel: run_op(rollback(ctx.project, ctx.target, opts, cancel), a.verbose))
    return _finish_operation(ctx, result, "roll back")
