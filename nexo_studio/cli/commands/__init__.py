"""One function per command: build the project and target, run an engine operation, render
its result. Each returns the exit code; errors are mapped to exit codes once, in ``main()``.

A command's module is imported when that command runs: `nexo status` loads neither backup's,
adopt's nor the fleet's modules (start-up is most of a small `status`)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from ..context import Context

#: command -> (module in this package, function)
_WHERE = {
    "status": ("query", "cmd_status"), "validate": ("query", "cmd_validate"), "plan": ("query", "cmd_plan"),
    "history": ("query", "cmd_history"), "graph": ("query", "cmd_graph"),
    "deploy": ("operations", "cmd_deploy"), "rollback": ("operations", "cmd_rollback"),
    "backup": ("admin", "cmd_backup"), "restore": ("admin", "cmd_restore"), "repair": ("admin", "cmd_repair"),
    "baseline": ("admin", "cmd_baseline"), "export": ("admin", "cmd_export"), "new": ("admin", "cmd_new"),
    "audit": ("audit", "cmd_audit"), "lint": ("lint", "cmd_lint"),
    "import": ("adopt", "cmd_import"), "adopt": ("adopt", "cmd_adopt"),
    "drift": ("drift", "cmd_drift"), "snapshot": ("drift", "cmd_snapshot"),
    "fleet": ("fleet", "cmd_fleet"),  # SPEC §9
}


def _command(module: str, name: str) -> Callable[[Context], int]:
    def run(ctx: Context) -> int:
        function: Callable[[Context], int] = getattr(import_module(f".{module}", __name__), name)
        return function(ctx)

    run.__name__ = run.__qualname__ = name
    return run


COMMANDS: dict[str, Callable[[Context], int]] = {command: _command(*where) for command, where in _WHERE.items()}
