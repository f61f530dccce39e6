"""Fleets (SPEC §9): `nexo fleet status` and `nexo fleet deploy` as whole processes.

    python benchmarks/fleet.py [--targets 100] [--migrations 20] [--rounds 3] [--postgres URL]

* `fleet status --json` over N PostgreSQL databases (aim: ≤ 2 s for 100), median of rounds;
* `fleet deploy --no-backup` of M migrations to N databases at `--parallel 1` and at
  `--parallel 8` (aim: parallel 8 at least 4× faster), the databases recreated empty before
  each run.

Prints seconds and the ratio. The databases (``nexo_bench_fleet_NNN``) are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]


def write_project(mdir: Path, n: int) -> None:
    mdir.mkdir(parents=True, exist_ok=True)
    prev = None
    for i in range(1, n + 1):
        mid = f"2025.03.01.{i:06d}_bench_{i}"
        depends = f"-- depends: {prev}\n" if prev else ""
        (mdir / f"{mid}.sql").write_text(
            f"-- description: bench {i}\n{depends}-- +up\nCREATE TABLE bench_{i} (id INTEGER PRIMARY KEY, v VARCHAR(20));\n"
            f"-- +down\nDROP TABLE bench_{i};\n", encoding="utf-8")
        prev = mid


def recreate(admin: sa.Engine, names: list[str], drop_only: bool = False) -> None:
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if not drop_only:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")


def write_targets(path: Path, base: str, names: list[str]) -> None:
    url = make_url(base)
    lines = ["[fleet]\nparallel = 8\n"]
    for name in names:
        lines.append(f'[[targets]]\nname = "{name.replace("_", "-")}"\n'
                     f'url = "{url.set(database=name).render_as_string(hide_password=True)}"\n')
    path.write_text("\n".join(lines), encoding="utf-8")


def nexo(mdir: Path, targets: Path, *args: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NEXO_NO_KEYRING": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", "--migrations", str(mdir), "fleet", *args,
                           "--targets", str(targets), "--json"], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"nexo fleet {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, default=100)
    ap.add_argument("--migrations", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("NEXO_TEST_POSTGRES_URL",
                                                         "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    a = ap.parse_args()
    names = [f"nexo_bench_fleet_{i:03d}" for i in range(a.targets)]
    admin = sa.create_engine(a.postgres, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with tempfile.TemporaryDirectory() as tmp:
        mdir, targets = Path(tmp) / "migrations", Path(tmp) / "targets.toml"
        write_project(mdir, a.migrations)
        write_targets(targets, a.postgres, names)
        try:
            print(f"{a.targets} PostgreSQL databases, {a.migrations} migrations, {os.cpu_count()} cores")
            deploys = {}
            for parallel in (1, 8):
                recreate(admin, names)
                deploys[parallel] = nexo(mdir, targets, "deploy", "--no-backup", "--parallel", str(parallel))
                print(f"fleet deploy --parallel {parallel}: {deploys[parallel]:.2f} s "
                      f"({deploys[parallel] / (a.targets * a.migrations) * 1000:.1f} ms per migration)")
            print(f"  speed-up parallel 8 vs 1: {deploys[1] / deploys[8]:.2f}x (aim >= 4x)")
            status = [nexo(mdir, targets, "status") for _ in range(a.rounds)]
            print(f"fleet status (whole process, up to date): median {statistics.median(status):.2f} s, "
                  f"best {min(status):.2f} s (aim <= 2 s)")
        finally:
            recreate(admin, names, drop_only=True)
            admin.dispose()


if __name__ == "__main__":
    main()
