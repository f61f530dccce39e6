"""Rules on locks and table copies: indexes, constraints, MySQL's copying ALTER (SPEC §11)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..model import Hit, Rule, RuleContext
from ..parse import table_name

RULES = (
    Rule("create_index_locks", "warning", "PostgreSQL CREATE INDEX without CONCURRENTLY on an existing table",
         "CREATE INDEX CONCURRENTLY in a migration with `-- transaction: none`"),
    Rule("concurrently_in_transaction", "error", "PostgreSQL … CONCURRENTLY in a migration that runs in a "
         "transaction (it cannot run)", "put it in its own migration with `-- transaction: none`"),
    Rule("add_unique_key", "warning", "adding a UNIQUE or PRIMARY KEY constraint (or unique index) to an "
         "existing table", "PostgreSQL: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX"),
    Rule("constraint_not_valid", "warning", "PostgreSQL ADD FOREIGN KEY / CHECK without NOT VALID on an "
         "existing table", "add it NOT VALID, then VALIDATE CONSTRAINT in a later step"),
    Rule("mysql_table_copy", "warning", "a MySQL/MariaDB ALTER TABLE that copies the table (MODIFY/CHANGE "
         "column, ALGORITHM=COPY, ENGINE=, CONVERT TO CHARACTER SET, DROP PRIMARY KEY)",
         "ALGORITHM=INPLACE/INSTANT, LOCK=NONE (it fails instead of copying), or an online schema change tool"),
)

_CONCURRENTLY_SAFER = "put it in its own migration with `-- transaction: none`"


def _is_index(node: exp.Expr) -> bool:
    return "INDEX" in (node.args.get("kind") or "").upper()


def create_index(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    if not isinstance(node, exp.Create) or not _is_index(node):
        return
    index = node.this
    table = table_name(index.args.get("table")) if isinstance(index, exp.Index) else None
    concurrently = bool(node.args.get("concurrently"))
    if ctx.dialect == "postgresql":
        if concurrently:
            if ctx.transaction != "none":
                yield Hit("concurrently_in_transaction", "error", "CREATE INDEX CONCURRENTLY cannot run inside "
                          "a transaction, so this migration fails", _CONCURRENTLY_SAFER, table)
        elif table not in ctx.created:
            what = "CREATE UNIQUE INDEX" if node.args.get("unique") else "CREATE INDEX"
            yield Hit("create_index_locks", "warning", f"{what} locks writes on `{table}` while it builds",
                      "use CREATE INDEX CONCURRENTLY with `-- transaction: none`", table)
    elif node.args.get("unique") and table not in ctx.created:
        yield Hit("add_unique_key", "warning", f"a unique index on existing table `{table}` fails on duplicate "
                  "rows and blocks writes while it builds", "remove the duplicates first and build it online "
                  "(MySQL ALGORITHM=INPLACE, LOCK=NONE; SQL Server WITH (ONLINE = ON))", table)


def drop_index(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    if (isinstance(node, exp.Drop) and _is_index(node) and node.args.get("concurrently")
            and ctx.dialect == "postgresql" and ctx.transaction != "none"):
        yield Hit("concurrently_in_transaction", "error", "DROP INDEX CONCURRENTLY cannot run inside a "
                  "transaction, so this migration fails", _CONCURRENTLY_SAFER)


def _constraints(action: exp.Expr) -> list[exp.Expr]:
    """The constraint bodies in ``ADD [CONSTRAINT name] …`` (unwrapping named constraints)."""
    out: list[exp.Expr] = []
    for c in action.expressions:
        out.extend(c.expressions if isinstance(c, exp.Constraint) else [c])
    return out


def add_constraint(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    if not isinstance(node, exp.Alter) or (node.args.get("kind") or "").upper() != "TABLE":
        return
    table = table_name(node.this)
    if table in ctx.created:
        return
    for action in node.args.get("actions") or ():
        if not isinstance(action, exp.AddConstraint):
            continue
        for body in _constraints(action):
            if isinstance(body, (exp.PrimaryKey, exp.UniqueColumnConstraint, exp.PrimaryKeyColumnConstraint)):
                kind = "UNIQUE" if isinstance(body, exp.UniqueColumnConstraint) else "PRIMARY KEY"
                yield Hit("add_unique_key", "warning", f"adding a {kind} to existing table `{table}` builds an "
                          "index under a lock that blocks writes and fails on duplicates", _unique_safer(ctx), table)
            elif (ctx.dialect == "postgresql" and isinstance(body, (exp.ForeignKey, exp.CheckColumnConstraint))
                  and not node.args.get("not_valid")):
                kind = "FOREIGN KEY" if isinstance(body, exp.ForeignKey) else "CHECK"
                yield Hit("constraint_not_valid", "warning", f"ADD {kind} on `{table}` checks every row while "
                          "it blocks writes", "add it NOT VALID, then VALIDATE CONSTRAINT in a later step", table)


def _unique_safer(ctx: RuleContext) -> str:
    if ctx.dialect == "postgresql":
        return "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX"
    return "remove duplicates first and add it online (MySQL ALGORITHM=INPLACE, LOCK=NONE)"


def mysql_copy(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    if ctx.dialect != "mysql" or not isinstance(node, exp.Alter) or (node.args.get("kind") or "").upper() != "TABLE":
        return
    table = table_name(node.this)
    if table in ctx.created:
        return
    options = {type(o).__name__: o.name.upper() for o in node.args.get("options") or ()}
    algorithm = options.get("AlgorithmProperty")
    if algorithm in ("INPLACE", "INSTANT", "NOCOPY"):
        return  # the server refuses instead of copying
    reasons = []
    if algorithm == "COPY":
        reasons.append("ALGORITHM=COPY")
    if "EngineProperty" in options:
        reasons.append("ENGINE=")
    for action in node.args.get("actions") or ():
        if isinstance(action, exp.ModifyColumn):
            reasons.append(f"changing column `{action.this.name}`")
        elif isinstance(action, exp.DropPrimaryKey) and not any(
                isinstance(a, exp.AddConstraint) for a in node.args.get("actions") or ()):
            reasons.append("DROP PRIMARY KEY")
    if reasons:
        yield Hit("mysql_table_copy", "warning", f"ALTER TABLE `{table}` ({', '.join(reasons)}) copies the whole "
                  "table and blocks writes until it finishes", "add ALGORITHM=INPLACE (or INSTANT), LOCK=NONE so "
                  "the server refuses rather than copies, or use an online schema change tool", table)


CHECKS = (create_index, drop_index, add_constraint, mysql_copy)
