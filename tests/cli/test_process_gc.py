"""`nexo` as a process pauses the cycle collector for a read-only command and, at its end, freezes
what the command built instead of collecting it all once more when the collector resumes; an
embedding caller's collector is left as it was. Real subprocesses, a real SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent("""
    import gc, io, json, contextlib, sys
    from nexo_studio.cli.main import main
    gc.set_threshold(10**9)  # no collection on its own: what the young generation holds is counted
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(sys.argv[2:], process=sys.argv[1] == "process")
    print(json.dumps({"code": code, "frozen": gc.get_freeze_count(), "enabled": gc.isenabled(),
                      "young": gc.get_count()[0], "status": out.getvalue()}))
""")


def _probe(tmp_path: Path, mode: str) -> dict:
    mig = tmp_path / "migrations"
    mig.mkdir(exist_ok=True)
    for i in range(1, 4):
        (mig / f"2025.01.26.09300{i}_t{i}.sql").write_text(f"-- +up\nCREATE TABLE t{i} (a int);\n-- +down\nDROP TABLE t{i};\n")
    argv = ["--db", f"sqlite:///{tmp_path / 'db.sqlite'}", "--migrations", str(mig), "status"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEXO_NO_KEYRING": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE, mode, *argv], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_as_a_process_what_status_built_is_frozen_not_collected(tmp_path):
    got = _probe(tmp_path, "process")
    assert got["code"] == 0 and "3 pending" in got["status"]
    assert got["enabled"]  # the collector runs again for what comes after
    assert got["frozen"] > 1000  # the command's objects (and the modules') left out of later passes
    embedded = _probe(tmp_path, "embedded")
    # what the next young collection would scan: only what was made after the command (closing
    # the engine), not everything it made
    assert got["young"] * 5 < embedded["young"], (got["young"], embedded["young"])


def test_embedded_the_callers_collector_is_left_as_it_was(tmp_path):
    got = _probe(tmp_path, "embedded")
    assert got["code"] == 0 and "3 pending" in got["status"]
    assert got["enabled"] and got["frozen"] == 0
