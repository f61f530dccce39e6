"""The Fleet view's run options and production safety, by real clicks (issue 16): the options
of `nexo fleet deploy|rollback` in the confirmation bar, filled from nexo.toml through the app
layer, reach the runner (canaries first, seen in each target's own history; no backup rows when
Back up is off); without Continue on error the first failure stops new targets ("not started" in
the matrix and the live count); targets tagged production are asked for by typing, refused →
nothing runs, typed → it runs (SQLite files and a PostgreSQL database)."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from tests.helpers.projects import table_project
from tests.qt.test_fleet_view import _off_gui, _open_fleet, _tool, run_cli, status_json


def history(url: str, mdir: Path) -> list[dict]:
    code, out, err = run_cli("--db", url, "--migrations", str(mdir), "history", "--limit", "0", "--json")
    assert code == 0, out + err
    return json.loads(out)["events"]


def write_fleet(root: Path, urls: dict[str, str], tags: dict[str, list[str]], extra: str = "") -> None:
    lines = ['migrations_dir = "migrations"', "[fleet]\nparallel = 4", extra]
    for name, url in urls.items():
        lines.append(f'[[targets]]\nname = "{name}"\nurl = "{url}"\ntags = {json.dumps(tags.get(name, []))}')
    (root / "nexo.toml").write_text("\n\n".join(lines) + "\n", encoding="utf-8")


def _ask(qtbot, fw, action: str, names: list[str]) -> None:
    fw.select_names(names)
    qtbot.mouseClick(_tool(fw, action), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(fw.confirm.isVisible, timeout=5000)


def _confirm_and_wait(qtbot, fw):
    with qtbot.waitSignal(fw.run_finished, timeout=180000) as blocker:
        qtbot.mouseClick(fw.confirm.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not fw.worker.busy, timeout=60000)
    return blocker.args[0]


def _production_question(qtbot, fw, names: list[str]):
    """Start a deploy of ``names`` as a coroutine, confirm the bar; (the task, the typed-name dialog)."""
    from nexo_studio.qt.aio import spawn

    fw.select_names(names)
    task = spawn(fw.run_selected("deploy"))
    qtbot.waitUntil(fw.confirm.isVisible, timeout=5000)
    qtbot.mouseClick(fw.confirm.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: fw.production_dialog is not None and fw.production_dialog.isVisible(), timeout=5000)
    return task, fw.production_dialog


def _fleet_rows(url: str, mdir: Path, fleet_id: str) -> dict[str, dict]:
    return {e["action"]: e for e in _off_gui(history, url, mdir)
            if e["action"] in ("fleet_start", "fleet_end") and e["details"]["fleet_id"] == fleet_id}


def _four_sqlite_targets(root: Path, migrations: int) -> tuple[Path, list[str], dict[str, str]]:
    """(migrations folder, names, {name: url}): a project of ``migrations`` tables and four SQLite
    targets t0..t3 under ``root``."""
    mdir = root / "migrations"
    table_project(mdir, migrations)
    names = ["t0", "t1", "t2", "t3"]
    return mdir, names, {n: f"sqlite:///{root / n}.db" for n in names}


def test_options_from_nexo_toml_reach_the_runner_canaries_first(qtbot, make_window, tmp_path):
    root = tmp_path / "opts"
    mdir, names, urls = _four_sqlite_targets(root, 3)
    write_fleet(root, urls, {"t3": ["canary"]}, "[deploy]\nlock_timeout = 7")
    w, fw = _open_fleet(qtbot, make_window, mdir, urls["t0"])
    _ask(qtbot, fw, "fleet_deploy", names)
    o = fw.confirm.options
    # the defaults are nexo.toml's ([fleet] parallel, [deploy] lock_timeout) and the CLI's
    assert (o.canary.text(), o.continue_box.isChecked(), o.backup_box.isChecked(), o.verify_box.isChecked(),
            o.lock_timeout.value(), o.parallel.value()) == ("tagged", False, True, True, 7.0, 4)
    qtbot.mouseClick(o.backup_box, Qt.MouseButton.LeftButton)  # --no-backup
    o.parallel.setValue(2)
    run = _confirm_and_wait(qtbot, fw)
    assert {x.name: (x.status, x.canary) for x in run.outcomes} == {
        "t0": ("deployed", False), "t1": ("deployed", False), "t2": ("deployed", False), "t3": ("deployed", True)}
    opts = fw.last_options
    assert (opts.backup, opts.verify, opts.lock_timeout, opts.parallel, opts.canary, opts.continue_on_error) == \
        (False, True, 7.0, 2, None, False)
    rows = {n: _fleet_rows(urls[n], mdir, run.fleet_id) for n in names}
    # the canary (tagged, last in the file) ran whole before any other target started
    assert all(rows["t3"]["fleet_end"]["finished_at"] <= rows[n]["fleet_start"]["started_at"] for n in names[:3])
    assert not any(e["action"] == "backup" for n in names for e in _off_gui(history, urls[n], mdir))
    # roll back with the first two selected targets as canaries (--canary 2)
    _ask(qtbot, fw, "fleet_rollback", names)
    assert not o.backup_box.isVisible() and o.canary.text() == "tagged"
    fw.confirm.to_box.setCurrentIndex(fw.confirm.to_box.findData("0"))
    o.canary.setValue(2)
    run = _confirm_and_wait(qtbot, fw)
    assert [x.name for x in run.outcomes if x.canary] == ["t0", "t1"]
    rows = {n: _fleet_rows(urls[n], mdir, run.fleet_id) for n in names}
    assert rows["t0"]["fleet_end"]["finished_at"] <= rows["t1"]["fleet_start"]["started_at"]
    assert all(rows["t1"]["fleet_end"]["finished_at"] <= rows[n]["fleet_start"]["started_at"] for n in ("t2", "t3"))
    assert all(status_json(urls[n], mdir)["counts"] == {"pending": 3} for n in names)
    fw.close()


def test_first_failure_stops_new_targets_unless_continue_on_error(qtbot, make_window, tmp_path):
    root = tmp_path / "stop"
    mdir, names, urls = _four_sqlite_targets(root, 2)
    with sa.create_engine(urls["t1"]).begin() as c:  # t1 already has t1's table: its deploy fails
        c.exec_driver_sql("CREATE TABLE t1 (x INTEGER)")
    write_fleet(root, urls, {})
    w, fw = _open_fleet(qtbot, make_window, mdir, urls["t0"])
    _ask(qtbot, fw, "fleet_deploy", names)
    fw.confirm.options.parallel.setValue(1)
    qtbot.mouseClick(fw.confirm.options.backup_box, Qt.MouseButton.LeftButton)
    run = _confirm_and_wait(qtbot, fw)
    assert {x.name: x.status for x in run.outcomes} == {"t0": "deployed", "t1": "failed", "t2": "not_started",
                                                        "t3": "not_started"}
    assert "done 1 · failed 1" in fw.count_label.text() and "not started 2" in fw.count_label.text()
    for n in ("t2", "t3"):  # the matrix says so, and they were never touched
        assert fw.model.index(fw.model.row_of(n), 1).data().startswith("not started · pending")
        assert not (root / f"{n}.db").exists()
    # the same with Continue on error: the failure no longer stops the others
    _ask(qtbot, fw, "fleet_deploy", names)
    assert not fw.confirm.options.continue_box.isChecked()  # each run starts from the defaults
    qtbot.mouseClick(fw.confirm.options.continue_box, Qt.MouseButton.LeftButton)
    fw.confirm.options.parallel.setValue(1)
    run = _confirm_and_wait(qtbot, fw)
    assert {x.name: x.status for x in run.outcomes} == {"t0": "up_to_date", "t1": "failed", "t2": "deployed",
                                                        "t3": "deployed"}
    assert "not started" not in fw.count_label.text()
    fw.close()


def test_production_targets_are_confirmed_by_typing(qtbot, make_window, make_db, tmp_path):
    root = tmp_path / "prod"
    mdir = root / "migrations"
    table_project(mdir, 2)
    urls = {"eu-a": f"sqlite:///{root / 'a.db'}", "prod-pg": make_db("postgresql")}
    write_fleet(root, urls, {"prod-pg": ["eu", "production"], "eu-a": ["eu"]})
    w, fw = _open_fleet(qtbot, make_window, mdir, urls["eu-a"])
    task, dialog = _production_question(qtbot, fw, list(urls))
    text = dialog.findChild(QLabel, "production_text").text().replace("\u2011", "-")
    assert "1 target(s) tagged" in text and "prod-pg" in text and "eu-a" not in text
    qtbot.keyClicks(dialog.name_edit, "prod")
    assert not dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.result() is None and fw.last_run is None
    for name, url in urls.items():  # refused: nothing ran, nothing written
        assert status_json(url, mdir)["counts"] == {"pending": 2}, name
    assert not (root / "a.db").exists()
    # a dry run changes nothing: not asked
    with qtbot.waitSignal(fw.run_finished, timeout=120000) as blocker:
        qtbot.mouseClick(_tool(fw, "fleet_dry_run"), Qt.MouseButton.LeftButton)
    assert {x.status for x in blocker.args[0].outcomes} == {"dry_run"} and fw.production_dialog is None
    qtbot.waitUntil(lambda: not fw.worker.busy, timeout=60000)
    # typed: both run
    task, dialog = _production_question(qtbot, fw, list(urls))
    qtbot.keyClicks(dialog.name_edit, "prod-pg")
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=180000)
    qtbot.waitUntil(lambda: not fw.worker.busy, timeout=60000)
    run = task.result()
    assert {x.name: x.status for x in run.outcomes} == {"eu-a": "deployed", "prod-pg": "deployed"}
    assert fw.last_options.production_confirmed == ("prod-pg",)
    for url in urls.values():
        assert status_json(url, mdir)["counts"] == {"applied": 2}
    fw.close()
