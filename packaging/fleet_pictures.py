"""The Fleet view's pictures (issue 16), made by the application itself, offscreen, light and dark.

    QT_QPA_PLATFORM=offscreen python packaging/fleet_pictures.py OUTDIR [--theme light|dark|both]
        [--readme docs/images]

A fleet of 100 targets in a temporary folder: 97 SQLite files at different versions of a
24-migration project (up to date, pending, one migration failed, a tampered history) and three
PostgreSQL targets on a port nothing listens on; tags eu / us / apac / staging, two canaries and
some targets tagged production. Writes ``OUTDIR/<scene>-<theme>.png`` for each state of the window:

* ``fleet``             the matrix, two rows selected (README's picture);
* ``fleet-deploy``      Deploy… on the eu group: the confirmation bar with the run's options;
* ``fleet-rollback``    Roll back… on three targets: the bar with the migration to go back to;
* ``fleet-production``  the typed second confirmation naming the production targets;
* ``fleet-stopped``     a deploy without continue-on-error stopped by a failure: the rest not started.

``--readme DIR`` also writes ``DIR/fleet.png`` from the light ``fleet`` picture.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pictures import SIZE, save, settle, shrink, until  # noqa: E402 - after the path is set

MIGRATIONS = 24
REGIONS = ("eu", "us", "apac", "staging")
UNREACHABLE = "postgresql+psycopg://app@127.0.0.1:1/tenant"
#: a pending target whose next deploy fails (its step 12 table is already there)
TRAP = "us-tenant-013"


def write_project(mdir: Path) -> list[str]:
    mdir.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(1, MIGRATIONS + 1):
        mid = f"2025.01.{i:02d}.090000_step_{i:02d}"
        (mdir / f"{mid}.sql").write_text(f"-- description: step {i}\n-- +up\nCREATE TABLE t{i} (id INTEGER PRIMARY KEY);\n"
                                         f"-- +down\nDROP TABLE t{i};\n", encoding="utf-8")
        ids.append(mid)
    return ids


def write_fleet(root: Path) -> dict[str, int]:
    """nexo.toml with 100 targets; returns {name: version to deploy} (-1 unreachable, -2 failed,
    -3 tampered)."""
    plan: dict[str, int] = {}
    lines = ['migrations_dir = "migrations"', "[fleet]\nparallel = 8"]
    for i in range(100):
        region = REGIONS[i % 4]
        name = f"{region}-tenant-{i:03d}"
        tags = [region] + (["canary"] if i in (0, 1) else []) + (["production"] if i % 12 == 4 else [])
        kind = i % 9
        plan[name] = {0: MIGRATIONS, 1: MIGRATIONS, 2: MIGRATIONS, 3: 16, 4: 8, 5: MIGRATIONS, 6: 16, 7: -2,
                      8: -3}[kind]
        url = f"sqlite:///dbs/{name}.db"
        if i in (20, 57, 95):
            plan[name], url = -1, UNREACHABLE
        lines.append(f'[[targets]]\nname = "{name}"\nurl = "{url}"\ntags = {tags!r}'.replace("'", '"'))
    (root / "nexo.toml").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    (root / "dbs").mkdir()
    return plan


def deploy(root: Path, ids: list[str], plan: dict[str, int]) -> None:
    import sqlalchemy as sa

    from nexo_studio.cli.main import main

    def quiet(args: list[str]) -> None:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            main(args)
        if '"ValidationFailed"' in out.getvalue():
            raise SystemExit(out.getvalue())

    def fleet(names: list[str], to: str) -> None:
        args = ["--config", str(root / "nexo.toml"), "fleet", "deploy", "--no-backup", "--allow-production",
                "--continue-on-error", "--to", to.split("_")[0], "--json"]  # a version: all up to it
        for n in names:
            args += ["--target", n]
        quiet(args)

    for version in (MIGRATIONS, 16, 8):
        fleet([n for n, v in plan.items() if v == version and n != TRAP], ids[version - 1])
    failing = [n for n, v in plan.items() if v == -2]
    fleet(failing + [TRAP], ids[10])
    for n in failing + [TRAP]:  # step 12's table is already there: its deploy fails
        with sa.create_engine(f"sqlite:///{root / 'dbs' / n}.db").begin() as c:
            c.exec_driver_sql("CREATE TABLE t12 (x INTEGER)")
    for n in failing + [TRAP]:
        base = ["--db", f"sqlite:///{root / 'dbs' / n}.db", "--migrations", str(root / "migrations")]
        if n == TRAP:  # the extra table accepted: the next deploy runs step 12, which fails
            quiet([*base, "snapshot", "--yes"])
        else:  # left failed (no automatic rollback), as a broken deploy leaves it
            quiet([*base, "deploy", "--no-backup", "--no-auto-rollback", "--allow-drift"])
    tampered = [n for n, v in plan.items() if v == -3]
    fleet(tampered, ids[-2])
    for n in tampered:
        with sa.create_engine(f"sqlite:///{root / 'dbs' / n}.db").begin() as c:
            c.exec_driver_sql("UPDATE __MigrationHistory SET operator = 'someone else' WHERE seq = 3")


async def open_fleet(root: Path):  # noqa: ANN201 - FleetWindow
    from nexo_studio.qt.fleet.window import FleetWindow

    win = FleetWindow(root / "migrations", None)
    win.resize(*SIZE)
    win.show()
    assert await win.load() is not None, win.count_label.text()
    await settle()
    return win


async def scenes(root: Path, outdir: Path, theme: str) -> None:
    from nexo_studio.qt.aio import spawn

    win = await open_fleet(root)
    rows = [r.name for r in win.last.matrix.targets if r.state != "unreachable"]
    win.select_names(rows[1:3])
    await settle()
    save(win, outdir / f"fleet-{theme}.png")

    eu = [r.name for r in win.last.matrix.targets if r.group == "eu"]
    win.select_names(eu)
    task = spawn(win.run_selected("deploy"))
    await until(win.confirm.isVisible)
    await settle()
    save(win, outdir / f"fleet-deploy-{theme}.png")
    win.confirm.confirm_button.click()
    await until(lambda: win.production_dialog is not None and win.production_dialog.isVisible())
    win.production_dialog.name_edit.setText("2 production")
    await settle()
    save(win.production_dialog, outdir / f"fleet-production-{theme}.png")
    win.production_dialog.reject()
    await until(task.done)

    win.select_names(rows[4:7])
    task = spawn(win.run_selected("rollback"))
    await until(win.confirm.isVisible)
    await settle()
    save(win, outdir / f"fleet-rollback-{theme}.png")
    win.confirm.cancel_button.click()
    await until(task.done)

    us = [r.name for r in win.last.matrix.targets if r.group == "us" and "production" not in r.tags]
    win.select_names(us)
    task = spawn(win.run_selected("deploy"))
    await until(win.confirm.isVisible)
    win.confirm.options.parallel.setValue(1)
    win.confirm.options.backup_box.setChecked(False)
    win.confirm.confirm_button.click()
    await until(task.done, 600)
    win.select_names([])
    win.tag_box.setCurrentIndex(win.tag_box.findData("us"))
    await settle()
    save(win, outdir / f"fleet-stopped-{theme}.png")
    win.close()


def run_theme(outdir: Path, theme: str) -> int:
    import qasync

    from nexo_studio.qt.app import create_app

    with tempfile.TemporaryDirectory(prefix="nexo-fleet-pictures-") as tmp:
        root = Path(tmp)
        os.environ["NEXO_DATA_DIR"] = str(root / "data")
        os.chdir(tmp)
        ids = write_project(root / "migrations")
        deploy(root, ids, write_fleet(root))
        app = create_app(["nexo-studio"], theme)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            loop.run_until_complete(scenes(root, outdir, theme))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir", type=Path)
    p.add_argument("--theme", choices=("light", "dark", "both"), default="both")
    p.add_argument("--readme", type=Path, metavar="DIR", help="also write README's fleet.png to DIR")
    args = p.parse_args(argv)
    args.outdir = args.outdir.resolve()
    args.outdir.mkdir(parents=True, exist_ok=True)
    if args.theme != "both":
        return run_theme(args.outdir, args.theme)
    for theme in ("light", "dark"):  # one process each: the palette is set once per application
        code = subprocess.call([sys.executable, __file__, str(args.outdir), "--theme", theme])
        if code:
            return code
    if args.readme:
        from PySide6.QtGui import QGuiApplication

        app = QGuiApplication.instance() or QGuiApplication(["pictures"])  # noqa: F841 - QImage needs one
        args.readme.mkdir(parents=True, exist_ok=True)
        dst = args.readme / "fleet.png"
        print(f"{dst}: {shrink(args.outdir / 'fleet-light.png', dst, SIZE[0]):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
