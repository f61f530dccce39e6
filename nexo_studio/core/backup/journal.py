"""The restore journal, the backup-in-progress marker, and the test-only fault hook.

Both files live in the database's default backup folder (``config.default_backup_dir``), a place
every command can find from the URL alone, named with a key of the database:

- ``restore-journal-KEY.nexo``: written (fsynced) before a restore changes anything, updated at each
  step. It holds every history row the database had, the restore's step and what it set aside,
  and the pid of a running client tool (which outlives a killed ``nexo``). The next command
  that takes the lock finishes or undoes the restore from it (``recovery.recover``).
- ``backup-in-progress-KEY.nexo``: names the ``.partial`` file a running backup writes; a backup
  killed with SIGKILL leaves it, and the next command that takes the lock removes the partial.

``fault(point)`` is the one fault-injection hook (tests only): ``NEXO_FAULT=restore:POINT`` kills
the process with SIGKILL when the restore reaches POINT, ``NEXO_FAULT=restore:POINT:fail``
raises a BackupError there. Points: ``before_drop``, ``after_drop``, ``mid_client`` (the client
tool is running), ``before_reinsert``, ``after_reinsert``.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

from nexo_studio.errors import BackupError

from .tools import PRIVATE_FOLDER, fsync_dir, private_text

_TIMES = ("started_at", "finished_at")


def state_dir(url) -> Path:
    from ..config import default_backup_dir

    return default_backup_dir(url)


def database_key(url) -> str:
    """A short key of the database (two SQLite files of the same name share a default folder)."""
    from ..dialects import rules_for

    if rules_for(url.get_backend_name()).is_local_file():
        ident = os.path.realpath(url.database or "")
    else:
        ident = f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{url.database or ''}"
    return hashlib.sha256(ident.encode()).hexdigest()[:12]


def journal_file(url) -> Path:
    return state_dir(url) / f"restore-journal-{database_key(url)}.nexo"


def other_journals(url) -> list[Path]:
    """Restore journals written through other URLs (every database's folder is under the same
    ``backups`` folder): the same database reached through another spelling is among them."""
    root = state_dir(url).parent
    own = journal_file(url)
    return [p for p in root.glob("*/restore-journal-*.nexo") if p != own] if root.is_dir() else []


def safety_file(url) -> Path:
    return state_dir(url) / f"restore-safety-{database_key(url)}.sql"


def _marker(url) -> Path:
    return state_dir(url) / f"backup-in-progress-{database_key(url)}.nexo"


def fault(point: str) -> None:
    """Test-only fault injection (see the module doc); does nothing unless NEXO_FAULT is set."""
    spec = os.environ.get("NEXO_FAULT")
    if not spec:
        return
    for item in spec.split(","):
        parts = item.strip().split(":")
        if parts[:2] == ["restore", point]:
            if parts[2:] == ["fail"]:
                raise BackupError(f"injected failure at {point} (NEXO_FAULT)")
            os.kill(os.getpid(), signal.SIGKILL)


def write_durably(path: Path, data: Any) -> None:
    """JSON to ``path`` atomically: temp file, fsync, rename, fsync of the folder."""
    path.parent.mkdir(PRIVATE_FOLDER, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with private_text(tmp) as fh:  # it holds every history row
        json.dump(data, fh, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def encode_row(row) -> dict:
    out = dict(row.__dict__)
    for key in _TIMES:
        if out.get(key) is not None:
            out[key] = out[key].isoformat()
    return out


def decode_row(data: dict):
    from ..state.store import HistoryRow

    values = dict(data)
    for key in _TIMES:
        if values.get(key) is not None:
            values[key] = datetime.fromisoformat(values[key])
    return HistoryRow(**values)


class Journal:
    """One restore's journal file."""

    def __init__(self, path: Path, data: dict) -> None:
        self.path = path
        self.data = data

    @classmethod
    def create(cls, path: Path, data: dict) -> "Journal":
        journal = cls(path, {"format": 1, **data})
        try:
            write_durably(journal.path, journal.data)
        except OSError as exc:
            raise BackupError(f"nothing restored: cannot write the restore journal: {exc.strerror or exc}",
                              journal.path) from exc
        return journal

    @classmethod
    def load(cls, path: Path) -> "Journal | None":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise BackupError(f"the restore journal cannot be read ({exc}); an interrupted restore "
                              "cannot be finished: check the database and remove the file", path) from exc
        return cls(path, data)

    def save(self, **changes: Any) -> None:
        self.data.update(changes)
        write_durably(self.path, self.data)

    @property
    def history(self) -> list:
        return [decode_row(r) for r in self.data.get("history", [])]

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        fsync_dir(self.path.parent)


# --- a backup killed while writing its .partial file ------------------------------------------


def backup_started(url, partial: Path) -> None:
    try:
        write_durably(_marker(url), {"partial": str(partial)})
    except OSError:
        pass  # the marker only helps clean up after a kill; never fail a backup for it


def backup_finished(url) -> None:
    _marker(url).unlink(missing_ok=True)


def clean_partials(url) -> list[Path]:
    """Remove what a killed backup of this database left: the partial file its marker names
    (and SQLite's companions of it, ``-journal`` & co.)."""
    found: list[Path] = []
    marker = _marker(url)
    try:
        partial = Path(json.loads(marker.read_text(encoding="utf-8"))["partial"])
    except FileNotFoundError:
        return found
    except (OSError, ValueError, KeyError, TypeError):
        partial = None
    if partial is not None and partial.name.endswith(".partial"):
        found = [p for p in partial.parent.glob("*") if p.name.startswith(partial.name)]
    for path in found:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
    marker.unlink(missing_ok=True)
    return found
