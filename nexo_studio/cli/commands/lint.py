"""`nexo lint [ID…] [--dialect NAME] [--json]`: risky statements in migrations (SPEC §11).

Exit 0 without error-level findings (allowed ones do not count), 1 with them, 2 for invalid
input. With ``--dialect`` nothing is opened; without it the database's dialect is used and, if
the database answers, its row estimates (read-only) raise levels."""

from __future__ import annotations

import sys

from ...errors import EXIT_FAILED, EXIT_OK, NexoError, UnknownMigration, ValidationFailed
from ..context import Context, emit_json, err


def cmd_lint(ctx: Context) -> int:
    from ...core.lint import lint_project
    from ...core.model import canonical_dialect

    project = ctx.project
    dialect = canonical_dialect(ctx.args.dialect) if ctx.args.dialect else None
    errors = [f for f in project.findings(dialect or ctx.target.dialect) if f.level == "error"]
    if errors:
        raise ValidationFailed(errors)
    ids = _resolve(project, ctx.args.ids) if ctx.args.ids else None
    if dialect is None:
        dialect = ctx.target.dialect
        findings = lint_project(project, dialect, ids=ids)
        sizes = _row_estimates(ctx, dialect, {f.table for f in findings if f.table})
        if sizes:
            findings = lint_project(project, dialect, ids=ids, sizes=sizes)
    else:
        findings = lint_project(project, dialect, ids=ids)
    blocking = [f for f in findings if f.blocking]
    if ctx.args.json:
        emit_json({"ok": not blocking, "dialect": dialect, "findings": [f.as_dict() for f in findings]})
    else:
        _print(findings, len(ids) if ids is not None else len(project.migrations), dialect)
    return EXIT_FAILED if blocking else EXIT_OK


def _resolve(project, wanted: list[str]) -> list[str]:
    """Ids as given; a bare version names the migration of that version."""
    by_version = {m.version: mid for mid, m in project.migrations.items()}
    out = []
    for w in wanted:
        mid = w if w in project.migrations else by_version.get(w)
        if mid is None:
            raise UnknownMigration(w)
        out.append(mid)
    return out


def _row_estimates(ctx: Context, dialect: str, tables: set[str]) -> dict[str, int]:
    """Row estimates when the database answers; lint works without them."""
    if not tables or ctx.target.absent():
        return {}
    import sqlalchemy as sa

    from ...core.db import redact
    from ...core.lint import estimate_rows

    try:
        with ctx.target.connect() as conn:
            return estimate_rows(conn, dialect, tables)
    except (NexoError, sa.exc.SQLAlchemyError) as exc:
        err(f"nexo: lint without row estimates: {redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}")
        return {}


def _print(findings, n_migrations: int, dialect: str) -> None:
    from ..render import paint

    for f in findings:
        where = f"{f.path.name if f.path else f.migration_id}:{f.line}" if f.line else f.migration_id
        print(f"{paint(f'{f.level:7}', f.level)} [{f.code}] {where} ({f.section}): {f.message}")
        if f.allowed:
            print(f"        allowed: {f.allowed_reason}")
    counts = {lvl: sum(1 for f in findings if f.level == lvl) for lvl in ("error", "warning", "info")}
    allowed = sum(1 for f in findings if f.allowed)
    print(f"{n_migrations} migration(s) linted for {dialect}: {counts['error']} error(s), "
          f"{counts['warning']} warning(s), {counts['info']} info" + (f", {allowed} allowed" if allowed else ""),
          file=sys.stdout)
