"""The window's building blocks: migrations table, history tab, SQL tab, log, findings, details
(one module each; ``common``: the look of their tables). Everything is re-exported here.

Each panel is a small widget over an item model; none of them talks to the database or to the
worker -- the main window feeds them snapshots and wires their signals together.
"""
from .common import ROW_HEIGHT
from .details import DetailsPane
from .findings import FindingsPane
from .history import HistoryPane
from .log import LogPane
from .migrations import STATUS_FILTERS, MigrationsPane
from .sql import SqlPane

__all__ = ["MigrationsPane", "HistoryPane", "SqlPane", "LogPane", "FindingsPane", "DetailsPane", "ROW_HEIGHT",
           "STATUS_FILTERS"]
