"""The applied ``up`` text is kept in ``__Migrations.metadata`` (``up_text``) on every dialect,
so a drifted migration can be shown as a diff; accepting the checksum keeps the new text."""

from __future__ import annotations

import json

import sqlalchemy as sa

from nexo_studio.core.operations import repair
from nexo_studio.core.pipeline import DeployOptions, deploy
from nexo_studio.core.project import Project
from nexo_studio.core.target import Target
from tests.helpers.projects import write_sql

A = "2025.01.01.000001_create_notes"


def drain(gen):
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def stored(target: Target) -> str:
    with target.engine.connect() as conn:
        meta = conn.execute(sa.text('SELECT metadata FROM "__Migrations"' if target.dialect != "mysql"
                                    else "SELECT metadata FROM `__Migrations`")).scalar_one()
    return json.loads(meta)["up_text"]


def test_up_text_is_kept_and_follows_an_accepted_checksum(tmp_path, db_url):
    m = tmp_path / "m"
    write_sql(m, A, "CREATE TABLE notes (id INTEGER PRIMARY KEY);", "DROP TABLE notes;")
    target = Target(db_url)
    try:
        assert drain(deploy(Project.load(m), target, DeployOptions(backup=False))).ok
        assert stored(target).strip() == "CREATE TABLE notes (id INTEGER PRIMARY KEY);"
        write_sql(m, A, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(20));", "DROP TABLE notes;")
        result = repair(Project.load(m), target, A, accept_checksum=True)
        if hasattr(result, "__next__"):
            drain(result)
        assert "body VARCHAR(20)" in stored(target)
    finally:
        target.engine.dispose()
