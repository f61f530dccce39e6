"""The parser's commands of SPEC §8-10: `import`, `adopt` and `status --from`; `drift` and
`snapshot`; `fleet status|deploy|rollback|export`. Here, not in their command modules, so that
building the parser (every run of `nexo`) imports none of those modules: each is imported when
its command runs (``commands._WHERE``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.adopt import TOOLS


def adopt_parsers(cmd, yes, lock_timeout) -> None:
    """Register `import` and `adopt` (``cmd``/``yes``/``lock_timeout``: the parser's helpers)."""
    p = cmd("import", "write nexo migrations from another tool's project (flyway, liquibase, alembic, "
                      "sqitch, golang-migrate, dbmate)")
    p.add_argument("--from", dest="from_tool", required=True, choices=TOOLS, metavar="TOOL")
    p.add_argument("source", type=Path, metavar="SOURCE", help="the other tool's folder (or changelog file)")
    p.add_argument("--into", type=Path, metavar="DIR", help="write here (default: the migrations folder)")
    p.add_argument("--dry-run", action="store_true", help="show the mapping; write nothing")
    p.add_argument("--skip-unsupported", action="store_true", help="import the rest when items cannot be converted")
    p = cmd("adopt", "take over a database another tool migrated: record its applied migrations, run nothing")
    p.add_argument("--from", dest="from_tool", required=True, choices=TOOLS, metavar="TOOL")
    p.add_argument("--dry-run", action="store_true", help="show the reconciliation; change nothing")
    p.add_argument("--accept-mismatch", action="store_true",
                   help="adopt despite checksum mismatches and applied migrations without a file")
    yes(p)
    lock_timeout(p)


def add_status_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="from_tool", choices=TOOLS, metavar="TOOL",
                   help="show the state as that tool recorded it (read-only)")


def drift_parsers(cmd, yes, lock_timeout) -> None:
    cmd("drift", "compare the live schema with the last snapshot; exit 1 on drift, 2 without a snapshot", True)
    p = cmd("snapshot", "record the live schema as the accepted one (accepts a change made by hand)", True)
    yes(p)
    lock_timeout(p)


def fleet_parser(sub, global_options) -> None:
    """``nexo fleet …`` in the main parser (``sub``: its subparsers)."""
    p = sub.add_parser("fleet", help="one project, many databases: status, deploy, rollback, export",
                       description="Work on every database of a fleet ([[targets]] in nexo.toml or --targets FILE).")
    global_options(p, True)
    fsub = p.add_subparsers(dest="fleet_command", metavar="status|deploy|rollback|export", required=True)

    def fcmd(name: str, help: str) -> argparse.ArgumentParser:
        c = fsub.add_parser(name, help=help, description=help)
        global_options(c, True)
        c.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
        c.add_argument("--targets", type=Path, metavar="FILE", help="the targets ([fleet], [[targets]]) "
                                                                     "instead of nexo.toml's")
        c.add_argument("--tag", action="append", default=[], metavar="T", help="targets with this tag (repeatable)")
        c.add_argument("--target", action="append", default=[], metavar="NAME", help="this target (repeatable)")
        c.add_argument("--parallel", type=int, metavar="N", help="databases at once (default [fleet] parallel, 8)")
        return c

    c = fcmd("status", "one row per target: state, applied, pending, head, last deployment")
    c.add_argument("--matrix", action="store_true", help="print targets x migrations")
    for name, verb in (("deploy", "deploy pending migrations to"), ("rollback", "roll back")):
        c = fcmd(name, f"{verb} every selected target: canaries first, then at most N at once")
        c.add_argument("--to", required=name == "rollback", metavar="ID|VERSION",
                       help="as for `nexo deploy` / `nexo rollback` (rollback: 0 rolls back everything)")
        c.add_argument("--canary", type=int, metavar="K", help="the first K targets are the canaries "
                                                              "(default: those tagged canary)")
        c.add_argument("--continue-on-error", action="store_true", help="keep starting targets after a failure")
        c.add_argument("--dry-run", action="store_true", help="print each target's plan; change nothing")
        c.add_argument("--lock-timeout", type=float, metavar="SECONDS",
                       help="wait this long for each target's lock (default 30, or nexo.toml)")
        c.add_argument("--verbose", "-v", action="store_true", help="print every migration as it finishes")
        c.add_argument("--allow-production", action="store_true",
                       help="include targets tagged production without typing the confirmation")
        if name == "deploy":
            c.add_argument("--no-backup", action="store_true", help="skip each target's backup before applying")
            c.add_argument("--no-verify", action="store_true", help="skip verify sections and post-deploy checks")
        else:
            c.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    c = fcmd("export", "the matrix with each target's history-chain verdict")
    c.add_argument("--format", required=True, choices=["csv", "json", "html"])
    c.add_argument("--out", required=True, type=Path, metavar="PATH")
