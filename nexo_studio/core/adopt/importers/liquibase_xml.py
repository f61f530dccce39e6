"""Liquibase XML changelogs: changesets made of ``<sql>`` and ``<sqlFile>`` changes, with their
``<rollback>`` (text, ``<sql>`` or ``<sqlFile>``). Other change types (createTable, …),
preconditions, includes, contexts/labels/dbms and runAlways/runOnChange are listed as not supported."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..checksums import liquibase_md5sum
from ..model import ForeignMigration, ForeignProject, Unsupported, slug
from . import read_text

_FILTERS = {"context": "contexts", "contexts": "contexts", "contextfilter": "contexts", "labels": "labels",
            "dbms": "dbms filters", "runalways": "runAlways", "runonchange": "runOnChange"}


def _tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _attrs(el: ET.Element) -> dict[str, str]:
    return {k.rsplit("}", 1)[-1].lower(): v for k, v in el.attrib.items()}


def _sql_of(el: ET.Element, changelog: Path) -> str:
    """The SQL of an <sql> or <sqlFile> change (a custom endDelimiter re-ended with ';')."""
    from .liquibase import _split_on

    a = _attrs(el)
    text = _raw_sql(el, changelog)
    delimiter = a.get("enddelimiter")
    return _split_on(text.strip("\n"), delimiter) if delimiter and delimiter != ";" else text


def _rollback(el: ET.Element | None, changelog: Path) -> str | None:
    if el is None:
        return None
    parts = [_sql_of(c, changelog) for c in el if _tag(c) in ("sql", "sqlFile")]
    if el.text and el.text.strip():
        parts.insert(0, el.text)
    text = "\n".join(p.strip("\n") for p in parts).strip()
    return text or None


def _changeset(cs: ET.Element, changelog: Path, project: ForeignProject) -> None:
    a = _attrs(cs)
    where = f"{changelog.name} {a.get('author')}:{a.get('id')}"
    bad = sorted({label for key, label in _FILTERS.items() if a.get(key, "false").lower() not in ("false", "")})
    changes, rollback, comment = [], None, ""
    for child in cs:
        tag = _tag(child)
        if tag in ("sql", "sqlFile"):
            changes.append(child)
        elif tag == "rollback":
            rollback = child
        elif tag == "comment":
            comment = (child.text or "").strip()
        elif tag == "preConditions":
            bad.append("preconditions")
        elif tag != "validCheckSum":
            bad.append(f"change type {tag} (only sql and sqlFile changes are converted)")
    if bad or not changes:
        project.unsupported.append(Unsupported(where, "; ".join(bad) or "no sql change"))
        return
    sqls = [_sql_of(c, changelog) for c in changes]
    up = "\n".join(s.strip("\n") if s.rstrip().endswith(";") else s.strip("\n") + ";" for s in sqls)
    project.migrations.append(ForeignMigration(
        tool="liquibase", foreign_id=f"{a['id']}::{a['author']}", name=slug(f"{a['author']}_{a['id']}"), up=up,
        down=_rollback(rollback, changelog), description=comment or f"changeset {a['author']}:{a['id']}",
        transaction="none" if a.get("runintransaction", "").lower() == "false" else "per-migration",
        checksum=liquibase_md5sum(*[_raw_sql(c, changelog) for c in changes]),
        source=where))


def _raw_sql(el: ET.Element, changelog: Path) -> str:
    """The SQL text Liquibase checksums: the element's text or the file's, as written."""
    if _tag(el) == "sqlFile":
        a = _attrs(el)
        base = changelog.parent if a.get("relativetochangelogfile", "").lower() == "true" else Path.cwd()
        path = base / a.get("path", "")
        if not path.is_file():
            from ....errors import InvalidInput

            raise InvalidInput(f"{changelog}: sqlFile {a.get('path')!r} not found (looked at {path})")
        return read_text(path)
    return "".join(el.itertext())


def read(source: Path) -> ForeignProject:
    from ....errors import MigrationFileError

    project = ForeignProject("liquibase")
    try:
        root = ET.fromstring(read_text(source))
    except ET.ParseError as exc:
        raise MigrationFileError(source, exc.position[0], f"not well-formed XML: {exc}") from None
    for el in root:
        tag = _tag(el)
        if tag == "changeSet":
            _changeset(el, source, project)
        elif tag in ("include", "includeAll", "preConditions", "property"):
            project.unsupported.append(Unsupported(f"{source.name} <{tag}>", "includes, changelog preconditions "
                                                   "and properties are not converted"))
    return project
