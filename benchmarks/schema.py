"""Schema snapshot time (SPEC §10 budget): reflect + canonical JSON + SHA-256.

    python benchmarks/schema.py [--tables 1000] [--rounds 3] [--postgres URL] [--skip-postgres]

* a PostgreSQL schema of N tables (5 columns, a primary key, 2 indexes and 1 foreign key each)
  -- budget 2 s for 1,000 tables;
* the sample project (`migrations/`) deployed on SQLite (and PostgreSQL) -- budget 0.1 s;
* what snapshots add to each deploy of the sample project: the health check's drift check
  (last snapshot + reflect + diff) and the closing snapshot (reflect + insert with deploy_end).

Prints the median of ``--rounds`` snapshots, the document size and the ratio to the budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402

from engine import pg_database  # noqa: E402

from nexo_studio.core.events import run  # noqa: E402
from nexo_studio.core.pipeline import DeployOptions, deploy  # noqa: E402
from nexo_studio.core.project import Project  # noqa: E402
from nexo_studio.core.schema import canonical_json, reflect, sha256  # noqa: E402
from nexo_studio.core.target import Target  # noqa: E402


def snapshot_times(url: str, rounds: int) -> tuple[float, int, int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    times = []
    try:
        with engine.connect() as conn:
            for _ in range(rounds):
                t0 = time.perf_counter()
                doc = reflect(conn)
                text = canonical_json(doc)
                sha256(doc)
                times.append(time.perf_counter() - t0)
                conn.rollback()
    finally:
        engine.dispose()
    return statistics.median(times), len(text), len(doc["tables"])


def build_wide_schema(url: str, n: int) -> None:
    """N tables: id PK, parent_id FK to the previous table, 3 more columns, 2 indexes each."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for i in range(n):
            ref = f"t{i - 1:04d}" if i else None
            fk = f", CONSTRAINT fk_t{i:04d}_parent FOREIGN KEY (parent_id) REFERENCES {ref} (id) ON DELETE CASCADE" \
                if ref else ", CONSTRAINT fk_t0000_self FOREIGN KEY (parent_id) REFERENCES t0000 (id)"
            conn.exec_driver_sql(
                f"CREATE TABLE t{i:04d} (id INTEGER PRIMARY KEY, parent_id INTEGER, name VARCHAR(100) NOT NULL, "
                f"amount NUMERIC(12, 2) DEFAULT 0, created_at TIMESTAMPTZ NOT NULL DEFAULT now(){fk})")
            conn.exec_driver_sql(f"CREATE INDEX ix_t{i:04d}_name ON t{i:04d} (name, created_at)")
            conn.exec_driver_sql(f"CREATE INDEX ix_t{i:04d}_parent ON t{i:04d} (parent_id) WHERE parent_id IS NOT NULL")
    engine.dispose()


def report(label: str, seconds: float, budget: float, size: int, tables: int) -> None:
    print(f"{label:<44} {seconds:8.3f} s  budget {budget:5.2f} s  ({seconds / budget:5.1%} of it)  "
          f"{tables} tables, {size / 1024:,.0f} KiB of JSON")


def sample(url: str, rounds: int) -> tuple[float, int, int]:
    target = Target(url)
    try:
        result = run(deploy(Project.load(ROOT / "migrations"), target, DeployOptions(backup=False)))
        assert result.ok, result.message
    finally:
        target.dispose()
    return snapshot_times(url, rounds)


def deploy_cost(url: str, rounds: int) -> tuple[float, float]:
    """Median seconds of the drift check and of the closing snapshot, per deploy (sample project,
    deployed already: the inserts are rolled back, so every round sees the same tables)."""
    from nexo_studio.core.drift import check
    from nexo_studio.core.state.snapshots import capture, record

    target = Target(url)
    gate, end = [], []
    try:
        with target.connect() as conn:
            for _ in range(rounds):
                t0 = time.perf_counter()
                check(conn, target.store)
                t1 = time.perf_counter()
                cap = capture(conn, target.store)
                tx = conn.begin()
                record(target.store, conn, cap, None)
                t2 = time.perf_counter()
                tx.rollback()
                gate.append(t1 - t0)
                end.append(t2 - t1)
    finally:
        target.dispose()
    return statistics.median(gate), statistics.median(end)


def report_cost(label: str, gate: float, end: float) -> None:
    print(f"{label:<44} {(gate + end) * 1000:8.1f} ms per deploy  "
          f"(drift check {gate * 1000:.1f} ms + closing snapshot {end * 1000:.1f} ms)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("NEXO_TEST_POSTGRES_URL",
                                                         "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report("sample project, SQLite", *_with_budget(sample(f"sqlite:///{tmp}/sample.db", args.rounds), 0.1))
        report_cost("snapshot cost of a deploy, SQLite", *deploy_cost(f"sqlite:///{tmp}/sample.db", args.rounds))
    if args.skip_postgres:
        return
    url, drop = pg_database(args.postgres)
    try:
        report("sample project, PostgreSQL", *_with_budget(sample(url, args.rounds), 0.1))
        report_cost("snapshot cost of a deploy, PostgreSQL", *deploy_cost(url, args.rounds))
    finally:
        drop()
    url, drop = pg_database(args.postgres)
    try:
        t0 = time.perf_counter()
        build_wide_schema(url, args.tables)
        print(f"(built {args.tables} tables in {time.perf_counter() - t0:.1f} s)")
        report(f"{args.tables} tables, PostgreSQL", *_with_budget(snapshot_times(url, args.rounds), 2.0))
    finally:
        drop()


def _with_budget(figures: tuple[float, int, int], budget: float) -> tuple[float, float, int, int]:
    seconds, size, tables = figures
    return seconds, budget, size, tables


if __name__ == "__main__":
    main()
