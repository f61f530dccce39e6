"""A Cancel that arrives while the engine writes its own bookkeeping (the state row, the history
row, the deploy_end row) must not interrupt that write: only the user's statements are
interrupted; the bookkeeping finishes and the deploy stops at the next boundary, recorded as
cancelled. Before, sqlite3's interrupt() (and psycopg's cancel, KILL QUERY) landed on whatever
ran on the connection, and the interrupted bookkeeping escaped as a plain database error with no
deploy_end row.

SQLite's trace callback runs inside the statement's execution, so a cancel fired from it lands
exactly on the statement named: deterministic, no timing."""

from __future__ import annotations

import sqlalchemy as sa

from nexo_studio.core.events import CancelToken, run
from nexo_studio.core.operations import status
from nexo_studio.core.pipeline import DeployOptions, RollbackOptions, deploy, rollback
from nexo_studio.core.project import Project
from nexo_studio.core.target import Target
from nexo_studio.errors import Cancelled
from tests.helpers.projects import table_project, user_tables


def _cancel_on(target: Target, cancel: CancelToken, needle: str, nth: int) -> list[str]:
    """Fire ``cancel`` from inside the ``nth`` statement whose SQL contains ``needle``."""
    seen: list[str] = []

    def trace(sql: str) -> None:
        if needle in sql:
            seen.append(sql)
            if len(seen) == nth:
                cancel.cancel()

    @sa.event.listens_for(target.engine, "connect")
    def _hook(dbapi_conn, _record):
        dbapi_conn.set_trace_callback(trace)

    return seen


def _statements_of_a_deploy(tmp_path) -> list[str]:
    """Every statement a plain deploy of the project sends, in order."""
    project = Project.load(tmp_path / "p")
    target = Target(f"sqlite:///{tmp_path / 'probe.sqlite'}")
    seen: list[str] = []

    @sa.event.listens_for(target.engine, "connect")
    def _hook(dbapi_conn, _record):
        dbapi_conn.set_trace_callback(seen.append)

    try:
        assert run(deploy(project, target, DeployOptions(backup=False))).ok
    finally:
        target.dispose()
    return seen


def test_cancel_landing_on_any_statement_of_a_deploy_ends_consistent(tmp_path):
    ids = table_project(tmp_path / "p", 3, chain=False)
    project = Project.load(tmp_path / "p")
    every = _statements_of_a_deploy(tmp_path)
    assert len(every) > 20
    for n, sql in enumerate(every, 1):
        url = f"sqlite:///{tmp_path / f'db{n}.sqlite'}"
        target = Target(url)
        cancel = CancelToken()
        _cancel_on(target, cancel, "", n)
        try:
            result = run(deploy(project, target, DeployOptions(backup=False), cancel))
        finally:
            target.dispose()
        where = f"cancel during statement {n}: {sql[:120]}"
        assert result.ok or result.status == "cancelled", (where, result.status, result.error)
        assert result.ok or isinstance(result.error, Cancelled), (where, result.error)
        target = Target(url)
        try:
            st = {s.id: s.status for s in status(project, target).states}
            with target.connect() as conn:
                ends = [r.status for r in target.store.history(conn, deployment_id=result.deployment_id)
                        if r.action == "deploy_end"]
                chain = target.store.verify_chain(conn)
        finally:
            target.dispose()
        tables = user_tables(url)
        for i, mid in enumerate(ids, 1):
            assert (st[mid] == "applied") == (f"t{i}" in tables), (where, mid, st)
            assert st[mid] in ("applied", "pending"), (where, st)
        if result.deployment_id and any(s == "applied" for s in st.values()):
            assert len(ends) == 1 and (ends[0] == "cancelled") == (not result.ok), (where, ends)
        assert chain.ok, (where, chain.reason)
        again = run(deploy(project, Target(url), DeployOptions(backup=False)))
        assert again.ok, (where, again.error)


def test_cancel_landing_on_any_statement_of_a_rollback_ends_consistent(tmp_path):
    ids = table_project(tmp_path / "p", 3, chain=False)
    project = Project.load(tmp_path / "p")
    base = tmp_path / "deployed.sqlite"
    assert run(deploy(project, Target(f"sqlite:///{base}"), DeployOptions(backup=False))).ok
    probe = Target(f"sqlite:///{tmp_path / 'probe.sqlite'}")
    (tmp_path / "probe.sqlite").write_bytes(base.read_bytes())
    every: list[str] = []
    sa.event.listen(probe.engine, "connect", lambda c, _r: c.set_trace_callback(every.append))
    try:
        assert run(rollback(project, probe, RollbackOptions(to="0"))).ok
    finally:
        probe.dispose()
    for n, sql in enumerate(every, 1):
        path = tmp_path / f"rb{n}.sqlite"
        path.write_bytes(base.read_bytes())
        url = f"sqlite:///{path}"
        target = Target(url)
        cancel = CancelToken()
        _cancel_on(target, cancel, "", n)
        try:
            result = run(rollback(project, target, RollbackOptions(to="0"), cancel))
        finally:
            target.dispose()
        where = f"cancel during statement {n}: {sql[:120]}"
        assert result.ok or (result.status == "cancelled" and isinstance(result.error, Cancelled)), \
            (where, result.status, result.error)
        target = Target(url)
        try:
            st = {s.id: s.status for s in status(project, target).states}
            with target.connect() as conn:
                chain = target.store.verify_chain(conn)
        finally:
            target.dispose()
        tables = user_tables(url)
        for i, mid in enumerate(ids, 1):
            assert (st[mid] == "applied") == (f"t{i}" in tables), (where, mid, st)
        assert chain.ok, (where, chain.reason)
        assert run(rollback(project, Target(url), RollbackOptions(to="0"))).ok, where
