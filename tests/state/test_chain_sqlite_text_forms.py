"""SQLite's fast chain check (canonical JSON made by json_object, timestamps rewritten in SQL) only
ever confirms rows the reference walk (chain.verify_chain) also finds intact: timestamps edited
into other texts, forms and types give the reference's verdict. Real SQLite file, real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from nexo_studio.core.state.chain import verify_chain
from nexo_studio.core.state.chainscan import verify_history
from nexo_studio.core.target import Target

ROOT = Path(__file__).resolve().parents[2]

#: (SQL expression for started_at, whether the row then still holds the time as written)
EDITS = [
    ("started_at", True),
    ("replace(started_at, ' ', 'T')", True),  # the same instant, read the same by SQLAlchemy
    ("started_at || ' '", False),
    ("' ' || started_at", False),
    ("replace(started_at, ' ', '  ')", False),
    ("substr(started_at, 1, 19)", False),  # no microseconds: another text than the writer's
    ("replace(started_at, ' ', 't')", True),  # fromisoformat takes any separator
    ("replace(started_at, '-', ' ')", False),
    ("replace(started_at, ' ', 'T') || 'Z'", True),  # and a Z
    ("'2020-01-01 00:00:00.000000'", False),
    ("12345", False),
    ("CAST(started_at AS BLOB)", False),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("forms")
    mig = d / "migrations"
    mig.mkdir()
    for i in range(1, 4):
        (mig / f"2025.01.26.09300{i}_t{i}.sql").write_text(f"-- +up\nCREATE TABLE t{i} (a int);\n-- +down\nDROP TABLE t{i};\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEXO_NO_KEYRING": "1"}
    subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", "--db", f"sqlite:///{d / 'db.sqlite'}",
                    "--migrations", str(mig), "deploy", "--no-backup"], check=True, capture_output=True, env=env,
                   cwd=d)
    return d / "db.sqlite"


@pytest.mark.parametrize("expr, intact", EDITS)
def test_an_edited_timestamp_gets_the_reference_verdict(db, tmp_path, expr, intact):
    copy = tmp_path / "db.sqlite"
    copy.write_bytes(db.read_bytes())
    url = f"sqlite:///{copy}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'UPDATE "__MigrationHistory" SET started_at = {expr} WHERE seq = 2')
    engine.dispose()
    target = Target(url)
    try:
        with target.connect() as conn:
            t = target.store.t.history
            try:
                ref = verify_chain(conn.execute(sa.select(t).order_by(t.c.seq)).mappings())
            except (ValueError, TypeError):  # SQLAlchemy cannot even read it as a time
                ref = None
            conn.rollback()
            fast = verify_history(target.store, conn)
    finally:
        target.dispose()
    assert fast.ok is intact and (fast.ok or fast.seqs == (2,)), fast
    if ref is not None:
        assert fast == ref, (fast, ref)
