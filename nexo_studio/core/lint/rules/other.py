"""Grants and revokes, statements the parser cannot read, and the few statements sqlglot keeps
opaque (``Command``) that lint still recognises from their tokens (SPEC §11)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..model import Hit, LintLevel, Rule, RuleContext

RULES = (
    Rule("grant_revoke", "info", "GRANT / REVOKE", "check that the privileges match what the release needs"),
    Rule("unparsed", "info", "a statement the SQL parser cannot read",
         "review it by hand; lint says nothing else about it"),
)


def grants(node: exp.Expr, ctx: RuleContext) -> Iterator[Hit]:
    if isinstance(node, (exp.Grant, exp.Revoke)):
        verb = "GRANT" if isinstance(node, exp.Grant) else "REVOKE"
        yield Hit("grant_revoke", "info", f"{verb} changes who may read or write what",
                  "check that the privileges are exactly what the release needs, and that REVOKE breaks no job")


CHECKS = (grants,)


def _skip(words: tuple[str, ...], i: int, *optional: str) -> int:
    while i < len(words) and words[i] in optional:
        i += 1
    return i


def command_hits(words: tuple[str, ...], ctx: RuleContext) -> list[Hit] | None:
    """Hits for an opaque statement recognised from its leading tokens; None when unknown."""
    if words[:2] == ("RENAME", "TABLE") and len(words) >= 5 and words[3] == "TO":
        old = words[2].lower()
        level: LintLevel = "info" if old in ctx.created else "warning"
        return [Hit("rename_table", level, f"renaming table `{old}` to `{words[4].lower()}` breaks every running "
                    "query that still uses the old name", "add the new name first (a view or a copy), move the "
                    "code, then drop the old name in a later release", old)]
    if words[:1] == ("REINDEX",) and "CONCURRENTLY" in words:
        if ctx.dialect == "postgresql" and ctx.transaction != "none":
            return [Hit("concurrently_in_transaction", "error", "REINDEX … CONCURRENTLY cannot run inside a "
                        "transaction, so this migration fails",
                        "put it in its own migration with `-- transaction: none`")]
        return []
    if words[:2] == ("ALTER", "TABLE"):
        i = _skip(words, 2, "IF", "EXISTS", "ONLY")
        table = words[i].lower() if i < len(words) else "?"
        rest = words[i + 1:]
        if rest[:2] == ("VALIDATE", "CONSTRAINT"):
            return []  # the safe second half of ADD … NOT VALID
        if rest[:1] == ("ADD",) and "USING" in rest and rest[rest.index("USING") + 1:][:1] == ("INDEX",):
            return []  # ADD CONSTRAINT … USING INDEX: attaches an index built concurrently
        if rest[:2] == ("CONVERT", "TO") and ctx.dialect == "mysql":
            if table in ctx.created:
                return []
            return [Hit("mysql_table_copy", "warning", f"ALTER TABLE `{table}` CONVERT TO CHARACTER SET copies "
                        "the whole table and blocks writes until it finishes",
                        "use an online schema change tool, or run it in a maintenance window", table)]
    return None
