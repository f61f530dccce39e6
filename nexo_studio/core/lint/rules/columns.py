"""Rules on columns and renames: NOT NULL, type changes, volatile defaults (SPEC §11)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..model import Hit, LintLevel, Rule, RuleContext
from ..parse import table_name

RULES = (
    Rule("rename_table", "warning", "renaming a table",
         "add the new table (or a view under the new name), move the code, then drop the old name later"),
    Rule("rename_column", "warning", "renaming a column",
         "add the new column, write both, backfill, move the readers, then drop the old one later"),
    Rule("add_not_null_column", "warning", "ADD COLUMN … NOT NULL without a DEFAULT on an existing table",
         "give it a DEFAULT, or add it NULL, backfill, then SET NOT NULL"),
    Rule("set_not_null", "warning", "SET NOT NULL (or ALTER COLUMN … NOT NULL) on an existing table",
         "PostgreSQL: add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL"),
    Rule("column_type_rewrite", "warning", "a column type change that rewrites the table",
         "add a new column of the new type, backfill in batches, then switch and drop the old one"),
    Rule("volatile_default", "warning", "PostgreSQL ADD COLUMN with a volatile default (random(), "
         "gen_random_uuid(), clock_timestamp(), serial, identity)",
         "add the column without the default, set the default, then backfill in batches"),
)

#: functions PostgreSQL marks VOLATILE that sqlglot reads as names or as its own node types
_VOLATILE_NAMES = {"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
                   "clock_timestamp", "timeofday", "nextval", "txid_current", "statement_timestamp"}
_VOLATILE_NODES = (exp.Rand, exp.Uuid)
_SERIAL = {exp.DataType.Type.SERIAL, exp.DataType.Type.BIGSERIAL, exp.DataType.Type.SMALLSERIAL}


def _alter_table(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Alter) and (node.args.get("kind") or "").upper() == "TABLE":
        return table_name(node.this) or "?"
    return None


def rename(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    table = _alter_table(node)
    if table is not None:
        for action in node.args.get("actions") or ():
            if isinstance(action, exp.AlterRename):
                yield _rename_table(table, table_name(action.this), ctx)
            elif isinstance(action, exp.RenameColumn):
                yield _rename_column(table, action.this.name, action.args["to"].name, ctx)
            elif isinstance(action, exp.ModifyColumn) and action.args.get("rename_from") is not None:
                yield _rename_column(table, action.args["rename_from"].name, action.this.name, ctx)
    elif isinstance(node, exp.Execute) and node.this is not None and node.this.name.lower() == "sp_rename":
        args = [a.name for a in node.expressions]
        if len(args) >= 2:
            if len(args) >= 3 and args[2].upper() == "COLUMN":
                table, _, column = args[0].rpartition(".")
                yield _rename_column(table.rpartition(".")[2].lower(), column, args[1], ctx)
            elif len(args) < 3 or args[2].upper() == "OBJECT":
                yield _rename_table(args[0].rpartition(".")[2].lower(), args[1].lower(), ctx)


def _rename_table(old: str, new: str | None, ctx: RuleContext) -> Hit:
    level: LintLevel = "info" if old in ctx.created else "warning"
    return Hit("rename_table", level, f"renaming table `{old}` to `{new}` breaks every running query "
               "that still uses the old name", "add the new name first (a view or a copy), move the code, "
               "then drop the old name in a later release", old)


def _rename_column(table: str, old: str, new: str, ctx: RuleContext) -> Hit:
    level: LintLevel = "info" if table in ctx.created else "warning"
    return Hit("rename_column", level, f"renaming column `{table}.{old}` to `{new}` breaks running code "
               "that still uses the old name", "add the new column, write both, backfill, move the readers, "
               "then drop the old one in a later release", table)


def _constraint_kinds(coldef: exp.ColumnDef) -> list[exp.Expr]:
    return [c.args.get("kind") for c in coldef.args.get("constraints") or () if c.args.get("kind") is not None]


def _fills_itself(coldef: exp.ColumnDef) -> bool:
    """A DEFAULT, identity, auto-increment, generated or serial column fills existing rows."""
    kind = coldef.args.get("kind")
    if isinstance(kind, exp.DataType) and kind.this in _SERIAL:
        return True
    return any(isinstance(k, (exp.DefaultColumnConstraint, exp.GeneratedAsIdentityColumnConstraint,
                              exp.AutoIncrementColumnConstraint, exp.ComputedColumnConstraint,
                              exp.GeneratedAsRowColumnConstraint)) for k in _constraint_kinds(coldef))


def add_column(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    table = _alter_table(node)
    if table is None or table in ctx.created:
        return
    for action in node.args.get("actions") or ():
        if not isinstance(action, exp.ColumnDef):
            continue
        kinds = _constraint_kinds(action)
        not_null = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds)
        if not_null and not _fills_itself(action):
            yield Hit("add_not_null_column", "warning", f"ADD COLUMN `{action.name}` NOT NULL without a DEFAULT "
                      f"fails on `{table}` as soon as it has rows (or fills them with an implicit value)",
                      "give it a DEFAULT, or add it NULL, backfill, then SET NOT NULL", table)
        if ctx.dialect == "postgresql" and _volatile(action):
            yield Hit("volatile_default", "warning", f"ADD COLUMN `{action.name}` with a volatile default "
                      f"rewrites all of `{table}` under an ACCESS EXCLUSIVE lock",
                      "add the column without a default, SET DEFAULT afterwards, then backfill in batches", table)


def _volatile(coldef: exp.ColumnDef) -> bool:
    kind = coldef.args.get("kind")
    if isinstance(kind, exp.DataType) and kind.this in _SERIAL:
        return True
    for k in _constraint_kinds(coldef):
        if isinstance(k, exp.GeneratedAsIdentityColumnConstraint):
            return True
        if isinstance(k, exp.DefaultColumnConstraint):
            for sub in k.walk():
                if isinstance(sub, _VOLATILE_NODES):
                    return True
                if isinstance(sub, (exp.Anonymous, exp.Func)) and sub.name.lower() in _VOLATILE_NAMES:
                    return True
    return False


def alter_column(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    table = _alter_table(node)
    if table is None or table in ctx.created:
        return
    for action in node.args.get("actions") or ():
        if not isinstance(action, exp.AlterColumn):
            continue
        col = action.name
        if action.args.get("allow_null") is False:
            yield Hit("set_not_null", "warning", f"making `{table}.{col}` NOT NULL scans the whole table under "
                      "an exclusive lock (and fails if a NULL is left)", _not_null_safer(ctx.dialect), table)
        dtype = action.args.get("dtype")
        if dtype is None or _binary_coercible(ctx.dialect, dtype, action):
            continue
        if ctx.dialect == "postgresql" and dtype.this == exp.DataType.Type.VARCHAR and not action.args.get("using"):
            yield Hit("column_type_rewrite", "info", f"changing `{table}.{col}` to {dtype.sql()} rewrites every "
                      "row unless it only widens a varchar", "make sure the old type is a shorter varchar", table)
        else:
            yield Hit("column_type_rewrite", "warning", f"changing the type of `{table}.{col}` to "
                      f"{dtype.sql()} rewrites every row under an exclusive lock",
                      "add a new column of the new type, backfill in batches, then switch and drop the old one",
                      table)


def _not_null_safer(dialect: str) -> str:
    if dialect == "postgresql":
        return "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+)"
    return "backfill the NULLs first and run it when the table is quiet"


def _binary_coercible(dialect: str, dtype: exp.DataType, action: exp.AlterColumn) -> bool:
    """PostgreSQL changes to TEXT or unbounded VARCHAR without USING need no rewrite (from the
    character types, the usual case); everything else is assumed to rewrite."""
    if dialect != "postgresql" or action.args.get("using"):
        return False
    return dtype.this == exp.DataType.Type.TEXT or (dtype.this == exp.DataType.Type.VARCHAR and not dtype.expressions)


CHECKS = (rename, add_column, alter_column)
