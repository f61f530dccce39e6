"""The light workload: per-migration bookkeeping cost where the SQL itself is cheap.

    python benchmarks/light.py [--n 1000] [--rounds 3] [--postgres URL] [--skip-postgres] [--skip-alembic]
                                [--dir /dev/shm]

1,000 migrations of ONE statement each (create table / add column / create index / insert 100
rows / create view, in turn), so the tool's own work per migration is not hidden behind heavy
SQL. Deploy and rollback to zero are timed, in the same run, for

* the raw driver running the same statements, one transaction per migration;
* nexo's engine (deploy without backup and verify: the apply path; start-up excluded);
* Alembic (its `command.upgrade`/`downgrade` API on one revision file per migration, each
  `op.execute` of the same statement; start-up excluded as well),
* the floor: the raw driver plus the three writes SPEC §3 asks for with every migration, as
  plain SQL sent the cheapest way (see engine.py): what no tool recording its state that way
  can go below,

and printed as seconds, ratio to the raw driver, overhead in ms per migration, and nexo's overhead
over the floor (its own cost). Every tool's tables exist before the clock starts. ``--dir
/dev/shm`` puts the SQLite files on tmpfs, without the disk's fsync noise. Then the
start-up of `nexo status` on an empty project against `python -c "import sqlalchemy" + driver +
connect`, both as whole processes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import engine_run, pg_database, raw_postgres, raw_sqlite, time_cmd  # noqa: E402

from nexo_studio.core.project import Project  # noqa: E402


def light_statements(n: int) -> list[tuple[str, str]]:
    """(up, down) of migration 1..n: five kinds in turn, each on the table of its group."""
    rows = ", ".join(f"({j}, 'row {j}')" for j in range(1, 101))
    out = []
    for i in range(1, n + 1):
        g, kind = divmod(i - 1, 5)
        t = f"light_{g}"
        out.append([
            (f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, label VARCHAR(40))", f"DROP TABLE {t}"),
            (f"ALTER TABLE {t} ADD COLUMN score INTEGER", f"ALTER TABLE {t} DROP COLUMN score"),
            (f"CREATE INDEX ix_{t} ON {t} (label)", f"DROP INDEX ix_{t}"),
            (f"INSERT INTO {t} (id, label) VALUES {rows}", f"DELETE FROM {t}"),
            (f"CREATE VIEW v_{t} AS SELECT id, label FROM {t}", f"DROP VIEW v_{t}"),
        ][kind])
    return out


def version_of(i: int) -> str:
    day, sec = divmod(i, 86400)
    return f"2024.01.{day + 1:02d}.{sec // 3600:02d}{sec % 3600 // 60:02d}{sec % 60:02d}"


def write_nexo(directory: Path, stmts: list[tuple[str, str]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i, (up, down) in enumerate(stmts, 1):
        (directory / f"{version_of(i)}_light_{i}.sql").write_text(
            f"-- description: light {i}\n-- +up\n{up};\n-- +down\n{down};\n", encoding="utf-8")


def write_alembic(directory: Path, stmts: list[tuple[str, str]]) -> Path:
    """An Alembic environment whose revisions run the same statements; returns alembic.ini."""
    versions = directory / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (directory / "env.py").write_text(
        "from alembic import context\n"
        "from sqlalchemy import create_engine, pool\n"
        "url = context.config.get_main_option('sqlalchemy.url')\n"
        "engine = create_engine(url, poolclass=pool.NullPool)\n"
        "with engine.connect() as connection:\n"
        "    context.configure(connection=connection, transaction_per_migration=True)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n", encoding="utf-8")
    (directory / "script.py.mako").write_text("", encoding="utf-8")
    prev = None
    for i, (up, down) in enumerate(stmts, 1):
        (versions / f"r{i:05d}.py").write_text(
            "from alembic import op\n"
            f"revision = 'r{i:05d}'\ndown_revision = {prev!r}\nbranch_labels = None\ndepends_on = None\n"
            f"def upgrade():\n    op.execute({up!r})\n"
            f"def downgrade():\n    op.execute({down!r})\n", encoding="utf-8")
        prev = f"r{i:05d}"
    ini = directory / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {directory}\n", encoding="utf-8")
    return ini


def alembic_run(ini: Path, url: str) -> tuple[float, float]:
    """(upgrade head, downgrade base) seconds; the script directory is loaded before timing."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(ini))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    ScriptDirectory.from_config(cfg).get_current_head()  # parse the revisions: start-up, not timed
    command.ensure_version(cfg)  # its version table exists before the clock starts, as nexo's does
    t0 = time.perf_counter()
    command.upgrade(cfg, "head")
    up = time.perf_counter() - t0
    t0 = time.perf_counter()
    command.downgrade(cfg, "base")
    return up, time.perf_counter() - t0


def compare(label: str, n: int, tmp: Path, make_db, raw, rounds: int, alembic: bool) -> None:
    stmts = light_statements(n)
    write_nexo(tmp / f"nexo_{label}", stmts)
    project = Project.load(tmp / f"nexo_{label}")
    ini = write_alembic(tmp / f"alembic_{label}", stmts) if alembic else None
    up = [[u] for u, _ in stmts]
    down = [[d] for _, d in reversed(stmts)]
    times: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        times.setdefault(key, []).append(value)

    for _ in range(rounds):
        url, drop = make_db()
        add("raw_up", raw(url, up))
        add("raw_down", raw(url, down))
        drop()
        url, drop = make_db()
        add("floor_up", raw(url, up, "up"))
        add("floor_down", raw(url, down, "down"))
        drop()
        url, drop = make_db()
        add("nexo_up", engine_run(project, url, "up"))
        add("nexo_down", engine_run(project, url, "down"))
        drop()
        if ini is not None:
            url, drop = make_db()
            a_up, a_down = alembic_run(ini, url)
            add("alembic_up", a_up)
            add("alembic_down", a_down)
            drop()
    med = {k: statistics.median(v) for k, v in times.items()}
    for what, kind in (("deploy", "up"), ("rollback", "down")):
        r = med[f"raw_{kind}"]
        line = f"{label:10} {what:8} N={n}: raw {r:6.2f} s ({spread(times[f'raw_{kind}'])})"
        for tool in ("floor", "nexo", "alembic"):
            t = med.get(f"{tool}_{kind}")
            if t is not None:
                line += f" | {tool} {t:6.2f} s {t / r:4.2f}x  +{(t - r) / n * 1000:5.2f} ms/migration"
        f = med[f"floor_{kind}"]
        line += f" | nexo over the floor {(med[f'nexo_{kind}'] - f) / n * 1000:+5.2f} ms/migration"
        print(line + f"   (median of {rounds})")


def spread(values: list[float]) -> str:
    """min-max of the rounds: on a disk, fsync alone moves the raw driver's figure this much."""
    return f"{min(values):.2f}-{max(values):.2f}"


def startup(tmp: Path) -> None:
    """Whole-process start-up: `nexo status` on an empty SQLite project vs the bare minimum."""
    (tmp / "empty").mkdir(exist_ok=True)
    db = tmp / "start.db"
    env = {**os.environ, "NEXO_NO_KEYRING": "1"}
    nexo = time_cmd([sys.executable, "-m", "nexo_studio.cli.main", "--db", f"sqlite:///{db}",
                     "--migrations", str(tmp / "empty"), "status"], env=env)
    bare = time_cmd([sys.executable, "-c", "import sqlalchemy as sa\n"
                     f"e = sa.create_engine('sqlite:///{db}')\nc = e.connect()\nc.close()"], env=env)
    print(f"start-up   nexo status (empty project): {nexo:5.3f} s;  import sqlalchemy + driver + connect: "
          f"{bare:5.3f} s;  difference {nexo - bare:+5.3f} s (aim ≤ 0.1 s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("NEXO_TEST_POSTGRES_URL",
                                                         "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--skip-alembic", action="store_true")
    ap.add_argument("--dir", help="where the SQLite files go (default: a temporary folder); e.g. /dev/shm "
                                  "(tmpfs) leaves out the disk's fsync time, which moves every tool's figure "
                                  "by more than the tools differ")
    args = ap.parse_args()
    alembic = not args.skip_alembic
    if alembic:
        try:
            import alembic as _  # noqa: F401
        except ImportError:
            print("alembic is not installed (pip install alembic): comparing with the raw driver only")
            alembic = False
    tmp = Path(tempfile.mkdtemp(prefix="nexo-light-", dir=args.dir))
    # the lint cache of this run only: on a shared machine another checkout's runs rewrite the
    # user's cache (its fingerprint differs), which made the gate's cost come and go between rounds
    os.environ["NEXO_DATA_DIR"] = str(tmp / "data")
    try:
        counter = iter(range(10**6))

        def sqlite_db():
            return f"sqlite:///{tmp / f'light_{next(counter)}.db'}", lambda: None

        compare("sqlite", args.n, tmp, sqlite_db,
                lambda url, b, record=None: raw_sqlite(Path(url[len("sqlite:///"):]), b, record), args.rounds,
                alembic)
        if not args.skip_postgres:
            compare("postgresql", args.n, tmp, lambda: pg_database(args.postgres), raw_postgres, args.rounds, alembic)
        startup(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
