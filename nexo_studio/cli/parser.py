"""`nexo`'s argument parser: every command and option (SPEC §5, §7)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import __version__
from ..errors import UsageError
from .parser_more import add_status_option, adopt_parsers, drift_parsers, fleet_parser

#: core.model.DIALECTS and the alias mariadb (not imported: --help loads no engine code)
PLAN_DIALECTS = ("sqlite", "postgresql", "mysql", "mariadb", "mssql")


def _global_options(p: argparse.ArgumentParser, suppress: bool) -> None:
    d = argparse.SUPPRESS if suppress else None
    p.add_argument("--db", metavar="URL", default=d,
                   help="SQLAlchemy database URL (else NEXO_DATABASE_URL, nexo.toml, sqlite:///nexo.db)")
    p.add_argument("--migrations", metavar="DIR", type=Path, default=d,
                   help="migrations folder (default: migrations_dir from nexo.toml, else ./migrations)")
    p.add_argument("--config", metavar="FILE", type=Path, default=d, help="config file (default ./nexo.toml)")


class ArgumentParser(argparse.ArgumentParser):
    """Raises :class:`UsageError` for bad arguments instead of exiting, so that ``main()``
    can answer `--json` with a JSON document (SPEC §7) and exit 2 as argparse would."""

    def error(self, message: str):
        raise UsageError(self.prog, message, self.format_usage())


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="nexo",
        description="Versioned database schema migrations: validate, deploy, roll back, audit.",
        epilog="Exit codes: 0 ok, 1 operation failed, 2 invalid input, 3 refused (database dirty/failed/drifted).",
    )
    parser.add_argument("--version", action="version", version=f"nexo {__version__}")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def cmd(name: str, help: str, json_flag: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _global_options(p, suppress=True)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
        return p

    # in this order in --help
    for add in (_status_commands, _deploy_commands, _trail_commands, _repair_commands, _report_commands):
        add(cmd)
    fleet_parser(sub, _global_options)  # SPEC §9: fleet status|deploy|rollback|export
    return parser


def lock_timeout(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lock-timeout", type=float, metavar="SECONDS",
                   help="wait this long for another operation's lock (default 30, or nexo.toml)")


def yes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def _status_commands(cmd) -> None:
    add_status_option(cmd("status", "show every migration's status against the database", True))
    cmd("validate", "check files, dependencies and state; exit 2 on errors", True)
    p = cmd("plan", "show what deploy would apply, in order", True)
    p.add_argument("--to", metavar="ID|VERSION", help="plan up to this migration or version")
    p.add_argument("--sql", action="store_true", help="also print the SQL of each migration")
    p.add_argument("--dialect", choices=PLAN_DIALECTS, metavar="NAME",
                   help="plan for this dialect without connecting, every migration pending "
                        f"({', '.join(PLAN_DIALECTS)})")


def _deploy_commands(cmd) -> None:
    p = cmd("deploy", "validate, back up, apply pending migrations, verify; roll back on failure", True)
    p.add_argument("--to", metavar="ID|VERSION", help="deploy this migration (and its dependencies) or up to this version")
    p.add_argument("--dry-run", action="store_true", help="print the plan and the exact SQL; change nothing")
    p.add_argument("--no-backup", action="store_true", help="skip the backup before applying")
    p.add_argument("--no-verify", action="store_true", help="skip verify sections and post-deploy checks")
    p.add_argument("--no-auto-rollback", action="store_true", help="on failure, keep what was applied")
    p.add_argument("--allow-risky", action="store_true",
                   help="run error-level lint findings (drops, truncates …) anyway; default: refuse (exit 2)")
    p.add_argument("--allow-drift", action="store_true",
                   help="deploy even if the live schema differs from the last snapshot; default: refuse (exit 3)")
    p.add_argument("--verbose", "-v", action="store_true", help="print every statement as it runs")
    lock_timeout(p)

    p = cmd("rollback", "roll back to a version, or one migration (with its dependents)", True)
    p.add_argument("id", nargs="?", metavar="ID", help="roll back this one migration")
    p.add_argument("--to", metavar="ID|VERSION", help="roll back everything newer than this (0: everything)")
    p.add_argument("--with-dependents", action="store_true", help="with ID: also roll back what depends on it")
    p.add_argument("--only-this-project", action="store_true",
                   help="leave alone applied migrations with no file in this project (another project's on this database)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and the exact SQL; change nothing")
    p.add_argument("--backup", action="store_true",
                   help="back up the database under the lock before the first down runs")
    p.add_argument("--verbose", "-v", action="store_true", help="print every statement as it runs")
    yes(p)
    lock_timeout(p)


def _trail_commands(cmd) -> None:
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
    p.add_argument("--from-other-database", action="store_true",
                   help="restore a backup of another database (the target's history is kept)")
    yes(p)
    lock_timeout(p)


def _repair_commands(cmd) -> None:
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


def _report_commands(cmd) -> None:
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

    p = cmd("audit", "audit the history", json_flag=False)
    asub = p.add_subparsers(dest="audit_command", metavar="verify|anchor", required=True)
    av = asub.add_parser("verify", help="verify the history hash chain (or an exported JSON report)")
    _global_options(av, suppress=True)
    av.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    av.add_argument("report", nargs="?", type=Path, help="an exported JSON report to check instead")
    av.add_argument("--anchor", type=Path, metavar="FILE",
                    help="also check the history still holds, unchanged, the head recorded in FILE "
                         "(from `nexo audit anchor`, or an exported JSON report)")
    aa = asub.add_parser("anchor", help="write the history's head to FILE, to keep elsewhere (see --anchor)")
    _global_options(aa, suppress=True)
    aa.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    aa.add_argument("--out", required=True, type=Path, metavar="FILE")

    cmd("graph", "print the dependency graph as Graphviz DOT")

    p = cmd("lint", "report risky statements (drops, locks, rewrites) with the safer way; exit 1 on errors", True)
    p.add_argument("ids", nargs="*", metavar="ID", help="lint only these migrations (default: all)")
    p.add_argument("--dialect", choices=["sqlite", "postgresql", "mysql", "mariadb", "mssql"],
                   help="lint for this dialect without connecting (default: the database's, with row estimates)")
    adopt_parsers(cmd, yes, lock_timeout)  # import, adopt (SPEC §8)
    drift_parsers(cmd, yes, lock_timeout)  # drift, snapshot (SPEC §10)
