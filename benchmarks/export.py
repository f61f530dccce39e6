"""Export benchmark: 100,000 history rows on SQLite -> CSV and JSON, time and peak memory.

    python benchmarks/export.py [--rows 100000] [--keep DIR]

Builds a SQLite database whose ``__MigrationHistory`` holds ``--rows`` synthetic rows with a
real hash chain (inserted with executemany), then exports CSV and JSON (and verifies the JSON
report). Each export runs twice: once for wall time, once under tracemalloc for the peak of
Python allocations. The same is done at a tenth of the rows: memory that does not grow with the
row count shows as a ratio near 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexo_studio.core.reports import ReportFilters, export_report, verify_report  # noqa: E402
from nexo_studio.core.state.chain import GENESIS, row_hash  # noqa: E402
from nexo_studio.core.target import Target  # noqa: E402

ACTIONS = ["apply", "verify", "apply", "verify", "rollback", "backup"]


def populate(target: Target, rows: int) -> None:
    """Insert ``rows`` chained history rows: deployments of 10 events each."""
    store = target.store
    start = datetime(2024, 1, 1)
    with target.connect() as conn:
        store.ensure(conn)
        prev = GENESIS
        batch: list[dict] = []
        deciding: dict[str, dict] = {}  # migration id -> its last apply or rollback event
        dep = str(uuid.uuid4())
        with conn.begin():
            for seq in range(1, rows + 1):
                k = (seq - 1) % 10
                if k == 0:
                    dep = str(uuid.uuid4())
                action = "deploy_start" if k == 0 else "deploy_end" if k == 9 else ACTIONS[k % len(ACTIONS)]
                failed = action == "apply" and seq % 997 == 0
                mid = None if action.startswith("deploy") or action == "backup" else \
                    f"2024.01.01.{seq % 500:06d}_migration_{seq % 500}"
                started = start + timedelta(seconds=seq * 37, microseconds=seq % 1_000_000)
                row = {
                    "seq": seq, "deployment_id": dep, "migration_id": mid, "action": action,
                    "status": "failed" if failed else "ok", "started_at": started,
                    "finished_at": started + timedelta(milliseconds=12 + seq % 50), "duration_ms": 12 + seq % 50,
                    "operator": "dba", "host": "db-admin-01", "tool_version": "0.1.0",
                    "details": json.dumps({"statements": seq % 7, "checksum": f"{seq:064x}"},
                                          sort_keys=True, separators=(",", ":")),
                    "error": "relation \"x\" does not exist" if failed else None, "prev_hash": prev,
                }
                row["hash"] = prev = row_hash(row)
                batch.append(row)
                if len(batch) == 10_000:
                    conn.execute(store.t.history.insert(), batch)
                    batch = []
                if mid and action in ("apply", "rollback"):
                    deciding[mid] = row
            if batch:
                conn.execute(store.t.history.insert(), batch)
            # what the tool would have left: the tail, and a __Migrations row for each migration
            # whose last apply/rollback applied it, so the reports' tamper check finds nothing
            store.set_tail(conn, rows, prev)
            for mid, ev in deciding.items():
                if ev["action"] == "apply" and ev["status"] == "ok":
                    store.put_migration(conn, exists=False, id=mid, version=mid[:17], name=mid[18:], description=None,
                                        checksum=json.loads(ev["details"])["checksum"], status="applied",
                                        depends=[], applied_at=ev["started_at"], applied_by="dba",
                                        execution_ms=ev["duration_ms"], metadata={})


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(rows: int, work: Path) -> dict[str, tuple[float, int, int]]:
    db = work / f"history_{rows}.db"
    target = Target(f"sqlite:///{db}")
    t0 = time.perf_counter()
    populate(target, rows)
    print(f"  inserted {rows:,} chained rows in {time.perf_counter() - t0:.1f} s", flush=True)
    results = {}
    jobs = {
        "csv": lambda: export_report(target, None, "csv", work / f"r{rows}.csv"),
        "json": lambda: export_report(target, None, "json", work / f"r{rows}.json"),
        "json --action apply": lambda: export_report(target, None, "json", work / f"f{rows}.json",
                                                     ReportFilters.parse(action="apply")),
        "verify_report": lambda: verify_report(work / f"r{rows}.json"),
    }
    for name, job in jobs.items():
        seconds = timed(job)
        mem = peak(job)
        size = 0
        if name != "verify_report":
            suffix = "csv" if name == "csv" else "json"
            size = (work / f"{'f' if 'action' in name else 'r'}{rows}.{suffix}").stat().st_size
        results[name] = (seconds, mem, size)
    assert verify_report(work / f"r{rows}.json").ok
    target.dispose()
    return results


def machine_reference() -> str:
    """Figures to judge the numbers by: a fixed pure-Python loop, and the load on the machine."""
    t0 = time.perf_counter()
    for _ in range(2000):
        sum(range(1000))
    loop_us = (time.perf_counter() - t0) / 2000 * 1e6
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"machine: sum(range(1000)) takes {loop_us:.1f} us (a 2023 laptop: ~8 us); "
            f"load average {load:.1f} on {os.cpu_count()} CPU(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the database and reports in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="nexo-export-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(machine_reference())
        small_rows = max(1, args.rows // 10)
        print(f"{small_rows:,} rows:")
        small = measure(small_rows, work)
        print(f"{args.rows:,} rows:")
        big = measure(args.rows, work)
        print()
        print(f"{'export':<22}{'rows':>9}{'time':>9}{'rows/s':>10}{'file':>10}{'peak py mem':>13}"
              f"{'mem vs ' + format(small_rows, ','):>16}")
        for name, (seconds, mem, size) in big.items():
            ratio = mem / small[name][1] if small[name][1] else float("nan")
            print(f"{name:<22}{args.rows:>9,}{seconds:>8.2f}s{args.rows / seconds:>10,.0f}"
                  f"{size / 1e6:>8.1f}MB{mem / 1e6:>11.2f}MB{ratio:>15.2f}x")
        print(machine_reference())
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
