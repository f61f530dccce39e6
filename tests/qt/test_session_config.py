"""The window reads a project's nexo.toml through the same session as the CLI.

Before the application layer, the GUI built its own Target without ``[database] schema``: a
project whose state lives in ``ops.__Migrations`` showed every applied migration as pending with
no history, and a GUI deploy would have run them again.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.helpers.projects import table_project
from tests.qt.qt_helpers import deploy_by_clicking, statuses


def nexo(*args: str) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess (the GUI thread of this test must not touch the database)."""
    return subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", *args], capture_output=True, text=True,
                          timeout=120)


def _state_schema(make_db, dialect: str) -> tuple[str, str]:
    """(URL of a fresh database, name of a second namespace there to hold the state tables)."""
    url = make_db(dialect)
    if dialect == "postgresql":
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA ops")
        engine.dispose()
        return url, "ops"
    other = make_db(dialect)  # on MariaDB a schema is a database
    return url, sa.engine.make_url(other).database


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_window_and_cli_agree_on_a_schema_set_in_nexo_toml(qtbot, make_window, make_db, tmp_path, dialect):
    url, schema = _state_schema(make_db, dialect)
    project = tmp_path / "proj"
    ids = table_project(project / "migrations", 3)
    (project / "nexo.toml").write_text(f'[database]\nschema = "{schema}"\n', encoding="utf-8")
    config = str(project / "nexo.toml")
    assert nexo("--config", config, "--db", url, "deploy", "--to", ids[0], "--no-backup").returncode == 0

    w = make_window(project / "migrations", url)
    assert w.loaded.connected, w.loaded.error
    assert statuses(w) == {ids[0]: "applied", ids[1]: "pending", ids[2]: "pending"}
    assert {h.action for h in w.history.model.all_rows()} >= {"deploy_start", "apply", "deploy_end"}

    outcome = deploy_by_clicking(qtbot, w)
    assert outcome.ok, outcome
    assert set(statuses(w).values()) == {"applied"}
    status = nexo("--config", config, "--db", url, "status", "--json")
    assert status.returncode == 0, status.stderr
    cli = {m["id"]: m["status"] for m in json.loads(status.stdout)["migrations"]}
    assert cli == statuses(w)
    # every state row is in the configured schema, each migration applied exactly once
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        q = sa.text(f'SELECT id, status FROM {"ops" if dialect == "postgresql" else schema}.'
                    + ('"__Migrations"' if dialect == "postgresql" else "`__Migrations`"))
        assert dict(conn.execute(q).all()) == {i: "applied" for i in ids}
        applies = conn.exec_driver_sql(
            f"SELECT COUNT(*) FROM {schema}." + ('"__MigrationHistory"' if dialect == "postgresql" else "`__MigrationHistory`")
            + " WHERE action = 'apply'").scalar()
        assert applies == 3
        default_tables = sa.inspect(conn).get_table_names()
    engine.dispose()
    assert "__Migrations" not in default_tables


def test_a_broken_nexo_toml_is_shown_not_dropped(make_window, tmp_path):
    project = tmp_path / "proj"
    table_project(project / "migrations", 1)
    (project / "nexo.toml").write_text("[database]\nschem = 'x'\n", encoding="utf-8")
    w = make_window(project / "migrations", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert not w.loaded.connected
    assert "nexo.toml" in (w.loaded.error or "")
    assert "nexo.toml" in w.conn_label.text()
