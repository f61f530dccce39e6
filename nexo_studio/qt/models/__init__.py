"""Qt item models over immutable snapshots of engine data (STYLE.md).

Each model holds a tuple of small precomputed row records; a refresh replaces the tuple inside
``beginResetModel``/``endResetModel``, a single change emits ``dataChanged``. ``data()`` only
looks values up. The history model is built for 100,000 rows: filtering and sorting work on
the tuple in Python (one pass), never through per-row Qt calls.

One module per model family: ``common`` (roles, formats, the base model), ``state``,
``history``, ``findings``, ``log``. Everything is re-exported here.
"""
from .common import ID_ROLE, ROW_ROLE, SORT_ROLE, STATUS_ROLE, fmt_ms, fmt_time
from .findings import FindingsModel
from .history import HistoryFilter, HistoryProblemModel, HistoryTableModel
from .log import LEVELS, LogEntry, LogFilterProxy, LogModel
from .state import StateFilterProxy, StateRecord, StateTableModel, state_record

__all__ = ["ID_ROLE", "ROW_ROLE", "SORT_ROLE", "STATUS_ROLE", "fmt_ms", "fmt_time", "FindingsModel", "HistoryFilter",
           "HistoryProblemModel", "HistoryTableModel", "LEVELS", "LogEntry", "LogFilterProxy", "LogModel",
           "StateFilterProxy", "StateRecord", "StateTableModel", "state_record"]
