"""Rules that lose data: drops, TRUNCATE, DELETE and UPDATE without WHERE (SPEC §11)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..model import Hit, LintLevel, Rule, RuleContext
from ..parse import table_name

RULES = (
    Rule("drop_schema", "error", "DROP SCHEMA / DROP DATABASE",
         "move what must stay first, back the schema up, and drop it in a later release"),
    Rule("drop_table", "error", "DROP TABLE of a table that existed before this deploy",
         "rename it away (or stop using it) first and drop it in a later release, after a backup"),
    Rule("drop_column", "error", "ALTER TABLE … DROP COLUMN",
         "stop reading and writing the column first, then drop it in a later release"),
    Rule("truncate", "error", "TRUNCATE", "delete exactly the rows meant, with a WHERE, in batches"),
    Rule("delete_without_where", "error", "DELETE without WHERE",
         "add a WHERE naming the rows meant (WHERE true if every row really must go)"),
    Rule("update_without_where", "warning", "UPDATE without WHERE",
         "add a WHERE naming the rows meant, and update large tables in batches"),
)


def drop(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    if not isinstance(node, exp.Drop):
        return
    kind = (node.args.get("kind") or "").upper()
    if kind in ("SCHEMA", "DATABASE"):
        for t in node.args.get("tables") or ():
            name = (t.db or t.name) if isinstance(t, exp.Table) else t.sql()
            yield Hit("drop_schema", "error", f"DROP {kind} `{name}` deletes every object and row in it",
                      "move what must stay first, back it up, and drop it in a later release")
    elif kind == "TABLE" and not node.args.get("temporary"):  # a session's temporary table holds nothing lasting
        for t in node.args.get("tables") or ():
            name = table_name(t)
            if name in ctx.created:
                yield Hit("drop_table", "info", f"DROP TABLE `{name}` drops a table created earlier in this plan",
                          "nothing to do if that is intended", name)
            else:
                yield Hit("drop_table", "error", f"DROP TABLE `{name}` deletes the table and all its rows",
                          "stop using it first, back it up, and drop it in a later release", name)


def drop_column(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    if not isinstance(node, exp.Alter) or (node.args.get("kind") or "").upper() != "TABLE":
        return
    table = table_name(node.this)
    for action in node.args.get("actions") or ():
        if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
            for col in action.args.get("tables") or ():
                level: LintLevel = "info" if table in ctx.created else "error"
                yield Hit("drop_column", level, f"DROP COLUMN `{col.name}` on `{table}` deletes its data "
                          "and breaks code that still reads it",
                          "stop reading and writing the column first and drop it in a later release", table,
                          col.name.lower())


def truncate(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    if isinstance(node, exp.TruncateTable):
        for t in node.expressions:
            name = table_name(t)
            yield Hit("truncate", "info" if name in ctx.created else "error",
                      f"TRUNCATE `{name}` deletes every row at once and cannot be rolled back on every dialect",
                      "delete exactly the rows meant with a WHERE, in batches", name)


def without_where(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    if not isinstance(node, (exp.Delete, exp.Update)) or node.args.get("where") is not None:
        return
    if node.args.get("limit") is not None:
        return  # DELETE … LIMIT n (MySQL): a bounded batch, not the whole table
    name = table_name(node.this)
    if isinstance(node, exp.Delete):
        yield Hit("delete_without_where", "info" if name in ctx.created else "error",
                  f"DELETE without WHERE removes every row of `{name}`",
                  "add a WHERE naming the rows meant, or WHERE true if every row really must go", name)
    elif not (node.this and node.this.args.get("joins")):  # MySQL UPDATE a JOIN b ON …: filtered by the join
        yield Hit("update_without_where", "info" if name in ctx.created else "warning",
                  f"UPDATE without WHERE rewrites every row of `{name}` and holds their locks until commit",
                  "add a WHERE naming the rows meant, and update large tables in batches", name)


CHECKS = (drop, drop_column, truncate, without_where)
