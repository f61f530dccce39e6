"""Statements -> sqlglot expressions. A statement sqlglot cannot read (a parse error, or its
fallback to an opaque ``Command``) comes back as ``None`` with the leading words, so the engine
reports it as ``unparsed``; a few ``Command`` forms are classified from sqlglot's tokens."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

#: migration dialect name -> sqlglot dialect name
SQLGLOT_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite",
                    "mssql": "tsql"}

# sqlglot logs "contains unsupported syntax" for every Command fallback; lint reports those itself
logging.getLogger("sqlglot").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Parsed:
    """A statement as sqlglot read it: ``expressions`` (possibly several, for bodies with
    semicolons), or ``words`` (upper-case leading tokens) of a statement it could not read."""

    expressions: tuple[exp.Expr, ...] = ()
    words: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_statement(sql: str, dialect: str) -> Parsed:
    read = SQLGLOT_DIALECTS.get(dialect, dialect)
    try:
        trees = [t for t in sqlglot.parse(sql, read=read) if t is not None]
    except (ParseError, TokenError) as exc:
        return Parsed(words=_words(sql, read), error=_first_line(str(exc)))
    except Exception as exc:  # sqlglot bugs on odd input must not crash lint: the statement is unparsed
        return Parsed(words=_words(sql, read), error=f"{type(exc).__name__}: {_first_line(str(exc))}")
    commands = [t for t in trees if isinstance(t, exp.Command)]
    if commands:
        return Parsed(tuple(t for t in trees if not isinstance(t, (exp.Command, exp.EndStatement))),
                      words=_words(sql, read), error="not understood by the parser")
    return Parsed(tuple(trees))


def _words(sql: str, read: str, limit: int = 12) -> tuple[str, ...]:
    """The statement's first tokens, upper-cased. A command keyword (RENAME, REINDEX …) makes
    sqlglot's tokenizer keep the rest as one string: that rest is tokenized again."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(read).tokenize(sql)
        if len(tokens) == 2 and tokens[1].token_type.name == "STRING" and " " in tokens[1].text:
            tokens = tokens[:1] + sqlglot.Dialect.get_or_raise(read).tokenize(tokens[1].text)
    except Exception:
        return tuple(w.upper() for w in sql.split()[:limit])
    return tuple(t.text.upper() for t in tokens[:limit])


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]


def table_name(node: exp.Expr | None) -> str | None:
    """``public.Users`` -> ``users``: the table's own name, lower case (schemas are ignored)."""
    if node is None:
        return None
    if isinstance(node, exp.Schema):
        node = node.this
    if isinstance(node, exp.Table):
        name = node.name
        return name.lower() if name else None
    return None
