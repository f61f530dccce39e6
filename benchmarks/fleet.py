"""Fleets (SPEC §9): `nexo fleet status` and `nexo fleet deploy` as whole processes.

    python benchmarks/fleet.py [--targets 100] [--migrations 20] [--rounds 3] [--deploy-rounds 1]
                               [--latency-ms MS]... [--latency-targets 20] [--postgres URL]

* `fleet deploy --no-backup` of M migrations to N databases at `--parallel 1` and at
  `--parallel 8` (aim: parallel 8 at least 4× faster), the databases recreated empty before
  each run; best of ``--deploy-rounds``. Each run is accounted for (``accounting.py``): wall
  time, nexo's CPU, PostgreSQL's CPU, other programs' CPU and idle time, and from the serial
  run's CPU work the ceiling of any speed-up on this machine's cores;
* the raw driver's floor (``fleet_raw.py``: psycopg alone, the same SQL, no bookkeeping) at
  1 and 8 threads, accounted the same way, with nexo's ratio to it;
* `fleet status --json` over N PostgreSQL databases (aim: ≤ 2 s for 100), median of rounds;
* with ``--latency-ms MS`` (repeatable), the same deploy pair again through
  ``latency_proxy.py``, which adds MS one way to every chunk between nexo and PostgreSQL (a
  server 2 × MS round trip away), over ``--latency-targets`` databases; the proxy's CPU is
  reported (it shares the cores).

Prints seconds and ratios. The databases (``nexo_bench_fleetbench_NNN``) are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accounting import Account, measure  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "NEXO_NO_KEYRING": "1"}


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
    """Empty databases ``names``: created when missing, else their ``public`` schema dropped and
    made anew (DROP DATABASE waits for a checkpoint: ~1 s each on a busy machine)."""
    with admin.connect() as conn:
        have = set(conn.exec_driver_sql("SELECT datname FROM pg_database").scalars())
        for name in names:
            if drop_only:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            elif name not in have:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
    if drop_only:
        return
    for name in sorted(set(names) & have):
        eng = sa.create_engine(admin.url.set(database=name), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with eng.connect() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            eng.dispose()


def write_targets(path: Path, base: str, names: list[str]) -> None:
    url = make_url(base)
    lines = ["[fleet]\nparallel = 8\n"]
    for name in names:
        lines.append(f'[[targets]]\nname = "{name.replace("_", "-")}"\n'
                     f'url = "{url.set(database=name).render_as_string(hide_password=True)}"\n')
    path.write_text("\n".join(lines), encoding="utf-8")


def nexo_cmd(mdir: Path, targets: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "nexo_studio.cli.main", "--migrations", str(mdir), "fleet", *args,
            "--targets", str(targets), "--json"]


def _check(proc: subprocess.CompletedProcess) -> None:
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(proc.args[3:])} exited {proc.returncode}:\n"
                         f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


def nexo(mdir: Path, targets: Path, *args: str) -> float:
    t0 = time.perf_counter()
    _check(subprocess.run(nexo_cmd(mdir, targets, *args), env=ENV, capture_output=True, text=True))
    return time.perf_counter() - t0


def raw_cmd(names: list[str], migrations: int, parallel: int) -> list[str]:
    """``fleet_raw.py``; the server's URL goes in FLEET_RAW_URL (a password stays off the command line)."""
    return [sys.executable, str(Path(__file__).resolve().parent / "fleet_raw.py"), "--parallel", str(parallel),
            "--migrations", str(migrations), *names]


def deploy_pair(admin: sa.Engine, mdir: Path, targets: Path, names: list[str], rounds: int, raw_url: str,
                migrations: int, helpers: tuple[int, ...] = ()) -> dict[tuple[str, int], Account]:
    """`fleet deploy` and the raw driver at parallel 1 and 8, each on freshly created databases:
    best of rounds."""
    best: dict[tuple[str, int], Account] = {}
    for _ in range(rounds):
        for key in (("nexo", 1), ("nexo", 8), ("raw", 1), ("raw", 8)):
            recreate(admin, names)
            cmd = nexo_cmd(mdir, targets, "deploy", "--no-backup", "--parallel", str(key[1])) if key[0] == "nexo" \
                else raw_cmd(names, migrations, key[1])
            acc = measure(cmd, {**ENV, "FLEET_RAW_URL": raw_url}, names, helpers, _check)
            if key not in best or acc.wall < best[key].wall:
                best[key] = acc
    return best


def _ceiling(label: str, one: Account, acc: Account) -> str:
    """No schedule of ``acc``'s CPU work on the cores beats work / cores; the serial run, less
    its waits for a core other programs held, against that."""
    work = acc.work
    proxy = f" + proxy {acc.helpers:.2f}" if acc.helpers else ""
    return (f"  ceiling from {label}'s CPU work: client {acc.client:.2f} + its backends {acc.server_ours:.2f}{proxy}"
            f" = {work:.2f} core-s; on {acc.cores} cores no schedule beats {work / acc.cores:.2f} s, "
            f"so parallel 8 <= {_unstarved(one) / (work / acc.cores):.2f}x")


def _unstarved(acc: Account) -> float:
    """A serial run's wall time less the time its processes were runnable with no core free:
    what it would take on an idle machine (one of its tasks runs at a time, so waits add up)."""
    return max(acc.work, acc.wall - acc.starved)


def report_pair(accs: dict[tuple[str, int], Account], n_targets: int, n_migrations: int, rounds: int) -> None:
    for (kind, parallel), acc in accs.items():
        what = "fleet deploy" if kind == "nexo" else "raw psycopg "
        print(f"{what} --parallel {parallel}: {acc.wall:.2f} s "
              f"({acc.wall / (n_targets * n_migrations) * 1000:.2f} ms per migration"
              f"{f', best of {rounds}' if rounds > 1 else ''})")
        for line in acc.lines():
            print(line)
    one, eight = accs[("nexo", 1)], accs[("nexo", 8)]
    raw1, raw8 = accs[("raw", 1)], accs[("raw", 8)]
    print(f"  speed-up parallel 8 vs 1: nexo {one.wall / eight.wall:.2f}x (aim >= 4x), "
          f"raw driver {raw1.wall / raw8.wall:.2f}x; nexo / raw: {one.wall / raw1.wall:.2f}x serial, "
          f"{eight.wall / raw8.wall:.2f}x at parallel 8")
    q1 = _unstarved(one)
    print(f"  nexo's serial run less its waits for a core: {q1:.2f} s = its CPU work {one.work:.2f} + "
          f"{q1 - one.work:.2f} s waiting on the disk (commits) or the network; raw driver: "
          f"{_unstarved(raw1):.2f} s = {raw1.work:.2f} + {_unstarved(raw1) - raw1.work:.2f}")
    print(_ceiling("nexo's serial run", one, one))
    print(_ceiling("nexo's parallel-8 run", one, eight))
    print(f"  (a speed-up beyond {one.cores}x needs the serial run to wait, not compute: "
          f"{one.cores}x (1 + waiting / CPU work) at best)")


@contextmanager
def latency_proxy(ms: float, upstream: str) -> Iterator[tuple[int, int]]:
    """(pid, port) of a running ``latency_proxy.py`` adding ``ms`` one way in front of ``upstream``."""
    url = make_url(upstream)
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent / "latency_proxy.py"),
                             "--delay-ms", str(ms), "--upstream", f"{url.host or '127.0.0.1'}:{url.port or 5432}"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("listening on "):
            raise SystemExit(f"latency proxy did not start: {line!r}")
        yield proc.pid, int(line.split()[-1])
    finally:
        proc.terminate()
        proc.wait(10)


def round_trip_ms(url: str, n: int = 50) -> float:
    """Median `SELECT 1` round trip on one open connection."""
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                conn.exec_driver_sql("SELECT 1").scalar()
                times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1000
    finally:
        eng.dispose()


def run_latency(a: argparse.Namespace, admin: sa.Engine, mdir: Path, tmp: Path, names: list[str]) -> None:
    names = names[:a.latency_targets]
    for ms in a.latency_ms:
        with latency_proxy(ms, a.postgres) as (pid, port):
            via = make_url(a.postgres).set(host="127.0.0.1", port=port)
            targets = tmp / f"targets-{ms:g}ms.toml"
            write_targets(targets, via.render_as_string(hide_password=False), names)
            direct, proxied = round_trip_ms(a.postgres), round_trip_ms(via.render_as_string(hide_password=False))
            print(f"\n--latency-ms {ms:g}: {len(names)} databases through the proxy; SELECT 1 round trip "
                  f"{proxied:.2f} ms (direct {direct:.2f} ms)")
            report_pair(deploy_pair(admin, mdir, targets, names, a.deploy_rounds,
                                    via.render_as_string(hide_password=False), a.migrations, (pid,)),
                        len(names), a.migrations, a.deploy_rounds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, default=100)
    ap.add_argument("--migrations", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of fleet status (median)")
    ap.add_argument("--deploy-rounds", type=int, default=1, help="rounds of each deploy (best)")
    ap.add_argument("--latency-ms", type=float, action="append", default=[], metavar="MS",
                    help="also deploy through a proxy adding MS one way (repeatable)")
    ap.add_argument("--latency-targets", type=int, default=20, help="databases for the --latency-ms runs")
    ap.add_argument("--skip-direct", action="store_true", help="only the --latency-ms runs")
    ap.add_argument("--postgres", default=os.environ.get("NEXO_TEST_POSTGRES_URL",
                                                         "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    a = ap.parse_args()
    names = [f"nexo_bench_fleetbench_{i:03d}" for i in range(max(a.targets, a.latency_targets))]
    admin = sa.create_engine(a.postgres, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        mdir, targets = tmp / "migrations", tmp / "targets.toml"
        write_project(mdir, a.migrations)
        write_targets(targets, a.postgres, names[:a.targets])
        try:
            print(f"{a.targets} PostgreSQL databases, {a.migrations} migrations, {os.cpu_count()} cores, "
                  f"load average {os.getloadavg()[0]:.2f} at start")
            if not a.skip_direct:
                report_pair(deploy_pair(admin, mdir, targets, names[:a.targets], a.deploy_rounds, a.postgres,
                                        a.migrations), a.targets, a.migrations, a.deploy_rounds)
                status = [nexo(mdir, targets, "status") for _ in range(a.rounds)]
                print(f"fleet status (whole process, up to date): median {statistics.median(status):.2f} s, "
                      f"best {min(status):.2f} s (aim <= 2 s), load average {os.getloadavg()[0]:.2f}")
            if a.latency_ms:
                run_latency(a, admin, mdir, tmp, names)
        finally:
            recreate(admin, names, drop_only=True)
            admin.dispose()


if __name__ == "__main__":
    main()
