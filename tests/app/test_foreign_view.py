"""The read-only `--from` view on the application layer: a Flyway database (its table written as
Flyway writes it) shaped as the window's snapshot and history, with nothing written anywhere."""

from __future__ import annotations

import sqlite3

from nexo_studio.app import Session, SessionSpec
from nexo_studio.app.adopt import import_files
from nexo_studio.app.foreign_view import read_foreign_view
from tests.adopt.test_flyway import PROJECT, flyway_migrate, write_project


def _dump(path: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def test_flyway_state_as_the_window_shows_it(tmp_path, make_db):
    url = make_db("sqlite")
    loc = write_project(tmp_path)
    flyway_migrate(url, "sqlite", loc, fail_last=True)
    before = _dump(url.removeprefix("sqlite:///"))
    session = Session.open(SessionSpec(tmp_path / "none", db=url))
    view = read_foreign_view(session, "flyway", None)  # no imported project: the table alone
    got = {s.id: s.status for s in view.snapshot.states}
    assert list(got) == [v for v, *_ in PROJECT]
    assert got["10"] == "failed" and set(list(got.values())[:-1]) == {"applied"}
    assert [h.migration_id for h in view.history] == [v for v, *_ in PROJECT]
    assert [h.status for h in view.history][-1] == "failed" and {h.action for h in view.history} == {"flyway"}
    assert view.snapshot.by_id["1.1"].row.applied_by == "flyway"
    assert any(f.level == "error" and "10" in f.message for f in view.snapshot.findings)

    (loc / "V3__tags.sql").write_text("CREATE TABLE fw_tags (id INTEGER PRIMARY KEY, label VARCHAR(40));\n")
    mig = tmp_path / "imported"
    import_files("flyway", loc, mig, skip_unsupported=True)
    session = Session.open(SessionSpec(mig, db=url))
    view = read_foreign_view(session, "flyway", session.project)  # the imported files: nexo ids, drift
    by_foreign = {s.id.split("_", 1)[1]: s.status for s in view.snapshot.states}
    assert by_foreign["v3_tags"] == "drifted" and by_foreign["v1_init"] == "applied"
    assert len(view.project.migrations) == len(PROJECT)
    assert _dump(url.removeprefix("sqlite:///")) == before  # read-only: nothing written
