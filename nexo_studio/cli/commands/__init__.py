"""One function per command: build the project and target, run an engine operation, render
its result. Each returns the exit code; errors are mapped to exit codes once, in ``main()``."""

from __future__ import annotations

from collections.abc import Callable

from ..context import Context
from .adopt import cmd_adopt, cmd_import
from .admin import cmd_backup, cmd_baseline, cmd_export, cmd_new, cmd_repair, cmd_restore
from .audit import cmd_audit
from .drift import cmd_drift, cmd_snapshot
from .lint import cmd_lint
from .operations import cmd_deploy, cmd_rollback
from .query import cmd_graph, cmd_history, cmd_plan, cmd_status, cmd_validate

COMMANDS: dict[str, Callable[[Context], int]] = {
    "status": cmd_status, "validate": cmd_validate, "plan": cmd_plan, "deploy": cmd_deploy,
    "rollback": cmd_rollback, "history": cmd_history, "backup": cmd_backup, "restore": cmd_restore,
    "repair": cmd_repair, "baseline": cmd_baseline, "export": cmd_export, "new": cmd_new,
    "audit": cmd_audit, "graph": cmd_graph, "lint": cmd_lint,
    "import": cmd_import, "adopt": cmd_adopt, "drift": cmd_drift, "snapshot": cmd_snapshot,
}

from .fleet import cmd_fleet  # noqa: E402 (SPEC §9)

COMMANDS["fleet"] = cmd_fleet
