"""Liquibase formatted SQL: ``--changeset author:id`` blocks with ``--rollback`` lines;
``runInTransaction:false`` becomes ``transaction: none``, ``endDelimiter`` is honoured,
``splitStatements:false`` bodies are kept whole (nexo's splitter keeps $$/BEGIN…END bodies
together). Preconditions, contexts/labels/dbms filters, runAlways/runOnChange and includes are
listed as not supported. XML changelogs: ``liquibase_xml``; YAML and JSON: ``liquibase_yaml``."""

from __future__ import annotations

import re
from pathlib import Path

from ..checksums import liquibase_md5sum
from ..model import ForeignMigration, ForeignProject, Unsupported, slug
from . import read_text

_CHANGESET = re.compile(r"^--\s*changeset\s+(?P<author>[^:\s]+):(?P<id>\S+)(?P<attrs>.*)$", re.IGNORECASE)
_ATTR = re.compile(r"(\w+):(\"[^\"]*\"|'[^']*'|\S+)")
_ROLLBACK = re.compile(r"^--\s*rollback\b ?(?P<sql>.*)$", re.IGNORECASE)
_COMMENT = re.compile(r"^--\s*comment:?\s*(?P<text>.*)$", re.IGNORECASE)
_UNSUPPORTED_LINES = re.compile(r"^--\s*(precondition|include|property)", re.IGNORECASE)
_UNSUPPORTED_ATTRS = {"context": "contexts", "contextfilter": "contexts", "labels": "labels", "dbms": "dbms filters",
                      "runalways": "runAlways", "runonchange": "runOnChange"}


def _blocks(text: str, name: str, project: ForeignProject) -> list[dict]:
    blocks: list[dict] = []
    for number, line in enumerate(text.split("\n"), 1):
        m = _CHANGESET.match(line.strip())
        if m:
            attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR.findall(m["attrs"])}
            blocks.append({"author": m["author"], "id": m["id"], "attrs": attrs, "body": [], "rollback": [],
                           "comment": "", "line": number})
            continue
        if not blocks:
            if _UNSUPPORTED_LINES.match(line.strip()):
                project.unsupported.append(Unsupported(f"{name}:{number}", f"{line.strip()}: not supported"))
            continue
        b = blocks[-1]
        rb, cm = _ROLLBACK.match(line.strip()), _COMMENT.match(line.strip())
        if rb:
            b["rollback"].append(rb["sql"])
        elif cm and not b["comment"]:
            b["comment"] = cm["text"]
        elif _UNSUPPORTED_LINES.match(line.strip()):
            project.unsupported.append(Unsupported(f"{name}:{number}", f"{line.strip()[2:].strip()}: "
                                                   "preconditions and includes are not converted"))
        else:
            b["body"].append(line)
    return blocks


def _split_on(body: str, delimiter: str) -> str:
    """A custom endDelimiter: each statement ends with ';' instead (the nexo splitter's)."""
    parts = [p.strip() for p in re.split(rf"{re.escape(delimiter)}\s*$", body, flags=re.MULTILINE)]
    return ";\n".join(p.rstrip(";") for p in parts if p) + ";"


def read(source: Path) -> ForeignProject:
    from ....errors import InvalidInput

    if source.suffix.lower() == ".xml" and source.is_file():
        from .liquibase_xml import read as read_xml

        return read_xml(source)
    if source.suffix.lower() in (".yaml", ".yml", ".json") and source.is_file():
        from .liquibase_yaml import read as read_yaml

        return read_yaml(source)
    project = ForeignProject("liquibase")
    if source.is_dir():
        raise InvalidInput(f"{source}: give the Liquibase changelog file (formatted SQL, XML, YAML or JSON)")
    text = read_text(source).replace("\r\n", "\n")
    if not text.lstrip().lower().startswith("--liquibase formatted sql"):
        raise InvalidInput(f"{source}:1: not a formatted SQL changelog (no '--liquibase formatted sql' line)")
    for b in _blocks(text, source.name, project):
        where = f"{source.name}:{b['line']} {b['author']}:{b['id']}"
        bad = [label for key, label in _UNSUPPORTED_ATTRS.items()
               if key in b["attrs"] and b["attrs"][key].lower() not in ("false", "")]
        if bad:
            project.unsupported.append(Unsupported(where, f"{', '.join(bad)}: nexo applies every migration "
                                                          "once, everywhere"))
            continue
        body = "\n".join(b["body"]).strip("\n")
        if re.search(r"\$\{[^}\s]+\}", body + "\n".join(b["rollback"])):
            project.unsupported.append(Unsupported(where, "uses changelog properties (${…}), which nexo sends "
                                                          "verbatim: replace them with their values first"))
            continue
        delimiter = b["attrs"].get("enddelimiter")
        up = _split_on(body, delimiter) if delimiter and delimiter != ";" else body
        rollback = "\n".join(b["rollback"]).strip()
        project.migrations.append(ForeignMigration(
            tool="liquibase", foreign_id=f"{b['id']}::{b['author']}", name=slug(f"{b['author']}_{b['id']}"),
            up=up, down=None if not rollback or rollback.lower() == "not required" else rollback,
            description=b["comment"] or f"changeset {b['author']}:{b['id']}",
            transaction="none" if b["attrs"].get("runintransaction", "").lower() == "false" else "per-migration",
            checksum=liquibase_md5sum(body), source=where))
    return project
