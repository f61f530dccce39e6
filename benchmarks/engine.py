"""Engine benchmarks: deploy / rollback against the raw driver, status at scale, CLI start-up.

    python benchmarks/engine.py [--n 1000] [--status-n 10000] [--postgres URL] [--skip-postgres]
                                [--status-only] [--repeat 5]

For N synthetic migrations (create table, add column, index, insert 100 rows, view) it times
`deploy` and `rollback --to 0` through the engine (no backup, no verify: the apply path) and the
raw driver executing the same statements, one transaction per migration, in the same run, and
prints each figure with the ratio. A third figure is the raw driver doing the same statements
plus the three writes SPEC §3 asks for with each migration (state row, history row, history
tail) as plain SQL, sent the cheapest way (on PostgreSQL one query with the COMMIT, one round trip;
its tables made before the clock starts, like the engine's): the floor for any tool that records
its state that way. Then `nexo status` as a whole process for 1,000 and 10,000
applied migrations (best and median of ``--repeat`` runs: the best is the figure on a loaded
machine), and the CLI's cold start (`nexo --help`). ``--status-only``: only those last figures.
"""

from __future__ import annotations

import argparse
import hashlib
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


# The writes SPEC §3 asks for with every migration (its state row, a history row, the history
# tail), as plain SQL on tables shaped like the tool's. The raw driver doing these as well as the
# migration's SQL is the floor for any tool that records state the way the SPEC says.
BOOKKEEPING_DDL = [
    "CREATE TABLE bk_migrations (id VARCHAR(255) PRIMARY KEY, version VARCHAR(32), name VARCHAR(255), "
    "description TEXT, checksum VARCHAR(64), status VARCHAR(16), depends TEXT, applied_at TIMESTAMP, "
    "applied_by VARCHAR(255), execution_ms INTEGER, metadata TEXT)",
    "CREATE TABLE bk_history (seq BIGINT PRIMARY KEY, deployment_id VARCHAR(36), migration_id VARCHAR(255), "
    "action VARCHAR(16), status VARCHAR(16), started_at TIMESTAMP, finished_at TIMESTAMP, duration_ms INTEGER, "
    "operator VARCHAR(255), host VARCHAR(255), tool_version VARCHAR(32), details TEXT, error TEXT, "
    "prev_hash VARCHAR(64), hash VARCHAR(64))",
    "CREATE TABLE bk_meta (key VARCHAR(64) PRIMARY KEY, value TEXT)",
    "INSERT INTO bk_meta VALUES ('tail', '')",
]


def bookkeeping(i: int, seq: int, kind: str) -> list[tuple[str, tuple]]:
    """The three writes for migration ``i`` (history row ``seq``), placeholders ``?``."""
    now = "2026-01-01 00:00:00.000000"
    h = hashlib.sha256(f"{seq}".encode()).hexdigest()
    mid = f"2024.01.01.{i:06d}_bench_{i}"
    if kind == "up":
        state = ("INSERT INTO bk_migrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (mid, mid[:17], f"bench_{i}", "synthetic migration", h, "applied", "[]", now, "root", 3,
                  '{"deployment_id":"0123456789abcdef0123456789abcdef0123","kind":"sql","tags":[],"transaction":"auto"}'))
    else:
        state = ("UPDATE bk_migrations SET status = ? WHERE id = ?", ("rolled_back", mid))
    history = ("INSERT INTO bk_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (seq, "0123456789abcdef0123456789abcdef0123", mid, "apply" if kind == "up" else "rollback", "ok",
                now, now, 3, "root", "host", "0.1.0", '{"rows":100,"statements":5}', None, h, h))
    tail = ("UPDATE bk_meta SET value = ? WHERE key = 'tail'", (f'{{"hash":"{h}","seq":{seq}}}',))
    return [state, history, tail]


def raw_sqlite(path: Path, batches: list[list[str]], record: str | None = None) -> float:
    """The raw driver runs ``batches``, one transaction each; ``record``: plus the bookkeeping."""
    conn = sqlite3.connect(path, isolation_level=None)
    seq = _bookkeeping_tables(conn, record, commit=lambda: None)
    t0 = time.perf_counter()
    for i, batch in enumerate(batches, 1):
        conn.execute("BEGIN")
        for sql in batch:
            conn.execute(sql)
        if record:
            seq += 1
            for sql, params in bookkeeping(i, seq, record):
                conn.execute(sql, params)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def raw_postgres(url: str, batches: list[list[str]], record: str | None = None) -> float:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password or None,
                           dbname=u.database)
    seq = _bookkeeping_tables(conn, record, commit=conn.commit)
    literal = psycopg.ClientCursor(conn)  # writes the values into the SQL, as psql would send them
    t0 = time.perf_counter()
    for i, batch in enumerate(batches, 1):
        with conn.cursor() as cur:
            for sql in batch:
                cur.execute(sql)
            if record:
                # the cheapest way to send them: one query with the COMMIT, one round trip
                # (the way nexo sends them too); conn.commit() below then finds nothing open
                seq += 1
                writes = [literal.mogrify(sql.replace("?", "%s"), params) for sql, params in bookkeeping(i, seq, record)]
                cur.execute(";".join([*writes, "COMMIT"]))
        conn.commit()
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def _bookkeeping_tables(conn, record: str | None, commit) -> int:
    """Create the bookkeeping tables on first use; the next history seq to write."""
    if not record:
        return 0
    if record == "up":
        for sql in BOOKKEEPING_DDL:
            conn.execute(sql)
        commit()
        return 0
    return conn.execute("SELECT COUNT(*) FROM bk_history").fetchone()[0]


def engine_run(project: Project, url: str, kind: str, **options) -> float:
    target = Target(url)
    if kind == "up":  # its state tables exist before the clock starts, as the floor's do
        with target.connect() as conn:
            target.store.ensure(conn)
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
    """Alternate raw driver, raw driver + bookkeeping and engine ``rounds`` times; report
    medians (fsync timing is noisy)."""
    up, down = statements(project, "x", "up"), statements(project, "x", "down")
    times: dict[str, list[float]] = {k: [] for k in
                                     ("raw_up", "raw_down", "floor_up", "floor_down", "eng_up", "eng_down")}
    for _ in range(rounds):
        url, drop = make_db()
        times["raw_up"].append(raw(url, up))
        times["raw_down"].append(raw(url, down))
        drop()
        url, drop = make_db()
        times["floor_up"].append(raw(url, up, "up"))
        times["floor_down"].append(raw(url, down, "down"))
        drop()
        url, drop = make_db()
        times["eng_up"].append(engine_run(project, url, "up"))
        times["eng_down"].append(engine_run(project, url, "down"))
        drop()
    med = {k: statistics.median(v) for k, v in times.items()}
    for what, kind in (("deploy", "up"), ("rollback", "down")):
        e, r, f = med[f"eng_{kind}"], med[f"raw_{kind}"], med[f"floor_{kind}"]
        print(f"{label:10} {what:8} N={n}: engine {e:6.2f} s   raw driver {r:6.2f} s   ratio {e / r:4.2f}x   "
              f"| raw + bookkeeping {f:6.2f} s ({f / r:4.2f}x raw; engine {e / f:4.2f}x it)   (median of {rounds})")


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


def time_runs(argv: list[str], repeat: int = 5, env: dict | None = None) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
    return times


def time_cmd(argv: list[str], repeat: int = 5, env: dict | None = None) -> float:
    return statistics.median(time_runs(argv, repeat, env))


def status_figures(tmp: Path, sizes: list[int], repeat: int = 5) -> None:
    nexo = [sys.executable, "-m", "nexo_studio.cli.main"]
    env = {**os.environ, "NEXO_NO_KEYRING": "1"}
    for n in sizes:
        d = tmp / f"status_{n}"
        write_project(d / "m", n)
        db = f"sqlite:///{d / 's.db'}"
        last = sorted(p.stem for p in (d / "m").glob("*.sql"))[-1]
        subprocess.run([*nexo, "--db", db, "--migrations", str(d / "m"), "baseline", "--to", last, "--yes"],
                       check=True, capture_output=True, env=env)
        t = time_runs([*nexo, "--db", db, "--migrations", str(d / "m"), "status"], repeat, env)
        tj = time_runs([*nexo, "--db", db, "--migrations", str(d / "m"), "status", "--json"], repeat, env)
        print(f"status     {n:6} applied: {min(t):5.2f} s (table), {min(tj):5.2f} s (--json), whole process, "
              f"best of {repeat} (medians {statistics.median(t):.2f} and {statistics.median(tj):.2f} s); "
              f"load average {os.getloadavg()[0]:.2f}")
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
    ap.add_argument("--status-only", action="store_true", help="only `nexo status` and the CLI's start-up")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each `nexo status` figure")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nexo-bench-"))
    try:
        if args.status_only:
            status_figures(tmp, args.status_n, args.repeat)
            return
        write_project(tmp / "proj", args.n)
        project = Project.load(tmp / "proj")

        counter = iter(range(10**6))

        def sqlite_db():
            path = tmp / f"bench_{next(counter)}.db"
            return f"sqlite:///{path}", lambda: None

        compare("sqlite", project, args.n, sqlite_db,
                lambda url, b, record=None: raw_sqlite(Path(url[len("sqlite:///"):]), b, record), args.rounds)
        if not args.skip_postgres:
            compare("postgresql", project, args.n, lambda: pg_database(args.postgres), raw_postgres, args.rounds)
        pipeline_cost("sqlite", tmp, sqlite_db)
        if not args.skip_postgres:
            pipeline_cost("postgresql", tmp, lambda: pg_database(args.postgres))
        status_figures(tmp, args.status_n, args.repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
