"""A restore that never leaves less than it found, and the recovery of an interrupted one.

Unlike the rest of ``core/backup/`` this module writes the tool's history (the restore's own
row, the rows written after the backup). Steps on PostgreSQL and MariaDB, each journaled
(``journal.py``) before it starts:

1. ``started``: the journal holds every history row; nothing has changed.
2. ``dropping`` / ``dropped``: the provider sets the database aside (PostgreSQL renames every
   user schema to ``__nexo_restore_old_N`` in one transaction; MariaDB writes a safety dump,
   then drops and re-creates the database).
3. the client tool runs (its pid is journaled: it outlives a killed ``nexo``).
4. ``client_done``: the history rows the backup lacks are put back and the restore is recorded,
   in one transaction; ``recorded``: what was set aside is dropped, the journal removed.

A failure in 2-4 puts the database back as it was (the renamed schemas renamed back, or the
safety dump restored), records ``restore failed`` and says so. A kill anywhere is finished by
the next command that takes the lock (``recover``): after ``client_done`` the restore is
completed, before it the database is put back. SQLite never changes the database until the end:
the backup is copied into a file beside it, the history merged there, and the result copied
over the database in one step of the backup API (one transaction).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from nexo_studio.errors import BackupError, Cancelled, NexoError, RestoreInterrupted

from ..dialects import rules_for
from . import BackupProvider, StagedRestore, provider_for
from .journal import (Journal, clean_partials, encode_row, fault, journal_file, other_journals, safety_file,
                      state_dir)
from ..kinds import HistoryAction, HistoryStatus

_CLIENT_WAIT = 3600.0


def restore_safely(target, path: Path, details: dict, *, started, deployment_id: str,
                   cancel=None) -> int:
    """Restore ``path`` over ``target`` (the caller holds the lock); the number of history rows
    written after the backup that were kept."""
    provider = provider_for(target.url)
    local = rules_for(provider.dialect).is_local_file()
    if not local:
        _staged(provider, path)  # refused here, before a connection or a change
    provider.check_tools()
    saved = _history(target)
    identity = server_identity(target)
    target.engine.dispose()  # a client tool would wait on our own connections
    common = {"dialect": provider.dialect, "backup": str(path), "deployment_id": deployment_id,
              "server": identity, "url": target.display_url,
              "details": details, "started_at": started.isoformat(), "step": "started",
              "history": [encode_row(r) for r in saved]}
    if local:
        return _restore_sqlite(target, provider, path, common, saved, cancel)
    provider = _staged(provider, path)
    plan = provider.prepare(target.url, path)
    plan["safety"] = str(safety_file(target.url))
    if cancel is not None and cancel():
        raise Cancelled("restore")
    journal = Journal.create(journal_file(target.url), {**common, "plan": plan})
    try:
        fault("before_drop")
        journal.save(step="dropping")
        provider.set_aside(target.url, path, plan)
        journal.save(step="dropped")
        fault("after_drop")

        def client_started(pid: int) -> None:
            journal.save(client={"pid": pid})
            fault("mid_client")

        provider.run_client(target.url, path, on_start=client_started, plan=plan)
        journal.save(step="client_done", client=None)
        fault("before_reinsert")
        kept = finish_history(target, saved, journal.data)
        journal.save(step="recorded")
    except BaseException as exc:
        _undo(target, provider, path, plan, journal, saved, exc)
        raise
    _clean_up(lambda: provider.drop_aside(target.url, path, plan), journal)
    return kept


def server_identity(target) -> str | None:
    """The database as its server names it (``DialectRules.server_identity_sql``); None where
    the dialect has no such query or it cannot be asked."""
    sql = target.rules.server_identity_sql
    if sql is None:
        return None
    try:
        with target.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()
    except (sa.exc.SQLAlchemyError, NexoError):
        return None


def _refuse_through_another_url(target) -> None:
    """Another URL's journal of this same database: its restore is half done, and only that URL
    finds its journal (and its safety dump). Refused, not recovered from here: a journal is
    applied only to the database named by its own URL."""
    others = other_journals(target.url)
    identity = server_identity(target) if others else None
    if identity is None:
        return
    for path in others:
        try:
            journal = Journal.load(path)
        except BackupError:
            continue  # unreadable: its own URL's next command reports it
        if journal is not None and journal.data.get("server") == identity:
            raise RestoreInterrupted(path, journal.data.get("url") or "another URL", journal.data.get("backup") or "?")


def _clean_up(drop, journal: Journal) -> None:
    """After the restore is recorded: drop what was set aside, remove the journal. A failure
    here leaves the journal (step ``recorded``): the next command that takes the lock retries."""
    try:
        fault("after_reinsert")
        drop()
        journal.remove()
    except (BackupError, OSError) as exc:
        _say(f"warning: restored, but what was set aside is left until the next command: {exc}")


def _staged(provider: BackupProvider, path: Path) -> StagedRestore:
    """``provider`` as one that restores in steps; BackupError (before anything changed) if not."""
    if not isinstance(provider, StagedRestore):
        raise BackupError(f"restoring a {provider.dialect} database is not supported", path)
    return provider


def _undo(target, provider: StagedRestore, path: Path, plan: dict, journal: Journal, saved: list, exc: BaseException) -> None:
    """Put the database back after a failure (then raise BackupError saying so)."""
    reason = exc.reason if isinstance(exc, BackupError) else str(exc) or type(exc).__name__
    try:
        provider.put_back(target.url, path, plan)
        ensure_history(target, saved)
    except Exception as undo_exc:
        raise BackupError(
            f"{reason}; putting the database back failed too ({undo_exc}): the journal {journal.path} "
            "keeps every history row, and the next nexo command on this database tries again", path,
        ) from exc
    record_failed(target, journal.data, f"{reason}; the database was put back as it was")
    provider.drop_aside(target.url, path, plan)
    journal.remove()
    if isinstance(exc, Exception):
        raise BackupError(f"nothing restored, the database was put back as it was: {reason}", path) from exc


# --- SQLite: build the result beside the database, copy it over in one step -------------------


def _restore_sqlite(target, provider, path: Path, common: dict, saved: list, cancel) -> int:
    from ..target import Target

    temp = _sqlite_temp(provider, target.url)
    if cancel is not None and cancel():
        raise Cancelled("restore")
    journal = Journal.create(journal_file(target.url), {**common, "plan": {"temp": str(temp)}})
    try:
        fault("before_drop")
        _remove(temp)
        temp_url = target.url.set(database=str(temp), query={})
        fault("after_drop")
        provider.restore(temp_url, path)
        fault("mid_client")
        fault("before_reinsert")
        built = Target(temp_url, schema=target.store.schema)
        try:
            kept = finish_history(built, saved, journal.data)
        finally:
            built.dispose()
        journal.save(step="replacing")
        provider.restore(target.url, temp)  # one step of the backup API: all or nothing
        journal.save(step="recorded")
    except BaseException as exc:
        reason = exc.reason if isinstance(exc, BackupError) else str(exc) or type(exc).__name__
        _remove(temp)
        if _recorded(target, journal.data):  # the copy went through before the failure
            journal.remove()
            raise
        record_failed(target, journal.data, f"{reason}; the database is as it was")
        journal.remove()
        if isinstance(exc, Exception):
            raise BackupError(f"nothing restored, the database is as it was: {reason}", path) from exc
        raise
    target.store.invalidate()
    _clean_up(lambda: _remove(temp), journal)
    return kept


def _sqlite_temp(provider, url) -> Path:
    """``DB.nexo-restore`` beside the database file (also when the URL is a ``file:`` URI)."""
    database, is_uri = provider.database_path(url)
    if is_uri:
        from urllib.parse import unquote, urlparse

        database = unquote(urlparse(database).path)
    return Path(database + ".nexo-restore")


def _remove(temp: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(temp) + suffix).unlink(missing_ok=True)


# --- history ----------------------------------------------------------------------------------


def _history(target) -> list:
    target.store.invalidate()
    with target.connect() as conn:
        rows = list(target.store.history(conn))
        if conn.in_transaction():
            conn.rollback()
    return rows


def _is_prefix(restored: list, saved: list) -> bool:
    n = len(restored)
    if n > len(saved):
        return False
    return n == 0 or (saved[n - 1].seq == restored[-1].seq and saved[n - 1].hash == restored[-1].hash)


def finish_history(target, saved: list, data: dict) -> int:
    """After the client: every saved history row present, the restore recorded (one transaction).

    The backup's history a prefix of the saved one (the same database): the rows after it are
    put back, and the restore row's ``history_rows_kept`` marks them as describing the replaced
    state. Otherwise (another database, or a history that diverged): the saved history is put
    back whole, the restore row marks all of it replaced, and the backup's rows follow it as
    copies (re-chained, ``copied_from_seq`` in their details) so the restored __Migrations
    agrees with the history."""
    store = target.store
    store.invalidate()
    with target.connect() as conn:
        if _recorded_in(conn, store, data["deployment_id"]):
            return int(data.get("kept") or 0)
        store.ensure(conn)
        restored = list(store.history(conn))
        if conn.in_transaction():
            conn.rollback()
        from ..state.snapshots import capture, record

        cap = capture(conn, store)  # the restored schema is the accepted one (SPEC §10)
        same = _is_prefix(restored, saved)
        keep = saved[len(restored):] if same else saved
        h = store.t.history
        with conn.begin():
            if not same:
                conn.execute(h.delete())
            if keep:
                conn.execute(h.insert(), [r.__dict__ for r in keep])
            details = {**data["details"], "history_rows_kept": len(keep), **cap.details()}
            if not same:
                details["history_replaced"] = {"copied_rows": len(restored)}
            row = store.append(conn, action=HistoryAction.RESTORE, status=HistoryStatus.OK, started_at=_when(data),
                               deployment_id=data["deployment_id"], details=details)
            record(store, conn, cap, row.seq)
            if not same and restored:
                store.set_tail(conn, *_append_copies(conn, h, restored, row.seq, row.hash))
        store.invalidate()
    data["kept"] = len(keep)
    return len(keep)


def _append_copies(conn: sa.Connection, h: sa.Table, rows: list, seq: int, prev: str) -> tuple[int, str]:
    """``rows`` appended after (seq, prev) as copies, re-chained; the new tail."""
    from ..state.chain import row_hash
    from ..state.store import to_json

    for r in rows:
        copy = dict(r.__dict__)
        copy.update(seq=seq + 1, prev_hash=prev, details=to_json({**r.details_dict(), "copied_from_seq": r.seq}))
        copy["hash"] = row_hash(copy)
        conn.execute(h.insert(), [copy])
        seq, prev = copy["seq"], copy["hash"]
    return seq, prev


def ensure_history(target, saved: list) -> None:
    """After putting the database back: any saved row missing from its end is re-inserted."""
    store = target.store
    store.invalidate()
    with target.connect() as conn:
        store.ensure(conn)
        now = list(store.history(conn))
        if conn.in_transaction():
            conn.rollback()
        if _is_prefix(now, saved) and len(now) < len(saved):
            missing = saved[len(now):]
            with conn.begin():
                conn.execute(store.t.history.insert(), [r.__dict__ for r in missing])
                store.set_tail(conn, missing[-1].seq, missing[-1].hash)
        store.invalidate()


def record_failed(target, data: dict, error: str) -> None:
    store = target.store
    store.invalidate()
    with target.connect() as conn:
        if _recorded_in(conn, store, data["deployment_id"]):
            return
        store.ensure(conn)
        with conn.begin():
            store.append(conn, action=HistoryAction.RESTORE, status=HistoryStatus.FAILED, started_at=_when(data),
                         deployment_id=data["deployment_id"], details=data["details"], error=error)
        store.invalidate()


def _when(data: dict):
    from datetime import datetime

    return datetime.fromisoformat(data["started_at"])


def _recorded_in(conn: sa.Connection, store, deployment_id: str) -> bool:
    if not store.exists(conn):
        return False
    h = store.t.history
    found = conn.execute(sa.select(h.c.seq).where(h.c.deployment_id == deployment_id,
                                                  h.c.action == HistoryAction.RESTORE).limit(1)).first()
    if conn.in_transaction():
        conn.rollback()
    return found is not None


def _recorded(target, data: dict) -> bool:
    target.store.invalidate()
    with target.connect() as conn:
        return _recorded_in(conn, target.store, data["deployment_id"])


# --- the next command after a kill ------------------------------------------------------------


def recover(target) -> None:
    """Called with the lock just taken: clean up killed backups, finish or undo a restore."""
    url = target.url
    if not url.database or url.database == ":memory:":
        return
    journal = None
    if state_dir(url).is_dir():
        clean_partials(url)
        journal = Journal.load(journal_file(url))
    if journal is None:
        _refuse_through_another_url(target)
        return
    data = journal.data
    _wait_for_client(data.get("client"))
    target.engine.dispose()
    provider = provider_for(url)
    saved = journal.history
    path = Path(data.get("backup") or "")
    plan = data.get("plan") or {}
    step = data.get("step")
    if rules_for(provider.dialect).is_local_file():
        _remove(Path(plan.get("temp") or _sqlite_temp(provider, url)))
        if not _recorded(target, data):
            ensure_history(target, saved)
            record_failed(target, data, f"interrupted ({step}); the database is as it was")
        journal.remove()
        _say("an interrupted restore left the database as it was" if step != "recorded"
             else "finished an interrupted restore")
        return
    provider = _staged(provider, path)
    if step in ("client_done", "recorded"):
        finish_history(target, saved, data)
        provider.drop_aside(url, path, plan)
        journal.remove()
        _say(f"finished the restore of {path} that was interrupted ({step})")
        return
    provider.put_back(url, path, plan)
    ensure_history(target, saved)
    record_failed(target, data, f"interrupted ({step}); the database was put back as it was")
    provider.drop_aside(url, path, plan)
    journal.remove()
    _say(f"undid the restore of {path} that was interrupted ({step}): the database is as it was")


def _say(text: str) -> None:
    sys.stderr.write(f"nexo: {text}\n")
    sys.stderr.flush()


def _wait_for_client(client: dict | None) -> None:
    """A client tool of a killed restore may still run: wait until it has finished."""
    pid = (client or {}).get("pid")
    if not pid:
        return
    deadline = time.monotonic() + _CLIENT_WAIT
    said = False
    while _alive(int(pid)) and time.monotonic() < deadline:
        if not said:
            _say(f"waiting for the client tool of an interrupted restore (pid {pid}) to finish")
            said = True
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not os.path.isdir("/proc")
