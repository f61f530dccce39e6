"""Dialogs, one module each: connection, deploy, rollback confirmation, restore, repair,
accept-history, export (``common``: what they share).

Dialogs never touch the database: anything that needs it (Test connection, the deploy dry-run
preview, the backup list, the export preview) is a :class:`~nexo_studio.qt.worker.Job` handed
to the window's worker, and the dialog shows the outcome when it arrives.
"""
from .accept_history import AcceptHistoryDialog
from .common import open_path
from .connection import ConnectionDialog
from .deploy import DeployDialog
from .export import ExportDialog
from .new_migration import BaselineDialog, NewMigrationDialog
from .repair import REPAIRS, RepairDialog
from .restore import RestoreDialog
from .rollback import RollbackDialog

__all__ = ["AcceptHistoryDialog", "BaselineDialog", "NewMigrationDialog", "ConnectionDialog", "DeployDialog", "ExportDialog", "REPAIRS", "RepairDialog",
           "RestoreDialog", "RollbackDialog", "open_path"]
