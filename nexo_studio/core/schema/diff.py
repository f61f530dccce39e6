"""``diff(before, after)``: every object added, removed or changed between two schema documents,
each with DDL-like one-liners a DBA can read. A table that disappears while another with the very
same columns appears is reported as removed + added, each noted "renamed?"."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .model import OBJECT_KINDS, normalise_sql


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | changed
    object_type: str  # table, column, primary key, unique, index, foreign key, check, view, ...
    name: str
    before: str | None = None
    after: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        text = {"added": f"+ {self.after}", "removed": f"- {self.before}",
                "changed": f"~ {self.before}  ->  {self.after}"}[self.kind]
        note = f"  ({self.note})" if self.note else ""
        return f"{self.kind} {self.object_type} {self.name}: {text}{note}"


def column_text(table: str, name: str, c: dict) -> str:
    parts = [f"{table}.{name}", c["type"]]
    if c.get("generated"):
        kind, _, expr = c["generated"].partition(": ")
        parts.append(f"GENERATED ALWAYS AS ({expr}) {kind.upper()}")
    if c.get("identity"):
        parts.append("AUTO_INCREMENT" if c["identity"] == "auto_increment"
                     else f"GENERATED {c['identity'].upper()} AS IDENTITY")
    if c.get("collation"):
        parts.append(f"COLLATE {c['collation']}")
    parts.append("NULL" if c["nullable"] else "NOT NULL")
    if c.get("default") is not None:
        parts.append(f"DEFAULT {c['default']}")
    if c.get("extra"):
        parts.append(c["extra"])
    return " ".join(parts)


def _cols(cols: list[str]) -> str:
    return "(" + ", ".join(cols) + ")"


def index_text(table: str, name: str, ix: dict) -> str:
    if ix.get("definition"):
        return ix["definition"]
    text = f"CREATE {'UNIQUE ' if ix['unique'] else ''}INDEX {name} ON {table}"
    if ix.get("method"):
        text += f" USING {ix['method']}"
    text += f" {_cols(ix['columns'])}"
    return text + (f" WHERE {ix['where']}" if ix.get("where") else "")


def fk_text(table: str, name: str, fk: dict) -> str:
    return (f"{table}: CONSTRAINT {name} FOREIGN KEY {_cols(fk['columns'])} REFERENCES {fk['ref_table']} "
            f"{_cols(fk['ref_columns'])} ON DELETE {fk['on_delete']} ON UPDATE {fk['on_update']}")


def check_text(table: str, name: str, clause: str) -> str:
    body = clause if clause.upper().startswith("CHECK") else f"CHECK ({clause})"
    return f"{table}: CONSTRAINT {name} {body}"


def unique_text(table: str, name: str, uq: dict) -> str:
    return f"{table}: CONSTRAINT {name} " + (uq.get("definition") or f"UNIQUE {_cols(uq['columns'])}")


def pk_text(table: str, pk: dict | None) -> str | None:
    if pk is None:
        return None
    named = f"CONSTRAINT {pk['name']} " if pk.get("name") and pk["name"] != "PRIMARY" else ""
    return f"{table}: {named}PRIMARY KEY {_cols(pk['columns'])}"


def table_text(name: str, t: dict) -> str:
    cols = ", ".join(column_text(name, c, d).split(".", 1)[1] for c, d in t["columns"].items())
    return f"TABLE {name} ({cols})" + "".join(f" {o}" for o in t.get("options") or ())


_PARTS = (("unique", "unique", unique_text), ("indexes", "index", index_text),
          ("foreign_keys", "foreign key", fk_text), ("checks", "check", check_text))


def object_text(kind: str, name: str, obj: Any) -> str:
    if kind == "enums":
        return f"TYPE {name} AS ENUM (" + ", ".join(f"'{v}'" for v in obj) + ")"
    if kind == "extensions":
        return f"EXTENSION {name} VERSION {obj.get('version')}"
    if kind == "sequences":
        return f"SEQUENCE {name} " + " ".join(f"{k.upper()} {v}" for k, v in sorted(obj.items()) if v is not None)
    if kind == "views":
        definition = obj["definition"]
        if definition.upper().startswith("CREATE"):
            return definition
        text = f"{'MATERIALIZED ' if obj.get('materialized') else ''}VIEW {name} AS {definition}"
        return text + "".join(f"; {index_text(name, n, ix)}" for n, ix in sorted((obj.get("indexes") or {}).items()))
    return normalise_sql(obj["definition"]) or ""


def _named(out: list[Change], otype: str, label: str, before: dict, after: dict, text) -> None:
    for key in sorted(before.keys() | after.keys()):
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        name = f"{label}.{key}" if label else key
        bt = text(label, key, b) if label else text(key, b)
        at = text(label, key, a) if label else text(key, a)
        if b is None:
            out.append(Change("added", otype, name, after=text(label, key, a) if label else text(key, a)))
        elif a is None:
            out.append(Change("removed", otype, name, before=bt))
        else:
            out.append(Change("changed", otype, name, before=bt, after=at))


def _safe(text):
    return lambda *args: None if args[-1] is None else text(*args)


def _options_text(name: str, t: dict) -> str:
    return f"TABLE {name} " + (" ".join(t.get("options") or ()) or "(no options)")


def _table_changes(out: list[Change], name: str, b: dict, a: dict) -> None:
    if b.get("options") != a.get("options"):
        out.append(Change("changed", "table", name, _options_text(name, b), _options_text(name, a)))
    _named(out, "column", name, b["columns"], a["columns"], _safe(column_text))
    if b["primary_key"] != a["primary_key"]:
        kind = "added" if b["primary_key"] is None else "removed" if a["primary_key"] is None else "changed"
        out.append(Change(kind, "primary key", name, pk_text(name, b["primary_key"]), pk_text(name, a["primary_key"])))
    for key, otype, text in _PARTS:
        _named(out, otype, name, b.get(key, {}), a.get(key, {}), _safe(text))


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    bt, at = before.get("tables", {}), after.get("tables", {})
    gone, new = sorted(bt.keys() - at.keys()), sorted(at.keys() - bt.keys())
    for name in gone:
        twin = next((n for n in new if at[n]["columns"] == bt[name]["columns"]), None)
        out.append(Change("removed", "table", name, before=table_text(name, bt[name]),
                          note=f"renamed? to {twin}" if twin else ""))
    for name in new:
        twin = next((n for n in gone if bt[n]["columns"] == at[name]["columns"]), None)
        out.append(Change("added", "table", name, after=table_text(name, at[name]),
                          note=f"renamed? from {twin}" if twin else ""))
    for name in sorted(bt.keys() & at.keys()):
        _table_changes(out, name, bt[name], at[name])
    for kind in OBJECT_KINDS:
        otype = kind[:-1] if kind != "indexes" else "index"
        _named(out, otype, "", before.get(kind, {}), after.get(kind, {}),
               lambda key, obj, kind=kind: None if obj is None else object_text(kind, key, obj))
    return out
