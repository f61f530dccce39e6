"""The window and `nexo status` say the same thing about the same database, in every case the
reliability suite creates: a migration in progress (another process holds the lock with its
row `running`), the same row left dirty by a process that died, and an edited history row.
(A state schema set in nexo.toml: tests/qt/test_session_config.py.)

Both fronts call `core.operations.status_on`; before the application layer the window read the
state tables itself and showed an in-progress migration as dirty."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys

import pytest

from tests.helpers.projects import table_project
from tests.qt.qt_helpers import statuses
from tests.reliability.harness import execute, q

SPAWN = multiprocessing.get_context("spawn")  # no fork of a process that runs Qt


def nexo(*args: str) -> dict:
    r = subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", *args, "--json"], capture_output=True, text=True,
                       timeout=120)
    return json.loads(r.stdout)


def cli_view(base: list[str]) -> tuple[dict, set]:
    doc = nexo(*base, "status")
    return {m["id"]: m["status"] for m in doc["migrations"]}, {f["code"] for f in doc["findings"]}


def window_view(w) -> tuple[dict, set]:
    return statuses(w), {f.code for f in w.snapshot.findings}


def refresh(qtbot, w) -> None:
    with qtbot.waitSignal(w.refreshed, timeout=30000):
        w.refresh()
    qtbot.waitUntil(lambda: not w.worker.busy, timeout=30000)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_window_and_cli_agree_in_progress_dirty_and_tampered(qtbot, make_window, make_db, tmp_path, dialect):
    from tests.reliability.test_in_progress import _hold

    url = make_db(dialect)
    mdir = tmp_path / "m"
    ids = table_project(mdir, 3)
    base = ["--db", url, "--migrations", str(mdir)]
    assert nexo(*base, "deploy", "--no-backup")["ok"]
    w = make_window(mdir, url)
    w.ask_before_abort = False

    # in progress: another process holds the lock with the row `running`
    ready, stop = SPAWN.Event(), SPAWN.Event()
    child = SPAWN.Process(target=_hold, args=(url, ids[2], ready, stop, False))
    child.start()
    try:
        assert ready.wait(60)
        refresh(qtbot, w)
        gui, cli = window_view(w), cli_view(base)
        assert gui == cli
        assert cli[0][ids[2]] == "pending" and "in_progress" in cli[1] and "dirty" not in cli[1]
    finally:
        stop.set()
        child.join(60)

    # the holder is gone, the row stays `running`: dirty, for both
    refresh(qtbot, w)
    gui, cli = window_view(w), cli_view(base)
    assert gui == cli
    assert cli[0][ids[2]] == "dirty"
    execute(url, f"UPDATE {q(url, '__Migrations')} SET status = 'applied' WHERE id = :i", params={"i": ids[2]})

    # an edited history row: tampered, for both
    h = q(url, "__MigrationHistory")
    execute(url, f"UPDATE {h} SET operator = 'mallory' WHERE seq = 2")
    refresh(qtbot, w)
    gui, cli = window_view(w), cli_view(base)
    assert gui == cli
    assert "tampered" in cli[1]
    assert w.history_tampered()
