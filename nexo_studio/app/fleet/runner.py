"""`fleet deploy` / `fleet rollback`: the single-database pipeline on every target (SPEC §9).

Canary targets first, one at a time; then the rest, at most ``parallel`` at once, each on a
worker thread with its own Session (engine, connections, lock). After the first failure no
new target starts (running ones finish) unless ``continue_on_error``. Cancelling the fleet's
token stops starting targets and cancels the running ones through their own tokens, which
interrupt the statement each is running. Every history row a target writes carries the
run's ``fleet_id``; a target with nothing to do writes none.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...core.config import Config
from ...core.events import CancelToken, Event, run
from ...errors import (EXIT_FAILED, EXIT_OK, EXIT_REFUSED, Cancelled, ConnectionFailed, DatabaseNeedsRepair,
                       LockTimeout, NexoError, ValidationFailed)
from .status import dialect_name, open_session, prepare
from .targets import FleetTarget

if TYPE_CHECKING:
    from ...core.pipeline import OperationResult
    from ...core.project import Project

#: outcomes that count as success
OK_STATUSES = ("deployed", "up_to_date", "rolled_back", "dry_run")


@dataclass
class FleetOptions:
    action: str = "deploy"  # deploy, rollback
    to: str | None = None
    dry_run: bool = False
    backup: bool | None = None   # None: nexo.toml's [deploy]
    verify: bool | None = None
    lock_timeout: float | None = None
    parallel: int = 8
    #: the first K targets are the canaries (else those tagged `canary`)
    canary: int | None = None
    continue_on_error: bool = False
    #: the production targets the user confirmed by typing (``production.check``)
    production_confirmed: tuple[str, ...] = ()


@dataclass
class TargetOutcome:
    name: str
    dialect: str
    #: deployed, up_to_date, rolled_back, dry_run, failed, refused, unreachable, locked,
    #: cancelled, invalid, not_started
    status: str
    ok: bool
    exit_code: int = EXIT_OK
    canary: bool = False
    result: "OperationResult | None" = None
    error: str | None = None
    error_type: str | None = None


@dataclass
class FleetRun:
    fleet_id: str
    action: str
    outcomes: list[TargetOutcome] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(o.ok for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        """0 all fine; 1 any failed, unreachable or cancelled; else 3 any refused; else 2."""
        codes = {o.exit_code for o in self.outcomes if not o.ok and o.status != "not_started"}
        if self.cancelled or EXIT_FAILED in codes:
            return EXIT_FAILED
        if EXIT_REFUSED in codes:
            return EXIT_REFUSED
        return max(codes, default=EXIT_OK)


def new_fleet_id() -> str:
    return f"fleet-{uuid.uuid4()}"


def _options(session, opts: FleetOptions, fleet_id: str):
    from ...core.pipeline import RollbackOptions

    labels = {"fleet_id": fleet_id}
    timeout = session.lock_timeout if opts.lock_timeout is None else opts.lock_timeout
    if opts.action == "rollback":
        return RollbackOptions(to=opts.to, dry_run=opts.dry_run, lock_timeout=timeout, labels=labels)
    steps = {k: v for k, v in (("backup", opts.backup), ("verify", opts.verify)) if v is not None}
    return session.deploy_options(to=opts.to, dry_run=opts.dry_run, lock_timeout=timeout, labels=labels, **steps)


def _failed(t: FleetTarget, dialect: str, status: str, exc: BaseException, code: int) -> TargetOutcome:
    from ...core.db import redact

    return TargetOutcome(t.name, dialect, status, False, code, t.canary, None, redact(str(exc)), type(exc).__name__)


def run_target(project: "Project", config: Config, t: FleetTarget, opts: FleetOptions, fleet_id: str,
               cancel: CancelToken, on_event: Callable[[str, Event], None] | None = None) -> TargetOutcome:
    """One target, exactly as `nexo deploy` / `nexo rollback` would run it."""
    import sqlalchemy as sa

    from ...core.pipeline import deploy, rollback

    session = open_session(config, project, t)
    mine = CancelToken()  # this target's: the fleet's cancel reaches it, and its interrupters
    unhook = cancel.on_cancel(mine.cancel)
    if cancel.cancelled:
        mine.cancel()
    dialect = dialect_name(t)
    try:
        op = rollback if opts.action == "rollback" else deploy
        gen = op(project, session.target, _options(session, opts, fleet_id), mine)
        result = run(gen, (lambda ev: on_event(t.name, ev)) if on_event else None)
    except ConnectionFailed as exc:
        return _failed(t, dialect, "unreachable", exc, exc.exit_code)
    except LockTimeout as exc:
        return _failed(t, dialect, "locked", exc, exc.exit_code)
    except DatabaseNeedsRepair as exc:
        return _failed(t, dialect, "refused", exc, exc.exit_code)
    except Cancelled as exc:
        return _failed(t, dialect, "cancelled", exc, exc.exit_code)
    except NexoError as exc:
        return _failed(t, dialect, "invalid" if exc.exit_code == 2 else "failed", exc, exc.exit_code)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        # Cancel interrupts the running statement; on SQLite the interrupt can land on the
        # pipeline's own bookkeeping statement instead, which then raises "interrupted": that is
        # the cancel, not a failure of the migration (its transaction rolled back whole)
        return _failed(t, dialect, "cancelled" if mine.cancelled else "failed", exc, EXIT_FAILED)
    except Exception as exc:  # one target's unexpected error is its outcome, never the whole run's end
        return _failed(t, dialect, "failed", exc, EXIT_FAILED)
    finally:
        unhook()
        session.close()
    if result.ok:
        return TargetOutcome(t.name, dialect, result.status, True, EXIT_OK, t.canary, result)
    code = result.error.exit_code if result.error is not None else EXIT_FAILED
    status = "cancelled" if result.status == "cancelled" else "failed"
    return TargetOutcome(t.name, dialect, status, False, code, t.canary, result, result.message,
                         type(result.error).__name__ if result.error else None)


def refuse_invalid(project: "Project", targets: Sequence[FleetTarget]) -> None:
    """Validation errors for any target's dialect stop the run before any target starts (exit 2)."""
    dialects = sorted({dialect_name(t) for t in targets} - {"unknown"})
    for dialect in dialects:
        findings = project.findings(dialect)
        if any(f.level == "error" for f in findings):
            raise ValidationFailed(findings)


def split_canaries(targets: Sequence[FleetTarget], canary: int | None) -> tuple[list, list]:
    first = list(targets[:canary]) if canary is not None else [t for t in targets if t.canary]
    return first, [t for t in targets if t not in first]


def run_fleet(project: "Project", config: Config, targets: Sequence[FleetTarget], opts: FleetOptions,
              cancel: CancelToken | None = None, on_event: Callable[[str, Event], None] | None = None,
              on_done: Callable[[TargetOutcome], None] | None = None) -> FleetRun:
    from .production import check

    cancel = cancel or CancelToken()
    check(targets, opts.dry_run, opts.production_confirmed)
    refuse_invalid(project, targets)
    prepare(project, targets)
    fleet = FleetRun(new_fleet_id(), opts.action)
    done: dict[str, TargetOutcome] = {}
    stop = False

    def finish(o: TargetOutcome) -> None:
        nonlocal stop
        done[o.name] = o
        if not o.ok and not opts.continue_on_error:
            stop = True
        if on_done is not None:
            on_done(o)

    canaries, rest = split_canaries(targets, opts.canary)

    def one(t: FleetTarget) -> TargetOutcome:
        o = run_target(project, config, t, opts, fleet.fleet_id, cancel, on_event)
        o.canary = t in canaries  # this run's canaries (--canary K), not the tag
        return o

    for t in canaries:  # one at a time
        if stop or cancel.cancelled:
            break
        finish(one(t))
    queue = deque(rest)
    with ThreadPoolExecutor(max_workers=max(1, opts.parallel), thread_name_prefix="nexo-fleet") as pool:
        running: dict = {}
        while True:
            while queue and len(running) < max(1, opts.parallel) and not stop and not cancel.cancelled:
                t = queue.popleft()
                running[pool.submit(one, t)] = t
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in finished:
                running.pop(f)
                finish(f.result())
    fleet.cancelled = cancel.cancelled
    for t in targets:
        if t.name not in done:
            done[t.name] = TargetOutcome(t.name, dialect_name(t), "not_started", False,
                                         EXIT_OK, t in canaries)
    fleet.outcomes = [done[t.name] for t in targets]
    return fleet
