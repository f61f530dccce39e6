"""Engine benchmarks: deploy / rollback against the raw driver, status at scale, CLI start-up.

    python benchmarks/engine.py [--n 1000] [--status-n 10000] [--postgres URL] [--skip-postgres]

For N synthetic migrations (create table, add column, index, insert 100 rows, view) it times
`deploy` and `rollback --to 0` through the engine (no backup, no verify: the apply path) and the
raw driver executing the same statements, one transaction per migration, in the same run, and
prints each figure with the ratio. Then `nexo status` as a whole process for 1,000 and 10,000
applied migrations, and the CLI's cold start (`nexo --help`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nexo_studio.core.events import run  # noqa: E402
from nexo_studio.core.pipeline import DeployOptions, RollbackOptions, deploy, rollback  # noqa: E402
from nexo_studio.core.project import Project  # noqa: E402
from nexo_studio.core.target import Target  # noqa: E402


def write_project(directory: Path, n: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    rows = ", ".join(f"({j}, 'row {j}')" for j in range(1, 101))
    for i in range(1, n + 1):
        day, sec = divmod(i, 86400)
        version = f"2024.01.{day + 1:02d}.{sec // 3600:02d}{sec % 3600 // 60:02d}{sec % 60:02d}"
        (directory / f"{version}_bench_{i}.sql").write_text(
            f"-- description: synthetic migration {i}\n"
            "-- +up\n"
            f"CREATE TABLE bench_{i} (id INTEGER PRIMARY KEY, label VARCHAR(40));\n"
            f"ALTER TABLE bench_{i} ADD COLUMN score INTEGER;\n"
            f"CREATE INDEX ix_bench_{i}_label ON bench_{i} (label);\n"
            f"INSERT INTO bench_{i} (id, label) VALUES {rows};\n"
            f"CREATE VIEW v_bench_{i} AS SELECT id, label FROM bench_{i} WHERE score IS NULL;\n"
            "-- +down\n"
            f"DROP VIEW v_bench_{i};\n"
            f"DROP TABLE bench_{i};\n"
        )


def statements(project: Project, dialect: str, kind: str) -> list[list[str]]:
    order = project.order()
    if kind == "down":
        order = list(reversed(order))
    return [[s.sql for s in project.migrations[i].statements(kind, dialect)] for i in order]


def raw_sqlite(path: Path, batches: list[list[str]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    t0 = time.perf_counter()
    for batch in batches:
        conn.execute("BEGIN")
        for sql in batch:
            conn.execute(sql)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def raw_postgres(url: str, batches: list[list[str]]) -> float:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password or None,
                           dbname=u.database)
    t0 = time.perf_counter()
    for batch in batches:
        with conn.cursor() as cur:
            for sql in batch:
                cur.execute(sql)
        conn.commit()
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def engine_run(project: Project, url: str, kind: str, **options) -> float:
    target = Target(url)
    t0 = time.perf_counter()
    if kind == "up":
        options.setdefault("backup", False)
        options.setdefault("verify", False)
        result = run(deploy(project, target, DeployOptions(**options)))
    else:
        result = run(rollback(project, target, RollbackOptions(to="0")))
    elapsed = time.perf_counter() - t0
    target.dispose()
    assert result.ok, result.message
    return elapsed


def pg_database(base: str):
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"nexo_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {name}")

    def drop():
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def compare(label: str, project: Project, n: int, make_db, raw, rounds: int) -> None:
    """Alternate raw driver and engine ``rounds`` times; report medians (fsync timing is noisy)."""
    up, down = statements(project, "x", "up"), statements(project, "x", "down")
    times: dict[str, list[float]] = {"raw_up": [], "raw_down": [], "eng_up": [], "eng_down": []}
    for _ in range(rounds):
        url, drop = make_db()
        times["raw_up"].append(raw(url, up))
        times["raw_down"].append(raw(url, down))
        drop()
        url, drop = make_db()
        times["eng_up"].append(engine_run(project, url, "up"))
        times["eng_down"].append(engine_run(project, url, "down"))
        drop()
    med = {k: statistics.median(v) for k, v in times.items()}
    for what, e, r in (("deploy", "eng_up", "raw_up"), ("rollback", "eng_down", "raw_down")):
        print(f"{label:10} {what:8} N={n}: engine {med[e]:7.2f} s   raw driver {med[r]:7.2f} s   "
              f"ratio {med[e] / med[r]:4.2f}x   (median of {rounds})")


def pipeline_cost(label: str, tmp: Path, make_db, n: int = 100) -> None:
    """The pipeline's own cost: deploy of ``n`` migrations with backup + verify vs without."""
    write_project(tmp / f"pipe_{label}", n)
    project = Project.load(tmp / f"pipe_{label}")
    url, drop = make_db()
    bare = engine_run(project, url, "up")
    drop()
    url, drop = make_db()
    # a database that is not empty, so the backup has something to copy
    engine_run(Project.load(tmp / f"pipe_{label}"), url, "up")
    engine_run(project, url, "down")
    full = engine_run(project, url, "up", backup=True, verify=True, backup_dir=tmp / "backups")
    drop()
    print(f"{label:10} pipeline N={n}: backup+verify {full:6.2f} s   apply only {bare:6.2f} s   ratio {full / bare:4.2f}x")


def time_cmd(argv: list[str], repeat: int = 5, env: dict | None = None) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def status_figures(tmp: Path, sizes: list[int]) -> None:
    nexo = [sys.executable, "-m", "nexo_studio.cli.main"]
    env = {**os.environ, "NEXO_NO_KEYRING": "1"}
    for n in sizes:
        d = tmp / f"status_{n}"
        write_project(d / "m", n)
        db = f"sqlite:///{d / 's.db'}"
        last = sorted(p.stem for p in (d / "m").glob("*.sql"))[-1]
        subprocess.run([*nexo, "--db", db, "--migrations", str(d / "m"), "baseline", "--to", last, "--yes"],
                       check=True, capture_output=True, env=env)
        t = time_cmd([*nexo, "--db", db, "--migrations", str(d / "m"), "status"], env=env)
        tj = time_cmd([*nexo, "--db", db, "--migrations", str(d / "m"), "status", "--json"], env=env)
        print(f"status     {n:6} applied: {t:5.2f} s (table), {tj:5.2f} s (--json), whole process, median of 5")
    print(f"cold start nexo --help: {time_cmd([*nexo, '--help'], env=env):5.3f} s;  "
          f"python -c pass: {time_cmd([sys.executable, '-c', 'pass']):5.3f} s (interpreter alone)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--status-n", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--postgres", default=os.environ.get("NEXO_TEST_POSTGRES_URL",
                                                         "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nexo-bench-"))
    try:
        write_project(tmp / "proj", args.n)
        project = Project.load(tmp / "proj")

        counter = iter(range(10**6))

        def sqlite_db():
            path = tmp / f"bench_{next(counter)}.db"
            return f"sqlite:///{path}", lambda: None

        compare("sqlite", project, args.n, sqlite_db, lambda url, b: raw_sqlite(Path(url[len("sqlite:///"):]), b),
                args.rounds)
        if not args.skip_postgres:
            compare("postgresql", project, args.n, lambda: pg_database(args.postgres), raw_postgres, args.rounds)
        pipeline_cost("sqlite", tmp, sqlite_db)
        if not args.skip_postgres:
            pipeline_cost("postgresql", tmp, lambda: pg_database(args.postgres))
        status_figures(tmp, args.status_n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
