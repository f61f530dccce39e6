"""Compatibility name: the backup operations live in ``core/backup/operations.py``.

Kept only for the desktop front end's imports (``qt/window/operations.py``); new code imports
``nexo_studio.core.backup.operations``. Remove once nothing imports this name."""

from .backup.operations import (  # noqa: F401
    backup, backup_name, backup_step, check_backup, check_source, list_backups, restore,
)
