"""Read-only readers of the other tools' state tables.

Each returns a ForeignState: per foreign id what the tool recorded (applied with its checksum,
failed or dirty), plus the table's rows as read, hashed for the adoption record. ``known`` is
the imported project's foreign ids in apply order with their foreign parents, needed where the
tool records only a position (golang-migrate's one version, Alembic's heads)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ...errors import shown
from ..dialects import rules_for
from .importers.flyway import version_key

TABLES = {"flyway": "flyway_schema_history", "liquibase": "databasechangelog", "alembic": "alembic_version",
          "sqitch": "sqitch.changes", "golang-migrate": "schema_migrations", "dbmate": "schema_migrations"}


@dataclass(frozen=True)
class ForeignRow:
    foreign_id: str
    state: str  # applied, failed, dirty
    checksum: str | None = None
    #: where the tool recorded it (e.g. ``installed_rank 7``), for messages
    where: str = ""


@dataclass
class ForeignState:
    tool: str
    table: str
    found: bool = False
    rows: dict[str, ForeignRow] = field(default_factory=dict)
    raw: list[list[str | None]] = field(default_factory=list)
    #: the names of ``raw``'s columns, as the tool named them (lowercased)
    columns: list[str] = field(default_factory=list)
    #: the tool's own sign of a run in progress or crashed (Liquibase's lock held): dirty
    dirty: list[str] = field(default_factory=list)

    @property
    def rows_sha256(self) -> str:
        text = json.dumps(self.raw, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _all_rows(conn, table: sa.Table, order: list[str], state: ForeignState | None = None) -> list[sa.Row]:
    if state is not None:
        state.columns = [c.name.lower() for c in table.c]
    return list(conn.execute(sa.select(table).order_by(*[table.c[c] for c in order])))


def _raw(rows) -> list[list[str | None]]:
    return [[None if v is None else str(v) for v in r] for r in rows]


def _reflect(conn, name: str, schema: str | None = None) -> sa.Table | None:
    insp = sa.inspect(conn)
    names = {n.lower(): n for n in insp.get_table_names(schema=schema)}
    if name.lower() not in names:
        return None
    return sa.Table(names[name.lower()], sa.MetaData(), autoload_with=conn, schema=schema)


def read_state(tool: str, conn: sa.Connection, known: list[tuple[str, tuple[str, ...]]],
               database: str | None = None) -> ForeignState:
    state = ForeignState(tool, TABLES[tool])
    reader = {"flyway": _flyway, "liquibase": _liquibase, "golang-migrate": _golang, "dbmate": _dbmate, "alembic": _alembic,
              "sqitch": _sqitch}.get(tool)
    if reader is None:
        from ...errors import InvalidInput

        raise InvalidInput(f"--from {tool}: reading its state is not supported")
    reader(conn, state, known, database)
    if conn.in_transaction():
        conn.rollback()
    return state


def _flyway(conn, state, known, _db) -> None:
    t = _reflect(conn, "flyway_schema_history")
    if t is None:
        return
    state.found = True
    rows = _all_rows(conn, t, ["installed_rank"], state)
    state.raw = _raw(rows)
    ranks: dict[str, object] = {}  # version -> installed_rank of the row that applied it
    for r in rows:
        m = r._mapping
        version, rank = m["version"], m["installed_rank"]
        if version is None:
            continue  # repeatable (R__): not imported
        kind = (m["type"] or "").upper()
        if kind == "BASELINE":
            try:
                top = version_key(version)
            except ValueError:
                state.dirty.append(f"installed_rank {rank}: baseline version {shown(version)} is not a Flyway version")
                continue
            for fid, _ in known:
                if version_key(fid) <= top:
                    state.rows[fid] = ForeignRow(fid, "applied")
        elif kind.startswith("UNDO"):
            if m["success"]:
                state.rows.pop(version, None)
                ranks.pop(version, None)
        elif kind != "SCHEMA":
            ok = bool(m["success"])
            if ok and version in ranks:  # applied twice, no undo between: the table was edited
                state.dirty.append(f"installed_rank {rank}: version {shown(version)} is recorded applied again "
                                   f"(first at installed_rank {ranks[version]}, no undo between)")
                continue
            if ok:
                ranks[version] = rank
            checksum = None if m["checksum"] is None else str(m["checksum"])
            state.rows[version] = ForeignRow(version, "applied" if ok else "failed", checksum,
                                             f"installed_rank {rank}")


def _liquibase(conn, state, known, _db) -> None:
    """DATABASECHANGELOG: one row per changeset run (EXECUTED, RERAN, MARK_RAN applied; FAILED
    failed; SKIPPED not applied); the MD5SUM compared when it is a version-9 checksum."""
    t = _reflect(conn, "databasechangelog")
    if t is None:
        return
    state.found = True
    cols = {c.name.lower(): c for c in t.c}
    rows = list(conn.execute(sa.select(t).order_by(cols["orderexecuted"], cols["dateexecuted"], cols["id"])))
    state.raw, state.columns = _raw(rows), [c.name.lower() for c in t.c]
    for r in rows:
        m = {k.lower(): v for k, v in r._mapping.items()}
        fid = f"{m['id']}::{m['author']}"
        kind = (m["exectype"] or "").upper()
        if kind == "SKIPPED":
            continue
        md5 = m["md5sum"] if m["md5sum"] and str(m["md5sum"]).startswith("9:") else None
        state.rows[fid] = ForeignRow(fid, "failed" if kind == "FAILED" else "applied", md5)
    lock = _reflect(conn, "databasechangeloglock")
    if lock is not None:
        for r in conn.execute(sa.select(lock)):
            m = {k.lower(): v for k, v in r._mapping.items()}
            if m.get("locked"):
                state.dirty.append(f"{lock.name} is locked by {m.get('lockedby')} since {m.get('lockgranted')} "
                                   "(an update is running, or one died: `liquibase release-locks`)")


def _golang(conn, state, known, _db) -> None:
    t = _reflect(conn, "schema_migrations")
    if t is None:
        return
    state.found = True
    rows = _all_rows(conn, t, ["version"], state)
    state.raw = _raw(rows)
    for r in rows:
        raw_version, dirty = r._mapping["version"], bool(r._mapping["dirty"])
        try:
            version = int(raw_version)
        except (TypeError, ValueError):
            state.dirty.append(f"{t.name}: version {shown(raw_version)} is not a golang-migrate version")
            continue
        ids = [fid for fid, _ in known if int(fid) <= version]
        if str(version) not in ids:
            ids.append(str(version))
        for fid in ids:
            state.rows[fid] = ForeignRow(fid, "dirty" if dirty and fid == str(version) else "applied")


def _dbmate(conn, state, known, _db) -> None:
    t = _reflect(conn, "schema_migrations")
    if t is None:
        return
    state.found = True
    rows = _all_rows(conn, t, ["version"], state)
    state.raw = _raw(rows)
    for r in rows:
        if r._mapping["version"] is None:
            state.dirty.append(f"{t.name}: a row with a NULL version")
            continue
        fid = str(r._mapping["version"])
        state.rows[fid] = ForeignRow(fid, "applied")


def _alembic(conn, state, known, _db) -> None:
    t = _reflect(conn, "alembic_version")
    if t is None:
        return
    state.found = True
    rows = _all_rows(conn, t, ["version_num"], state)
    state.raw = _raw(rows)
    parents = dict(known)
    todo = [str(r._mapping["version_num"]) for r in rows if r._mapping["version_num"] is not None]
    if len(todo) < len(rows):
        state.dirty.append(f"{t.name}: a row with a NULL version_num")
    while todo:
        rev = todo.pop()
        if rev not in state.rows:
            state.rows[rev] = ForeignRow(rev, "applied")
            todo.extend(parents.get(rev, ()))


def _sqitch(conn, state, known, database) -> None:
    if rules_for(conn.dialect.name).is_local_file():  # Sqitch keeps its registry in a file beside it
        registry = Path(database or "").with_name("sqitch.db")
        state.table = f"{registry}:changes"
        if not registry.exists():
            return
        with sqlite3.connect(f"file:{registry}?mode=ro", uri=True) as reg:
            rows = reg.execute("SELECT change_id, change, project, script_hash, committed_at FROM changes "
                               "ORDER BY committed_at, change_id").fetchall()
    else:
        t = _reflect(conn, "changes", schema="sqitch")
        if t is None:
            return
        rows = [(r.change_id, r.change, r.project, r.script_hash, r.committed_at)
                for r in conn.execute(sa.select(t).order_by(t.c.committed_at, t.c.change_id))]
    state.found = True
    state.raw, state.columns = _raw(rows), ["change_id", "change", "project", "script_hash", "committed_at"]
    for _cid, change, _project, script_hash, _at in rows:
        state.rows[change] = ForeignRow(change, "applied", script_hash)
