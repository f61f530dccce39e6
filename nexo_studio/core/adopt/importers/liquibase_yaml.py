"""Liquibase YAML (and JSON) changelogs: the same coverage as XML (``liquibase_xml``): changesets
made of ``sql`` and ``sqlFile`` changes with their ``rollback`` (text, ``sql`` or ``sqlFile``);
``runInTransaction: false`` becomes ``transaction: none``, ``endDelimiter`` is honoured. Other
change types (createTable, …), preconditions, includes, properties, contexts/labels/dbms and
runAlways/runOnChange are listed as not supported, with the reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..checksums import liquibase_md5sum
from ..model import ForeignMigration, ForeignProject, Unsupported, slug
from . import read_text
from .liquibase_xml import _FILTERS


def _load(source: Path) -> Any:
    from ....errors import MigrationFileError

    text = read_text(source)
    if source.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise MigrationFileError(source, exc.lineno, f"not valid JSON: {exc.msg}") from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MigrationFileError(source, mark.line + 1 if mark is not None else None,
                                 f"not valid YAML: {getattr(exc, 'problem', None) or exc}") from None


def _flag(value: Any) -> str:
    """A YAML attribute as Liquibase reads it: booleans and numbers as their text, lowercased."""
    return str(value).lower() if value is not None else ""


def _one(item: Any) -> tuple[str, dict]:
    """A change entry ``{type: {attrs}}`` as (type, attrs)."""
    if isinstance(item, dict) and len(item) == 1:
        (kind, attrs), = item.items()
        return str(kind), attrs if isinstance(attrs, dict) else {"sql": attrs}
    return "?", {}


def _raw_sql(kind: str, attrs: dict, changelog: Path) -> str:
    """The SQL text Liquibase checksums: the ``sql`` attribute, or the sqlFile's text as written."""
    if kind == "sqlFile":
        from ....errors import InvalidInput

        relative = _flag(attrs.get("relativeToChangelogFile")) == "true"
        path = (changelog.parent if relative else Path.cwd()) / str(attrs.get("path", ""))
        if not path.is_file():
            raise InvalidInput(f"{changelog}: sqlFile {attrs.get('path')!r} not found (looked at {path})")
        return read_text(path)
    return "" if attrs.get("sql") is None else str(attrs["sql"])


def _sql_of(kind: str, attrs: dict, changelog: Path) -> str:
    from .liquibase import _split_on

    text = _raw_sql(kind, attrs, changelog)
    delimiter = attrs.get("endDelimiter")
    return _split_on(text.strip("\n"), str(delimiter)) if delimiter and str(delimiter) != ";" else text


def _rollback(value: Any, changelog: Path, bad: list[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    parts = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            parts.append(item)
            continue
        kind, attrs = _one(item)
        if kind in ("sql", "sqlFile"):
            parts.append(_sql_of(kind, attrs, changelog))
        else:
            bad.append(f"rollback change type {kind} (only sql and sqlFile rollbacks are converted)")
    text = "\n".join(p.strip("\n") for p in parts).strip()
    return text or None


def _changeset(cs: dict, changelog: Path, project: ForeignProject) -> None:
    a = {str(k).lower(): v for k, v in cs.items()}
    cid, author = str(a.get("id", "")), str(a.get("author", ""))
    where = f"{changelog.name} {author}:{cid}"
    bad = sorted({label for key, label in _FILTERS.items() if _flag(a.get(key, False)) not in ("false", "")})
    if a.get("preconditions") is not None:
        bad.append("preconditions")
    changes: list[tuple[str, dict]] = []
    for item in a.get("changes") or []:
        kind, attrs = _one(item)
        if kind in ("sql", "sqlFile"):
            changes.append((kind, attrs))
        else:
            bad.append(f"change type {kind} (only sql and sqlFile changes are converted)")
    down = _rollback(a.get("rollback"), changelog, bad)
    if bad or not changes:
        project.unsupported.append(Unsupported(where, "; ".join(bad) or "no sql change"))
        return
    sqls = [_sql_of(kind, attrs, changelog) for kind, attrs in changes]
    up = "\n".join(s.strip("\n") if s.rstrip().endswith(";") else s.strip("\n") + ";" for s in sqls)
    comment = str(a.get("comment") or "").strip()
    project.migrations.append(ForeignMigration(
        tool="liquibase", foreign_id=f"{cid}::{author}", name=slug(f"{author}_{cid}"), up=up, down=down,
        description=" ".join(comment.split()) or f"changeset {author}:{cid}",
        transaction="none" if _flag(a.get("runintransaction")) == "false" else "per-migration",
        checksum=liquibase_md5sum(*[_raw_sql(kind, attrs, changelog) for kind, attrs in changes]),
        source=where))


def read(source: Path) -> ForeignProject:
    from ....errors import MigrationFileError

    doc = _load(source)
    entries = doc.get("databaseChangeLog") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise MigrationFileError(source, 1, "not a Liquibase changelog (no top-level databaseChangeLog list)")
    project = ForeignProject("liquibase")
    for entry in entries:
        kind, attrs = _one(entry)
        if kind == "changeSet":
            _changeset(attrs, source, project)
        elif kind in ("include", "includeAll", "preConditions", "property"):
            project.unsupported.append(Unsupported(f"{source.name} {kind}", "includes, changelog preconditions "
                                                   "and properties are not converted"))
    return project
