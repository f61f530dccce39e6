"""``nexo-studio``: the desktop application's entry point.

    nexo-studio [--db URL] [--migrations DIR] [--from TOOL] [--screenshot PATH [--view graph|state|history|sql|drift|fleet [--targets FILE]]]

With no arguments it opens the bundled sample project on an embedded SQLite database in the
user's data folder (``<data dir>/sample.db``). Qt runs inside ``qasync.QEventLoop`` so the
window's coroutines (``--screenshot`` awaits the worker's first load) and Qt share one loop.
``--screenshot`` never changes the database: it renders whatever is there. ``--from TOOL`` shows
the database read-only, as that other tool (flyway, liquibase, …) recorded it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from pathlib import Path

SCREENSHOT_SIZE = (1280, 800)


def build_parser() -> argparse.ArgumentParser:
    from ..core.adopt import TOOLS
    p = argparse.ArgumentParser(prog="nexo-studio", description="Nexo Studio: database schema migrations.")
    p.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (default: the sample SQLite database)")
    p.add_argument("--migrations", metavar="DIR", type=Path, help="migrations folder (default: the sample project)")
    p.add_argument("--screenshot", metavar="PATH", type=Path, help="load, save a PNG of the window and exit")
    p.add_argument("--view", choices=["graph", "state", "history", "sql", "drift", "fleet"], default="graph",
                   help="what the screenshot shows (default: graph; fleet: the Fleet window)")
    p.add_argument("--targets", metavar="FILE", type=Path, help="the fleet's targets file for --view fleet "
                                                                "(default: the project's nexo.toml)")
    p.add_argument("--theme", choices=["auto", "light", "dark"], default=None,
                   help="colour scheme (default: as last chosen in View → Theme, else follow the system)")
    p.add_argument("--from", dest="from_tool", metavar="TOOL",
                   choices=TOOLS,
                   help="show the database read-only, as that tool recorded it (SPEC §8)")
    p.add_argument("--size", metavar="WxH", default=None, help="window size for --screenshot (default 1280x800)")
    return p


def resolve_target(db: str | None, migrations: Path | None) -> tuple[Path, str]:
    """(migrations folder, URL) from the arguments; see the module docstring for defaults.

    The project's ``nexo.toml`` is read by the same ``app.Session`` the worker opens; a broken
    one does not stop the window from opening: the first refresh shows the error, naming it."""
    from ..app import Session, SessionSpec
    from ..core.config import user_data_dir
    from ..errors import ConfigError
    from .connections import with_password
    from .resources import sample_migrations_dir

    if db is None and migrations is None:
        data = user_data_dir()
        data.mkdir(parents=True, exist_ok=True)
        return sample_migrations_dir(), f"sqlite:///{data / 'sample.db'}"
    try:
        session = Session.open(SessionSpec(migrations, db=db))
        if migrations is None:
            mdir = session.config.migrations_dir
            migrations = mdir if mdir.is_dir() else sample_migrations_dir()
        url = session.url
    except ConfigError:
        migrations = migrations or sample_migrations_dir()
        url = db or f"sqlite:///{Path(migrations).parent / 'nexo.db'}"
    return Path(migrations).resolve(), with_password(url)


def stored_theme() -> str:
    """The theme last chosen in View → Theme (``auto`` when none)."""
    from .window.themes import stored_theme as stored

    return stored()


def create_app(argv: list[str] | None = None, theme: str = "auto"):
    from PySide6.QtWidgets import QApplication

    from .theme import app_icon, apply_theme

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("Nexo Studio")
    app.setOrganizationName("Nexo")
    app.setDesktopFileName("nexo-studio")
    apply_theme(app, theme)
    app.setWindowIcon(app_icon())
    return app


async def take_screenshot(window, path: Path, view: str, size: tuple[int, int] = SCREENSHOT_SIZE) -> int:
    """Load via the worker (awaited), show ``view``, render the window, save ``path``."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from .main_window import TAB_GRAPH, TAB_HISTORY, TAB_SQL

    window.quiet = True
    window.resize(*size)
    window.show()
    outcome = await window.refresh_async()
    if outcome.loaded is None or not outcome.loaded.connected:
        reason = outcome.loaded.error if outcome.loaded else outcome.error
        print(f"nexo-studio: warning: could not read the database: {reason}", file=sys.stderr)
    snap = window.snapshot
    window.fit_table_rows()
    if view == "state":
        # the state table with the selected migration's SQL below it
        window.tabs.setCurrentIndex(TAB_SQL)
    elif view == "history":
        window.tabs.setCurrentIndex(TAB_HISTORY)
        window.fit_table_rows(max_rows=4)
        if window.history.model.rowCount():
            window.history.view.selectRow(0)
    elif view == "sql":
        window.tabs.setCurrentIndex(TAB_SQL)
    elif view == "drift":
        window.show_drift_view()
        window.fit_table_rows(max_rows=4)
        window.resizeDocks([window.log_dock], [120], Qt.Orientation.Vertical)
    else:
        window.tabs.setCurrentIndex(TAB_GRAPH)
    if snap is not None and view not in ("history", "drift"):
        applied = [s for s in snap.states if s.is_applied]
        pick = applied[-1] if applied else (snap.states[0] if snap.states else None)
        if pick is not None:
            window.select_migration(pick.id, "screenshot")
    for _ in range(3):
        QApplication.processEvents()
        await asyncio.sleep(0.05)
    if view in ("graph", "state"):
        window.graph.fit()
        QApplication.processEvents()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(path), "PNG")
    if not ok:
        print(f"nexo-studio: cannot write {path}", file=sys.stderr)
        return 1
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .startup import display_problem

    problem = display_problem(os.environ, bool(args.screenshot))
    if problem:  # before Qt aborts with a misleading message (rc 134)
        print(f"nexo-studio: {problem}", file=sys.stderr)
        return 2
    if args.screenshot and not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY") \
            and not os.environ.get("WAYLAND_DISPLAY") and sys.platform.startswith("linux"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import qasync

    from ..errors import NexoError

    app = create_app([sys.argv[0]], args.theme or stored_theme())
    from .main_window import MainWindow

    try:
        migrations, url = resolve_target(args.db, args.migrations)
    except NexoError as exc:
        print(f"nexo-studio: {exc}", file=sys.stderr)
        return 2
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(None if args.from_tool else migrations, url)  # its first refresh is a coroutine on this loop
    if args.from_tool:
        window.open_read_only(args.from_tool, migrations, url)
    with loop:
        if args.screenshot:
            size = SCREENSHOT_SIZE
            if args.size:
                w, _, h = args.size.lower().partition("x")
                size = (int(w), int(h))
            # the window already started a refresh; wait for it so ours is not refused as busy
            async def shot() -> int:
                while window.worker.busy:
                    await asyncio.sleep(0.02)
                if args.view == "fleet":
                    from .fleet.shot import fleet_screenshot

                    return await fleet_screenshot(window, args.screenshot, args.targets, size)
                return await take_screenshot(window, args.screenshot, args.view, size)

            code = loop.run_until_complete(shot())
            window.close()
            return code
        window.show()
        # Objects made while starting up live for the whole session: moving them out of the
        # collector's reach cuts a full collection with PySide6 loaded from ~100 ms to ~15 ms,
        # a pause the user would otherwise feel as a stutter.
        gc.collect()
        gc.freeze()
        closed = asyncio.Event()
        app.aboutToQuit.connect(closed.set)
        loop.run_until_complete(closed.wait())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
