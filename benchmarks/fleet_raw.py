"""The raw-driver floor of `fleet deploy`: psycopg alone runs the same migrations' SQL.

    FLEET_RAW_URL=postgresql://user@host:port/db python benchmarks/fleet_raw.py --parallel N --migrations M DATABASE...

One connection per database, each migration's ``CREATE TABLE`` in its own transaction, no
bookkeeping; databases on N threads at once. ``benchmarks/fleet.py`` runs it as a whole process
beside `nexo fleet deploy`, so the two are accounted for the same way.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ThreadPoolExecutor

import psycopg
from sqlalchemy.engine import make_url


def deploy_one(url: str, database: str, migrations: int) -> None:
    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password or None,
                         dbname=database) as conn:
        for i in range(1, migrations + 1):
            conn.execute(f"CREATE TABLE bench_{i} (id INTEGER PRIMARY KEY, v VARCHAR(20))")
            conn.commit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--migrations", type=int, default=20)
    ap.add_argument("databases", nargs="+")
    a = ap.parse_args()
    with ThreadPoolExecutor(max_workers=a.parallel) as pool:
        for f in [pool.submit(deploy_one, os.environ["FLEET_RAW_URL"], d, a.migrations) for d in a.databases]:
            f.result()


if __name__ == "__main__":
    main()
