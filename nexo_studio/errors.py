"""One exception tree for the whole product.

Every error carries its data as attributes; front ends (CLI, GUI) map the *class* to an exit
code or a dialog once, at the boundary, and never parse message strings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

# Exit codes fixed by the contract (SPEC §5).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_REFUSED = 3


def shown(value: object, limit: int = 60) -> str:
    """``value`` as a message quotes it: repr, cut to ``limit`` characters (a 1 MB name or a
    hostile row is not echoed whole)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(str(value)):,} characters)"


class NexoError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with for this error."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- invalid input (exit 2) -------------------------------------------------------------------


class InvalidInput(NexoError):
    exit_code = EXIT_INVALID


class MigrationFileError(InvalidInput):
    """A migration file that cannot be read or parsed."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line else f"{self.path}"
        super().__init__(f"{where}: {reason}")


class ConfigError(InvalidInput):
    def __init__(self, path: Path | str | None, reason: str) -> None:
        self.path = Path(path) if path else None
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class _Finding(Protocol):
    """What the errors below read of a finding (``core.validate.Finding``, ``core.lint.LintFinding``;
    this module imports nothing of the engine)."""

    @property
    def level(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...


class _LintFinding(_Finding, Protocol):
    @property
    def migration_id(self) -> str: ...
    @property
    def line(self) -> int | None: ...


class ValidationFailed(InvalidInput):
    """Validation found errors; ``findings`` holds every finding (errors and warnings)."""

    def __init__(self, findings: Sequence[_Finding]) -> None:
        self.findings = list(findings)
        errors = [f for f in self.findings if getattr(f, "level", "") == "error"]
        # "code: message": the count already says these are errors
        lines = "; ".join(f"{f.code}: {f.message}" if hasattr(f, "code") else str(f) for f in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"validation failed with {len(errors)} error(s): {lines}{more}")


class RiskyMigration(InvalidInput):
    """Deploy refused: error-level lint findings in the ``up`` sections it would run, neither
    allowed by the migration (``-- lint: allow CODE "reason"``) nor by ``--allow-risky``
    (SPEC §11). ``findings`` holds the blocking :class:`LintFinding` s."""

    def __init__(self, findings: Sequence[_LintFinding]) -> None:
        self.findings = list(findings)
        lines = "; ".join(f"{f.migration_id} line {f.line}: [{f.code}] {f.message.rstrip('.')}" for f in self.findings[:5])
        more = f" (and {len(self.findings) - 5} more)" if len(self.findings) > 5 else ""
        super().__init__(
            f"deploy refused: {len(self.findings)} error-level risk(s) in the migrations to apply: {lines}{more}. "
            "Make the migration safer, allow the rule in its header (-- lint: allow CODE \"reason\"), "
            "or deploy with --allow-risky")


class UnknownMigration(InvalidInput):
    def __init__(self, target: str) -> None:
        self.target = target
        super().__init__(f"unknown migration or version: {target!r}")


class NotApplied(InvalidInput):
    def __init__(self, migration_id: str) -> None:
        self.migration_id = migration_id
        super().__init__(f"{migration_id} is not applied")


class Irreversible(InvalidInput):
    """A rollback would have to undo migrations that have no ``down``."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)
        super().__init__(
            "cannot roll back: no down section in " + ", ".join(self.ids) + " (irreversible)"
        )


class NotInProject(Irreversible):
    """A rollback would have to undo applied migrations whose files are not in this project
    (status ``missing``), often another project's migrations on the same database. ``ids``: those;
    ``irreversible``: migrations of this project in the same plan that lack ``down``."""

    def __init__(self, ids: Sequence[str], irreversible: Sequence[str] = ()) -> None:
        self.ids = list(ids)
        self.irreversible = list(irreversible)
        n = len(self.ids)
        message = (f"cannot roll back: {n} applied migration{'s have' if n != 1 else ' has'} no file in this "
                   f"project ({', '.join(self.ids)}): they may belong to another project on this database; "
                   "use --only-this-project to roll back only this project's migrations")
        if self.irreversible:
            message += "; no down section in " + ", ".join(self.irreversible) + " (irreversible)"
        InvalidInput.__init__(self, message)


class CycleDetected(InvalidInput):
    """The migrations' ``depends`` form a cycle; ``path`` repeats its first id at the end
    (a -> b -> a)."""

    def __init__(self, path: list[str]) -> None:
        self.path = path
        super().__init__(" -> ".join(path))


class HasDependents(InvalidInput):
    def __init__(self, migration_id: str, dependents: Sequence[str]) -> None:
        self.migration_id = migration_id
        self.dependents = list(dependents)
        super().__init__(
            f"cannot roll back {migration_id} alone: applied migrations depend on it: "
            + ", ".join(self.dependents)
            + " (use --with-dependents)"
        )


class HistoryChanged(InvalidInput):
    """``repair --accept-history`` found other problems than the ones shown for confirmation:
    nothing is accepted that the user did not see."""

    def __init__(self, shown: list[str], found: list[str]) -> None:
        self.shown = shown
        self.found = found
        super().__init__("the history changed since it was shown; nothing accepted. Now: "
                         + ("; ".join(found) or "nothing to accept"))


class HealthyRow(InvalidInput):
    """``repair --mark`` on a row that needs no repair (applied or pending): refused, since
    marking an applied migration rolled back makes the next deploy apply it a second time."""

    def __init__(self, migration_id: str, status: str) -> None:
        self.migration_id = migration_id
        self.status = status
        super().__init__(
            f"{migration_id} is {status}, not dirty, failed or drifted: nothing to repair. To undo it run "
            f"`nexo rollback {migration_id}`; to record a state by hand anyway pass --override-healthy "
            "(recorded in the history as an override)")


class SchemaReflectionUnsupported(InvalidInput):
    """No schema reflector for this database's dialect (drift and snapshots cannot run)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        super().__init__(f"no schema reflector for dialect {dialect!r} (known: sqlite, postgresql, mysql, mssql)")


class ConfirmationRequired(InvalidInput):
    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(f"{action} needs confirmation: run on a terminal or pass --yes")


class UsageError(InvalidInput):
    """Bad command-line arguments (what argparse reports); ``usage`` is the command's usage line."""

    def __init__(self, prog: str, reason: str, usage: str = "") -> None:
        self.prog = prog
        self.reason = reason
        self.usage = usage
        super().__init__(f"{prog}: error: {reason}")


class ConfirmationDeclined(InvalidInput):
    """The user answered no at the prompt: nothing was changed."""

    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(f"{action} cancelled: not confirmed, nothing was changed")


class ProductionNotConfirmed(InvalidInput):
    """A fleet run would change targets tagged ``production`` that the user did not confirm by
    typing (``targets``); nothing was started."""

    def __init__(self, targets: Sequence[str], phrase: str) -> None:
        self.targets = list(targets)
        self.phrase = phrase
        super().__init__(f"{len(self.targets)} production target(s) not confirmed: {', '.join(self.targets)}; "
                         f"nothing was started (type {phrase!r} when asked on a terminal, or pass --allow-production)")


# --- refused: the database needs repair first (exit 3) ----------------------------------------


class DatabaseNeedsRepair(NexoError):
    exit_code = EXIT_REFUSED

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        """``problems`` are ``(migration_id, status)`` pairs (dirty, failed, drifted, ...)."""
        self.problems = list(problems)
        listed = ", ".join(f"{mid} ({status})" for mid, status in self.problems)
        super().__init__(
            f"refusing to change the database: {listed}. Resolve with `nexo repair` first."
        )


class SchemaDrift(NexoError):
    """The live schema differs from the last snapshot (SPEC §10): deploy refuses.
    ``changes`` are the diff's ``Change`` objects (each with ``to_dict()``)."""

    exit_code = EXIT_REFUSED

    def __init__(self, changes: Sequence[object], snapshot_id: int | None = None) -> None:
        self.changes = list(changes)
        self.snapshot_id = snapshot_id
        listed = "\n".join(f"  {c}" for c in self.changes)
        super().__init__(
            f"refusing to deploy: the live schema differs from the last snapshot"
            f"{f' (#{snapshot_id})' if snapshot_id else ''} in {len(self.changes)} place(s):\n{listed}\n"
            "Undo the change, accept it with `nexo snapshot --yes`, or deploy with --allow-drift."
        )


# --- the operation failed (exit 1) -------------------------------------------------------------


class AuditFailed(NexoError):
    """The history does not verify (``verdict``: what ``nexo audit verify`` prints)."""

    def __init__(self, verdict: str) -> None:
        self.verdict = verdict
        super().__init__(f"the history does not verify; nothing anchored:\n{verdict}")


class ConnectionFailed(NexoError):
    def __init__(self, host: str | None, port: int | None, reason: str) -> None:
        self.host = host
        self.port = port
        self.reason = reason
        where = f"{host}:{port}" if port else (host or "database")
        super().__init__(f"cannot connect to {where}: {reason}")


class LockTimeout(NexoError):
    def __init__(self, database: str, timeout: float, holder: str | None) -> None:
        self.database = database
        self.timeout = timeout
        self.holder = holder
        who = f"; held by {holder}" if holder else ""
        super().__init__(
            f"another operation holds the lock on {database} (waited {timeout:g}s){who}"
        )


class StepFailed(NexoError):
    """A migration statement failed. ``line`` is the statement's first line in ``path``."""

    def __init__(
        self,
        migration_id: str,
        action: str,
        statement: str | None,
        error: str,
        path: Path | None = None,
        line: int | None = None,
        dirty: bool = False,
    ) -> None:
        self.migration_id = migration_id
        self.action = action
        self.statement = statement
        self.error = error
        self.path = path
        self.line = line
        self.dirty = dirty
        where = f" at {path.name}:{line}" if path and line else ""
        super().__init__(f"{action} of {migration_id} failed{where}: {error}")


class VerifyFailed(NexoError):
    """A migration's verify or a post-deploy check failed; a migration's names its statement."""

    def __init__(self, check: str, reason: str, *, migration_id: str | None = None,
                 statement: str | None = None, line: int | None = None, path: Path | None = None) -> None:
        self.check = check
        self.reason = reason
        self.migration_id = migration_id
        self.statement = statement
        self.line = line
        self.path = path
        super().__init__(f"verify failed: {check}: {reason}")


class BackupError(NexoError):
    def __init__(self, reason: str, path: Path | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


class BackupUnreadable(BackupError):
    """The backup file named on the command line is missing or cannot be read (invalid input)."""

    exit_code = EXIT_INVALID


class ForeignBackup(BackupError):
    """The backup's sidecar records another database than the target (``source``: what it
    records); refused unless the user says ``--from-other-database``."""

    exit_code = EXIT_INVALID

    def __init__(self, path: Path, source: str, target: str) -> None:
        self.source = source
        self.target = target
        super().__init__(f"this is a backup of {source}, not of {target}; nothing restored "
                         "(pass --from-other-database to restore it anyway: the target's history is kept)", path)


class RestoreInterrupted(BackupError):
    """A restore of this database was killed half way and its journal was written through
    another URL of it: nothing may change it until that URL finishes or undoes the restore."""

    exit_code = EXIT_REFUSED

    def __init__(self, journal: Path, url: str, backup: str) -> None:
        self.url = url
        super().__init__(f"an interrupted restore of this database (from {backup}) was started through "
                         f"{url}; run any command that changes the database with that URL first: it finishes "
                         "or undoes the restore. Nothing was changed", journal)


class ToolMissing(BackupError):
    def __init__(self, tool: str, package: str) -> None:
        self.tool = tool
        self.package = package
        super().__init__(f"{tool} not found on PATH; install it (Debian/Ubuntu: apt-get install {package})")


class HistoryTampered(NexoError):
    def __init__(self, seq: int | None, reason: str) -> None:
        self.seq = seq
        self.reason = reason
        super().__init__(f"history chain broken at seq {seq}: {reason}")


class Cancelled(NexoError):
    def __init__(self, where: str = "") -> None:
        self.where = where
        super().__init__("cancelled" + (f" during {where}" if where else ""))


# --- adopting another tool's project and database (SPEC §8) -------------------------------------


class ImportUnsupported(InvalidInput):
    """Foreign items `nexo import` cannot convert; ``problems`` lists "source: reason"."""

    def __init__(self, tool: str, problems: Sequence[str]) -> None:
        self.tool = tool
        self.problems = list(problems)
        super().__init__(f"{tool}: {len(self.problems)} item(s) cannot be converted (use --skip-unsupported "
                         "to import the rest):\n  " + "\n  ".join(self.problems))


class ForeignMismatch(InvalidInput):
    """Checksum mismatches or applied-without-file rows; ``problems`` lists "foreign id: detail"."""

    def __init__(self, tool: str, problems: Sequence[str]) -> None:
        self.tool = tool
        self.problems = list(problems)
        super().__init__(f"{tool} state does not match the imported files (--accept-mismatch to adopt anyway):\n  "
                         + "\n  ".join(self.problems))


class ForeignDirty(NexoError):
    """The other tool records a failed or dirty migration: adoption refused (exit 3)."""

    exit_code = EXIT_REFUSED

    def __init__(self, tool: str, problems: Sequence[str]) -> None:
        self.tool = tool
        self.problems = list(problems)
        super().__init__(f"refusing to adopt: {tool} records failed or dirty migrations; fix them with {tool} "
                         "first:\n  " + "\n  ".join(self.problems))


class UnknownTarget(InvalidInput):
    """``--target NAME`` names no fleet target (``names``), or ``--tag`` selects none (``tags``)."""

    def __init__(self, names: Sequence[str], path: Path | None = None, tags: Sequence[str] = ()) -> None:
        self.names = list(names)
        self.tags = list(tags)
        self.path = path
        where = f"{path}: " if path else ""
        def listed(items: list[str]) -> str:  # a 1 MB name on the command line is not echoed whole
            return ", ".join(n if len(n) <= 60 else f"{n[:60]}... ({len(n):,} characters)" for n in items)

        what = (f"no target named {listed(self.names)}" if self.names else f"no target tagged {listed(self.tags)}")
        super().__init__(where + what)
