"""Shared steps of the adoption tests: run `nexo` in a subprocess, take a migrated database over,
and check what SPEC §8 promises afterwards.

The commands under test (the first ``import``, the first ``adopt``, the ``deploy`` on top and the
``rollback`` through the imported downs) run through the real entry point in a subprocess; the
commands that only read back what they did (``status``, ``audit verify``, ``history``, the second
``import`` and ``adopt`` that must change nothing) run ``main()`` in this process
(``nexo_here``): the same code on the same database, without 0.3 s of interpreter start-up each.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import sqlalchemy as sa

NEXO = [sys.executable, "-m", "nexo_studio.cli.main"]


def nexo(*args: str, cwd: Path | None = None):
    env = {**os.environ, "NEXO_NO_KEYRING": "1"}
    env.pop("NEXO_DATABASE_URL", None)
    return subprocess.run([*NEXO, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def nexo_here(*args: str) -> subprocess.CompletedProcess:
    """``main(args)`` in this process, with the subprocess's environment (no keyring, no
    ``NEXO_DATABASE_URL``); the result as ``nexo()`` returns it."""
    from tests.reliability.harness import run_cli

    with mock.patch.dict(os.environ, {"NEXO_NO_KEYRING": "1"}):
        os.environ.pop("NEXO_DATABASE_URL", None)
        code, out, err = run_cli(*args)
    return subprocess.CompletedProcess([*NEXO, *args], code, out, err)


def need_tool(path: str | None, what: str) -> str:
    """The tool's executable, or skip (fail when CI is set: CI must have every tool)."""
    if path and Path(path).exists():
        return path
    found = shutil.which(path or what) if path is None or "/" not in (path or "") else None
    if found:
        return found
    reason = f"{what} is not installed (packaging/setup-dev.sh installs it)"
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI is set, so the real tool must run")
    pytest.skip(reason)


def rows_of(url: str, table: str, schema: str | None = None) -> list[tuple]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            t = sa.Table(table, sa.MetaData(), autoload_with=conn, schema=schema)
            return [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.c))]
    finally:
        engine.dispose()


def run_sql(url: str, sql: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        from nexo_studio.core.splitter import split_sql

        with engine.begin() as conn:
            for stmt in split_sql(sql, engine.dialect.name):
                conn.exec_driver_sql(stmt.sql)
    finally:
        engine.dispose()


def tables(url: str, schema: str | None = None) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names(schema=schema))
    finally:
        engine.dispose()


def take_over(tmp_path: Path, url: str, tool: str, source: Path, foreign_table: str, *,
              schema: str | None = None, extra_import: tuple[str, ...] = (), read_foreign=None) -> dict:
    """import + adopt --yes + the checks of acceptance 1; returns the adopt JSON document.
    ``read_foreign``: reads the foreign table's rows where it is not in the database itself."""
    read_foreign = read_foreign or (lambda: rows_of(url, foreign_table, schema))
    mig = tmp_path / "nexo_migrations"
    base = ["--db", url, "--migrations", str(mig)]
    r = nexo(*base, "import", "--from", tool, str(source), "--json", *extra_import)
    assert r.returncode == 0, r.stdout + r.stderr
    imported = json.loads(r.stdout)
    again = tmp_path / "again"
    r = nexo_here(*base, "import", "--from", tool, str(source), "--into", str(again), *extra_import)
    assert r.returncode == 0, r.stdout + r.stderr
    assert {p.name: p.read_bytes() for p in mig.iterdir()} == {p.name: p.read_bytes() for p in again.iterdir()}
    before = read_foreign()
    r = nexo(*base, "adopt", "--from", tool, "--yes", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] and doc["adopted"] and set(doc["counts"]) == {"matched-applied"}, doc
    r = nexo_here(*base, "status", "--json")
    assert r.returncode == 0, r.stderr
    status = json.loads(r.stdout)
    assert {m["status"] for m in status["migrations"]} == {"applied"}, status["migrations"]
    assert len(status["migrations"]) == len(imported["mapping"])
    r = nexo_here(*base, "audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    r = nexo_here(*base, "history", "--json", "--action", "adopt", "--limit", "0")
    events = json.loads(r.stdout)["events"]
    summary = [e for e in events if e["migration_id"] is None]
    assert len(events) == len(doc["adopted"]) + 1 and len(summary) == 1
    assert summary[0]["details"]["tool"] == tool and summary[0]["details"]["rows"] == len(before)
    assert len(summary[0]["details"]["rows_sha256"]) == 64
    assert read_foreign() == before  # the other tool's table untouched
    r = nexo_here(*base, "adopt", "--from", tool, "--yes", "--json")  # again: nothing to do, nothing recorded
    assert r.returncode == 0 and json.loads(r.stdout)["adopted"] == [], r.stdout + r.stderr
    r = nexo_here(*base, "history", "--json", "--action", "adopt", "--limit", "0")
    assert len(json.loads(r.stdout)["events"]) == len(events)
    return {"adopt": doc, "import": imported, "base": base, "mig": mig, "foreign_rows": before}


def tool_of(mig: Path) -> str:
    from nexo_studio.core.adopt.model import parse_origin

    return next(o["tool"] for p in sorted(mig.iterdir()) if (o := parse_origin(p.read_text())))


def new_on_top_and_roll_back(base: list[str], mig: Path, url: str, to: str, dropped: str,
                             schema: str | None = None) -> None:
    """Acceptance 2: a new nexo migration deploys on top; rollback --to an adopted migration runs
    the imported downs (``dropped``: a table one of them drops)."""
    last = sorted(p.stem for p in mig.iterdir())[-1]
    (mig / "2099.01.01.000000_nexo_new.sql").write_text(
        f"-- depends: {last}\n-- +up\nCREATE TABLE nexo_new (id INTEGER);\n-- +down\nDROP TABLE nexo_new;\n")
    r = nexo(*base, "deploy", "--no-backup", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["applied"] == ["2099.01.01.000000_nexo_new"]
    assert "nexo_new" in tables(url)
    assert dropped in tables(url, schema)
    r = nexo(*base, "rollback", "--to", to, "--yes", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert dropped not in tables(url, schema) and "nexo_new" not in tables(url)
    r = nexo_here(*base, "adopt", "--from", tool_of(mig), "--yes", "--json")  # the foreign table is stale now
    assert r.returncode == 0 and json.loads(r.stdout)["adopted"] == [], r.stdout + r.stderr
    r = nexo_here(*base, "status", "--json")
    assert "pending" in {m["status"] for m in json.loads(r.stdout)["migrations"]}
    r = nexo_here(*base, "audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr


TOOLS_DIR = Path(os.environ.get("NEXO_TOOLS_DIR", Path.home() / ".cache" / "nexo-tools"))


def pg_schema(url: str, exclude: tuple[str, ...] = ()) -> str:
    """`pg_dump --schema-only` of a PostgreSQL database, without nexo's and ``exclude``'s tables."""
    u = sa.engine.make_url(url)
    args = ["pg_dump", "--schema-only", "--no-owner", "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432),
            "-U", u.username or "postgres", "-T", 'public."__*"']
    for name in exclude:
        args += ["-T", name, "-N", name] if "." not in name else ["-T", name]
    out = subprocess.run([*args, u.database], capture_output=True, text=True, check=True, timeout=120).stdout
    return "\n".join(line for line in out.splitlines()
                     if line.strip() and not line.startswith(("--", "\\restrict", "\\unrestrict")))


def same_schema_as_fresh_nexo(tmp_path: Path, make_db, url: str, mig: Path, exclude: tuple[str, ...]) -> None:
    """Acceptance 3: the imported project deployed by nexo on a fresh database gives the schema the
    real tool gave (PostgreSQL, pg_dump --schema-only, the tools' own tables excluded)."""
    fresh = make_db("postgresql")
    r = nexo("--db", fresh, "--migrations", str(mig), "deploy", "--no-backup")
    assert r.returncode == 0, r.stdout + r.stderr
    assert pg_schema(fresh, exclude) == pg_schema(url, exclude)
