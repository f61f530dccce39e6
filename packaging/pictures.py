"""The issue-13 pictures, made by the application itself, offscreen, in a light and a dark theme.

    QT_QPA_PLATFORM=offscreen python packaging/pictures.py OUTDIR [--theme light|dark|both] [--only NAME]
        [--readme docs/images]

Writes ``OUTDIR/<name>-<theme>.png`` for:

* ``graph-problems``  a project with a missing dependency (ghost node, red edge) and a cycle
  (red loop), after Validate, with the banner naming both;
* ``graph-2000``      a 2,000-migration project, fitted (labels by level of detail, minimap);
* ``unreachable``     the sample project on a PostgreSQL port nothing listens on;
* ``deploy-blocker``  the deploy dialog of the problem project: Deploy disabled with the reason;
* ``new-migration``   File → New migration… with a name typed and a dependency picked.

Everything happens in a temporary folder (projects, SQLite databases); nothing else is touched.
``--readme DIR`` also writes README's three (:data:`README`) there, scaled down and reduced to
their 256 most frequent colours (well under 150 KB each).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NAMES = ("graph-problems", "graph-2000", "unreachable", "deploy-blocker", "new-migration")
SIZE = (1280, 800)

PROBLEM_PROJECT = [
    # (id, depends, up)
    ("2025.01.06.090000_customers", "", "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(80));"),
    ("2025.01.08.101500_products", "", "CREATE TABLE products (id INTEGER PRIMARY KEY, sku VARCHAR(20));"),
    ("2025.01.13.141000_orders", "2025.01.06.090000_customers, 2025.01.08.101500_products",
     "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, product_id INTEGER);"),
    ("2025.01.20.093000_orders_index", "2025.01.13.141000_orders, 2025.01.15.120000_orders_archive",
     "CREATE INDEX orders_customer ON orders (customer_id);"),
    ("2025.01.27.110000_invoices", "2025.01.13.141000_orders, 2025.01.29.160000_payments",
     "CREATE TABLE invoices (id INTEGER PRIMARY KEY, order_id INTEGER);"),
    ("2025.01.29.160000_payments", "2025.01.27.110000_invoices",
     "CREATE TABLE payments (id INTEGER PRIMARY KEY, invoice_id INTEGER);"),
    ("2025.02.03.083000_shipments", "2025.01.13.141000_orders",
     "CREATE TABLE shipments (id INTEGER PRIMARY KEY, order_id INTEGER);"),
]


def write_problem_project(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for mid, depends, up in PROBLEM_PROJECT:
        table = up.split()[2] if up.startswith("CREATE TABLE") else None
        down = f"DROP TABLE {table};" if table else f"DROP INDEX {up.split()[2]};"
        head = f"-- description: {mid.split('_', 1)[1].replace('_', ' ')}\n"
        head += f"-- depends: {depends}\n" if depends else ""
        (directory / f"{mid}.sql").write_text(f"{head}-- +up\n{up}\n-- +down\n{down}\n", encoding="utf-8")
    return directory


async def until(predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        await asyncio.sleep(0.02)


async def settle(seconds: float = 0.3) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        await asyncio.sleep(0.03)


async def open_window(migrations: Path, url: str, size: tuple[int, int] = SIZE):  # noqa: ANN201 - MainWindow
    """A window on ``migrations`` and ``url`` (SQLite paths relative to the temporary folder, so
    no machine path shows in the picture), its first load done."""
    from nexo_studio.qt.aio import TASKS
    from nexo_studio.qt.main_window import MainWindow

    window = MainWindow(migrations, url)
    window.quiet = True
    window.resize(*size)
    window.show()
    await until(lambda: window.loaded is not None and not window.worker.busy and not TASKS
                and not window.graph.building)
    await settle()
    return window


def save(widget, path: Path) -> None:  # noqa: ANN001
    if not widget.grab().save(str(path), "PNG"):
        raise SystemExit(f"cannot write {path}")
    print(path)


async def graph_problems(tmp: Path, out: Path) -> None:
    from nexo_studio.qt.main_window import TAB_GRAPH

    w = await open_window(write_problem_project(Path("problems")), "sqlite:///problems.db", (1440, 900))
    await w.validate()
    w.tabs.setCurrentIndex(TAB_GRAPH)
    w.fit_table_rows(max_rows=4)
    await settle()
    w.graph.fit()
    await settle()
    save(w, out)
    w.close()


def write_streams(directory: Path, streams: int = 50, length: int = 40) -> Path:
    """``streams`` chains of ``length`` migrations (a team's or a module's history), every third
    one also depending on a neighbouring stream's: a 2,000-migration project shaped like a real one."""
    from datetime import datetime, timedelta

    directory.mkdir(parents=True, exist_ok=True)
    base = datetime(2023, 1, 2, 9)
    ids: dict[tuple[int, int], str] = {}
    for step in range(length):
        for k in range(streams):
            n = step * streams + k
            mid = f"{base + timedelta(hours=n):%Y.%m.%d.%H%M%S}_{MODULES[k % len(MODULES)]}_{k // len(MODULES) + 1}_{step + 1}"
            ids[(k, step)] = mid
            deps = [ids[(k, step - 1)]] if step else []
            if step and n % 3 == 0:
                deps.append(ids[((k + 1) % streams, step - 1)])
            head = f"-- description: {mid.split('_', 1)[1].replace('_', ' ')}\n"
            head += f"-- depends: {', '.join(deps)}\n" if deps else ""
            table = f"t_{n}"
            (directory / f"{mid}.sql").write_text(
                f"{head}-- +up\nCREATE TABLE {table} (id INTEGER PRIMARY KEY);\n-- +down\nDROP TABLE {table};\n",
                encoding="utf-8")
    return directory


MODULES = ("billing", "catalog", "crm", "ledger", "orders", "search", "shipping", "audit", "auth", "reports")


async def graph_2000(tmp: Path, out: Path) -> None:
    from nexo_studio.qt.main_window import TAB_GRAPH

    project = Path("big")
    if not project.exists():
        write_streams(project)
    w = await open_window(project, "sqlite:///big.db", (1600, 1000))
    w.tabs.setCurrentIndex(TAB_GRAPH)
    w.fit_table_rows(max_rows=4)
    await settle()
    w.graph.fit()
    await settle()
    save(w, out)
    w.close()


def sample_copy() -> Path:
    """The bundled sample project, copied to a relative folder (no machine path in the title)."""
    import shutil

    from nexo_studio.qt.resources import sample_migrations_dir

    project = Path("sample")
    if not project.exists():
        shutil.copytree(sample_migrations_dir(), project)
    return project


async def unreachable(tmp: Path, out: Path) -> None:
    w = await open_window(sample_copy(), "postgresql+psycopg://nexo@127.0.0.1:9/inventory")
    await settle()
    save(w, out)
    w.close()


async def deploy_blocker(tmp: Path, out: Path) -> None:
    w = await open_window(write_problem_project(Path("blocked")), "sqlite:///blocked.db")
    task = w.spawn(w.deploy())
    await until(lambda: w.active_dialog is not None and w.active_dialog.isVisible()
                and not getattr(w.active_dialog, "checking", False))
    await settle()
    save(w.active_dialog, out)
    w.active_dialog.reject()
    await task
    w.close()


async def new_migration(tmp: Path, out: Path) -> None:
    w = await open_window(sample_copy(), "sqlite:///sample.db")
    task = w.spawn(w.new_migration())
    await until(lambda: w.active_dialog is not None and w.active_dialog.isVisible())
    dialog = w.active_dialog
    dialog.name_edit.setText("add_invoice_due_date")
    await settle()
    save(dialog, out)
    dialog.reject()
    await task
    w.close()


#: README's pictures: (picture, width in the README copy)
README = {"graph-problems-light": 1200, "graph-2000-dark": 1200, "deploy-blocker-light": 820}


def shrink(src: Path, dst: Path, width: int) -> int:
    """``src`` scaled to ``width`` and stored with a palette of its 256 most frequent colours
    (screenshots are mostly flat colour); returns the size in bytes."""
    import collections

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QImageWriter

    image = QImage(str(src)).convertToFormat(QImage.Format.Format_RGB32)
    if image.width() > width:
        image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
    counts = collections.Counter(memoryview(bytes(image.constBits())).cast("I"))
    table = [colour | 0xFF000000 for colour, _ in counts.most_common(256)]
    indexed = image.convertToFormat(QImage.Format.Format_Indexed8, table, Qt.ImageConversionFlag.ThresholdDither)
    writer = QImageWriter(str(dst), b"png")
    writer.setQuality(0)  # the strongest compression
    if not writer.write(indexed):
        raise SystemExit(f"cannot write {dst}: {writer.errorString()}")
    return dst.stat().st_size


SCENES = {"graph-problems": graph_problems, "graph-2000": graph_2000, "unreachable": unreachable,
          "deploy-blocker": deploy_blocker, "new-migration": new_migration}


def run_theme(outdir: Path, theme: str, only: list[str]) -> int:
    import qasync

    from nexo_studio.qt.app import create_app

    with tempfile.TemporaryDirectory(prefix="nexo-pictures-") as tmp:
        os.environ["NEXO_DATA_DIR"] = str(Path(tmp) / "data")
        os.chdir(tmp)  # relative SQLite URLs: the pictures show no machine path
        app = create_app(["nexo-studio"], theme)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)

        async def all_scenes() -> None:
            for name in only or NAMES:
                await SCENES[name](Path(tmp), outdir / f"{name}-{theme}.png")

        with loop:
            loop.run_until_complete(all_scenes())
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir", type=Path)
    p.add_argument("--theme", choices=("light", "dark", "both"), default="both")
    p.add_argument("--only", choices=NAMES, action="append", default=[])
    p.add_argument("--readme", type=Path, metavar="DIR", help="also write README's three, small, to DIR")
    args = p.parse_args(argv)
    args.outdir = args.outdir.resolve()  # the scenes run in a temporary folder
    args.outdir.mkdir(parents=True, exist_ok=True)
    if args.theme != "both":
        return run_theme(args.outdir, args.theme, args.only)
    for theme in ("light", "dark"):  # one process each: the palette is set once per application
        only = [a for name in args.only for a in ("--only", name)]
        code = subprocess.call([sys.executable, __file__, str(args.outdir), "--theme", theme, *only])
        if code:
            return code
    if args.readme:
        from PySide6.QtGui import QGuiApplication

        app = QGuiApplication.instance() or QGuiApplication(["pictures"])  # noqa: F841 - QImage needs one
        args.readme.mkdir(parents=True, exist_ok=True)
        for name, width in README.items():
            if not (args.outdir / f"{name}.png").exists():
                continue  # not among --only
            dst = args.readme / f"{name.rsplit('-', 1)[0]}.png"
            print(f"{dst}: {shrink(args.outdir / f'{name}.png', dst, width):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
