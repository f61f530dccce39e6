"""`nexo fleet status|deploy|rollback|export`: one project, many databases (SPEC §9).

The work is the application layer's (``app.fleet``); this module parses, renders and maps
outcomes to exit codes. Imports stay light at module level: `nexo --help` loads no engine.
"""

from __future__ import annotations

import argparse
import sys
import threading

from ...errors import EXIT_FAILED, EXIT_OK, ConfigError
from ..context import Context, confirm, emit_json, err


def _selection(ctx: Context):
    from ...app.fleet import load_targets, select

    a = ctx.args
    path = a.targets or ctx.config.path
    if path is None:
        raise ConfigError(None, "no fleet: add [[targets]] to nexo.toml or give --targets FILE")
    fleet = load_targets(path, only_fleet=a.targets is not None)
    targets = select(fleet, a.tag, a.target)
    parallel = a.parallel if a.parallel is not None else fleet.parallel
    if parallel < 1:
        raise ConfigError(None, f"--parallel must be at least 1, not {parallel}")
    return targets, parallel


def cmd_fleet(ctx: Context) -> int:
    return {"status": _status, "deploy": _run, "rollback": _run, "export": _export}[ctx.args.fleet_command](ctx)


# -- status / export ---------------------------------------------------------------------------


def _status(ctx: Context) -> int:
    from ...app.fleet.status import read_all

    targets, parallel = _selection(ctx)
    rows = read_all(ctx.project, ctx.config, targets, parallel)
    ok = all(r.answered for r in rows)
    if ctx.args.json:
        emit_json({"ok": ok, "targets": [r.as_dict() for r in rows]})
    elif ctx.args.matrix:
        from ...app.fleet.export import columns
        from .fleet_render import print_matrix

        print_matrix(rows, columns(ctx.project, rows))
    else:
        from .fleet_render import print_status

        print_status(rows)
    return EXIT_OK if ok else EXIT_FAILED


def _export(ctx: Context) -> int:
    from ...app.fleet.export import columns, write
    from ...app.fleet.status import read_all

    targets, parallel = _selection(ctx)
    rows = read_all(ctx.project, ctx.config, targets, parallel, chain=True)
    path = write(ctx.args.format, ctx.args.out, rows, columns(ctx.project, rows))
    ok = all(r.answered for r in rows)
    broken = [r.name for r in rows if r.chain is not None and not r.chain.ok]
    if ctx.args.json:
        emit_json({"ok": ok, "path": str(path), "format": ctx.args.format, "targets": len(rows),
                   "unreachable": [r.name for r in rows if not r.answered], "chain_broken": broken})
    else:
        print(f"wrote {path} ({len(rows)} target(s))")
        for r in rows:
            if not r.answered:
                err(f"{r.name}: unreachable: {r.error}")
        for name in broken:
            err(f"{name}: history chain broken")
    return EXIT_OK if ok else EXIT_FAILED


# -- deploy / rollback -------------------------------------------------------------------------


def _confirm_production(a: argparse.Namespace, targets) -> tuple[str, ...]:
    """The second, typed confirmation for targets tagged production (the app layer refuses a run
    without it); ``--allow-production`` gives it up front, as ``--yes`` does the first."""
    from ...app.fleet.production import phrase, production_names
    from ...errors import ConfirmationDeclined, ProductionNotConfirmed

    names = production_names(targets)
    if not names or a.dry_run or a.allow_production:
        return tuple(names)
    want = phrase(names)
    if not sys.stdin.isatty():
        raise ProductionNotConfirmed(names, want)
    verb = "roll back" if a.fleet_command == "rollback" else "deploy to"
    err(f"{len(names)} target(s) tagged production: {', '.join(names)}")
    print(f"Type {want!r} to {verb} production: ", end="", file=sys.stderr, flush=True)
    try:
        answer = input().strip()
    except EOFError:  # Ctrl-D at the prompt
        answer = ""
    if answer != want:
        raise ConfirmationDeclined(f"fleet {a.fleet_command} on production")
    return tuple(names)


def _run(ctx: Context) -> int:
    from ...app.fleet.runner import FleetOptions, run_fleet
    from .fleet_render import Progress, print_run, run_dict
    from .operations import _interruptible

    a = ctx.args
    targets, parallel = _selection(ctx)
    rollback = a.fleet_command == "rollback"
    opts = FleetOptions(action=a.fleet_command, to=a.to, dry_run=a.dry_run, lock_timeout=a.lock_timeout,
                        parallel=parallel, canary=a.canary, continue_on_error=a.continue_on_error)
    if not rollback:
        opts.backup = False if a.no_backup else None
        opts.verify = False if a.no_verify else None
    if rollback and not a.dry_run:
        confirm(a, f"Roll back {len(targets)} target(s) to {a.to}?", "fleet rollback")
    opts.production_confirmed = _confirm_production(a, targets)
    progress = Progress(verbose=a.verbose, lock=threading.Lock())
    project = ctx.project
    fleet = _interruptible(lambda cancel: run_fleet(project, ctx.config, targets, opts, cancel,
                                                    progress.on_event, progress.on_done))
    if a.json:
        emit_json(run_dict(fleet))
    else:
        print_run(fleet, sys.stdout)
    return fleet.exit_code
