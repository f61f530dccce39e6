"""The lock is the database's, whatever URL reached it (adversarial run, 2026-12-03).

The PostgreSQL advisory-lock key and the MySQL/MariaDB lock name were derived from the
database name written in the URL. A URL without one (``postgresql+psycopg://app@host``, which
connects to ``PGDATABASE``'s database, a service's or the user's) got another lock than a URL
naming the same database: two deploys ran at once on one database, both wrote
``deploy_start``, and one died on a duplicate history ``seq`` -- by luck of timing, not by
the lock. Now the name is the server's (``current_database()``) whenever the URL does not
name the database itself.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.helpers.projects import write_sql
from tests.reliability.harness import PY, REPO, cli_env, execute, run_entry_point


def _advisory_locks(url: str) -> int:
    return execute(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")[0][0]


def test_a_url_without_the_database_name_takes_the_same_lock(make_db, tmp_path):
    url = make_db("postgresql")
    name = make_url(url).database
    unnamed = make_url(url)._replace(database=None).render_as_string(hide_password=False)  # set() keeps it
    mdir = tmp_path / "migrations"
    write_sql(mdir, "2025.06.01.000001_slow", "CREATE TABLE counted (n INTEGER);\nSELECT pg_sleep(4);\n"
                                              "INSERT INTO counted VALUES (1);", "DROP TABLE counted;")
    first = subprocess.Popen([PY, "-m", "nexo_studio.cli.main", "--db", url, "--migrations", str(mdir),
                              "deploy", "--no-backup"], env=cli_env(), cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while _advisory_locks(url) == 0:
            assert first.poll() is None and time.monotonic() < deadline, "the first deploy never took the lock"
            time.sleep(0.05)
        second = run_entry_point("--db", unnamed, "--migrations", str(mdir), "deploy", "--no-backup",
                                 "--lock-timeout", "1", env={"PGDATABASE": name})
    finally:
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err.decode()
    assert second.returncode == 1 and "holds the lock" in second.stderr, (second.returncode, second.stderr)
    starts = execute(url, "SELECT count(*) FROM \"__MigrationHistory\" WHERE action = 'deploy_start'")
    assert starts == [(1,)], starts
