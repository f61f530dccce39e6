"""Backups hold every row of the database: only their owner may read them (adversarial run,
2026-12-03). With the usual umask 022 the dumps, the MariaDB restore's safety dump and the
default backup folder came out world-readable (0644 / 0755) on every dialect."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.helpers.projects import write_sql
from tests.reliability.harness import run_entry_point


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backups_and_their_folder_are_private(db_url, tmp_path, umask_022):
    mdir, data = tmp_path / "migrations", tmp_path / "data"
    write_sql(mdir, "2025.06.01.000001_first", "CREATE TABLE secret (v VARCHAR(20));\n"
                                              "INSERT INTO secret VALUES ('card 4111');", "DROP TABLE secret;")
    env = {"NEXO_DATA_DIR": str(data)}
    deploy = run_entry_point("--db", db_url, "--migrations", str(mdir), "deploy", env=env)
    assert deploy.returncode == 0, deploy.stderr
    out = tmp_path / "explicit" / "db.backup"
    backup = run_entry_point("--db", db_url, "--migrations", str(mdir), "backup", "--out", str(out), env=env)
    assert backup.returncode == 0, backup.stderr
    folder = data / "backups"
    written = [p for p in folder.rglob("*") if p.is_file()] + [out, out.with_name(out.name + ".json")]
    assert len(written) >= 4, written  # deploy's backup and sidecar, the explicit ones
    modes = {str(p.relative_to(tmp_path)): oct(_mode(p)) for p in written if _mode(p) & 0o077}
    assert modes == {}, f"readable by others: {modes}"
    folders = {str(p.relative_to(tmp_path)): oct(_mode(p)) for p in folder.iterdir() if _mode(p) & 0o077}
    assert folders == {}, f"backup folders others can list: {folders}"
