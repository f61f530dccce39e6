"""The history writer's cached chain tail, bound to the transaction that wrote it.

``StateStore.append`` chains each history row to the cached tail (seq, hash) instead of reading
the table's last row every time. That cache may only move when the rows it stands for are
committed: a rolled-back row left in it would give the next row the wrong seq and prev_hash,
and break the chain. No caller says what happened to its transaction: the writing connection's
own events do (``_follow``).
"""

from __future__ import annotations

import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event


class TailFollower:
    """Mixed into StateStore: ``_tail`` (committed), ``_pending_tail`` (written by the open
    transaction of ``_pending_conn``) and ``_tail_row`` (the tail row of __NexoMeta is known to
    exist) follow the connections' transactions."""

    engine: sa.Engine
    _tail: tuple[int, str] | None
    _tail_row: bool

    def _init_follower(self) -> None:
        self._pending_tail: tuple[int, str] | None = None
        self._pending_conn: sa.Connection | None = None
        #: a commit under way: (its connection, the tail before it), until the next begin
        self._committing: tuple[sa.Connection, tuple[int, str] | None] | None = None
        self._followed: weakref.WeakSet[sa.Connection] = weakref.WeakSet()

    def _forget(self) -> None:
        self._tail = None
        self._pending_tail = None
        self._pending_conn = None
        self._committing = None
        self._tail_row = False

    def _follow(self, conn: sa.Connection) -> None:
        """Listen to ``conn``'s transaction events (once per connection object).

        ``commit`` fires before the driver commits, so it advances the tail provisionally and
        keeps the one before; a driver error on that connection before its next ``begin`` is
        the commit failing (``handle_error``, an engine-wide event), which puts the old tail back.
        """
        if conn in self._followed:
            return
        if not self._followed and not event.contains(self.engine, "handle_error", self._on_error):
            event.listen(self.engine, "handle_error", self._on_error)
        self._followed.add(conn)
        event.listen(conn, "commit", self._on_commit)
        event.listen(conn, "rollback", self._on_rollback)
        event.listen(conn, "begin", self._on_begin)

    def _settle(self, conn: sa.Connection) -> None:
        """Before ``conn`` writes: settle what another connection left open."""
        if self._committing is not None and self._committing[0] is not conn:
            other = self._committing[0]
            if other.closed or not other.in_transaction():
                self._committing = None  # its commit went through (a failed one stays open)
            else:
                self._forget()
        if self._pending_conn is not None and self._pending_conn is not conn:
            self._forget()  # another connection's writes are not committed: read what is there

    def _on_commit(self, conn: sa.Connection) -> None:
        if self._pending_conn is conn and self._pending_tail is not None:
            self._committing = (conn, self._tail)
            self._tail = self._pending_tail
            self._pending_tail = None
            self._pending_conn = None

    def _on_begin(self, conn: sa.Connection) -> None:
        if self._committing is not None and self._committing[0] is conn:
            self._committing = None  # the previous transaction's commit went through

    def _on_error(self, context: Any) -> None:
        if self._committing is not None and self._committing[0] is context.connection:
            self._tail = self._committing[1]  # its commit failed: nothing of it is in the table
            self._committing = None
            self._tail_row = False

    def _on_rollback(self, conn: sa.Connection) -> None:
        if self._pending_conn is conn:
            self._pending_tail = None
            self._pending_conn = None
            self._tail_row = False  # it may have been inserted by the transaction that rolled back
