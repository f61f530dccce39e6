"""A restore killed half way, then a command through ANOTHER spelling of the same database's URL.

The restore journal lives under a key of the URL (host, port, database name), so a command using
another spelling (``127.0.0.1:5432`` and ``localhost``, the port written or left out) did not find
it: it went on against a database the restore had set aside. On MariaDB the database was empty
(dropped and re-created, its rows only in the safety dump), so a deploy there applied every
migration again, and the recovery through the first URL later put the old database back over it,
its history rows with it. The journal now records the server's own identity, and a command that
finds another URL's journal of the same database refuses, naming it, until that URL finishes or
undoes the restore.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from tests.reliability.harness import ForkedCli, run_cli, user_tables
from tests.reliability.test_restore_faults import assert_whole, data_dir, next_command, prepared  # noqa: F401 (fixture)

DEFAULT_PORT = {"postgresql": 5432, "mysql": 3306}


def other_spelling(url: str, dialect: str) -> str:
    """The same database through another URL: the default port left out or written, else the
    other name of the local host."""
    u = make_url(url)
    if u.port == DEFAULT_PORT[dialect]:
        return u._replace(port=None).render_as_string(hide_password=False)  # set() takes None as "unchanged"
    if u.port is None:
        return u.set(port=DEFAULT_PORT[dialect]).render_as_string(hide_password=False)
    swap = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
    return u.set(host=swap.get(u.host or "", u.host)).render_as_string(hide_password=False)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_restore_killed_half_way_is_not_run_over_through_another_url(make_db, dialect, tmp_path, data_dir):
    url = make_db(dialect)
    other = other_spelling(url, dialect)
    assert other != url
    setup = prepared(url, dialect, tmp_path)
    proc = ForkedCli([*setup["base"], "restore", str(setup["snap"]), "--yes"],
                     env={"NEXO_FAULT": "restore:after_drop"})
    proc.go()
    assert proc.wait() == -9, proc.stderr
    aside = user_tables(url)

    base_other = ["--db", other, *setup["base"][2:]]
    code, out, err = run_cli(*base_other, "deploy", "--no-backup")

    assert code == 3, out + err
    assert "interrupted restore" in err and str(setup["snap"]) in err, err
    assert user_tables(url) == aside  # nothing applied over the set-aside database
    # the URL the restore used finishes it (here: puts the database back), as before
    assert "as it was" in next_command(setup, tmp_path)
    assert_whole(url, dialect, setup, data_dir, "before")
    code, out, err = run_cli(*base_other, "deploy", "--no-backup")
    assert code == 0 and "up to date" in out, out + err
