"""The main window's parts, as mixins of :class:`~nexo_studio.qt.main_window.MainWindow`:

* ``layout``     -- central splitter and tabs, docks, saved layout.
* ``actions``    -- actions, menus, toolbar, status bar, which actions are enabled.
* ``operations`` -- one method pair per operation: open its dialog, submit its job.
* ``feedback``   -- busy label, progress, log entries and reports from worker signals.
* ``base``       -- ``WindowBase``, every mixin's base: declares for mypy what they share.

The constants they share live here (``main_window`` re-exports them).
"""
from __future__ import annotations

from PySide6.QtCore import QSettings

from ...core.config import user_data_dir

APP_NAME = "Nexo Studio"
TAB_GRAPH, TAB_HISTORY, TAB_SQL = range(3)
VIEWS = {"graph": TAB_GRAPH, "history": TAB_HISTORY, "sql": TAB_SQL, "state": TAB_GRAPH}
#: bump when the default dock layout changes, so old saved states are not restored onto it
LAYOUT_VERSION = 1


def settings() -> QSettings:
    """Per-user settings file beside the profiles (``NEXO_DATA_DIR`` moves both)."""
    return QSettings(str(user_data_dir() / "nexo-studio.ini"), QSettings.Format.IniFormat)
