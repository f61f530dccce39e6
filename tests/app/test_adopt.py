"""app.adopt, the one path of both fronts: the wizard's import_and_adopt refuses before writing a
file when the other tool records a dirty migration, and adopts (files + records) otherwise."""

from __future__ import annotations

import pytest

from nexo_studio.app import Session, SessionSpec
from nexo_studio.app.adopt import import_and_adopt, preview_import
from nexo_studio.core.events import run
from nexo_studio.errors import ForeignDirty, InvalidInput
from tests.adopt.test_golang_migrate import migrate_up, write_project


def test_import_and_adopt_refuses_before_writing(tmp_path, make_db):
    url = make_db("sqlite")
    src, steps = write_project(tmp_path)
    migrate_up(url, "sqlite", steps, dirty_last=True)
    into = tmp_path / "adopted"
    preview = preview_import("golang-migrate", src, into)
    assert len(preview.planned) == 11 and not preview.existing and not preview.clashes
    session = Session.open(SessionSpec(into, db=url))
    with pytest.raises(ForeignDirty):
        run(import_and_adopt(session, preview))
    assert not into.exists()  # nothing written
    other = Session.open(SessionSpec(tmp_path / "elsewhere", db=url))
    with pytest.raises(InvalidInput):  # the session must be the folder the files go to
        run(import_and_adopt(other, preview))


def test_import_and_adopt_writes_and_records(tmp_path, make_db):
    url = make_db("sqlite")
    src, steps = write_project(tmp_path)
    migrate_up(url, "sqlite", steps)
    into = tmp_path / "adopted"
    preview = preview_import("golang-migrate", src, into)
    session = Session.open(SessionSpec(into, db=url))
    rec, done = run(import_and_adopt(session, preview))
    assert len(done) == 11 and len(list(into.glob("*.sql"))) == 11
    again = preview_import("golang-migrate", src, into)
    assert len(again.existing) == 11 and not again.clashes  # importing again: every file already there
    session.close()
