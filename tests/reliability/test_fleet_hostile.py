"""Hostile targets files for the fleet commands (SPEC §9): each is refused with exit 2 before any
target is opened, the message names the file, the line and the target, stays short, and shows
no password; no target changes -- a good SQLite target's file is not even created and a good
PostgreSQL target gets no table. Two targets naming one database are served one after the
other by that database's lock (proven with migrations slow enough to overlap).
Real `nexo` (``main()``), real SQLite files, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers.projects import table_project, write_sql
from tests.reliability.harness import ForkedCli, run_cli, slow_sql, status_json, tables

SECRET = "s3cretFleetkill"
BIG = 1_000_000


def _good(tmp: Path, pg_url: str) -> str:
    return (f'[fleet]\nparallel = 2\n\n[[targets]]\nname = "good-lite"\nurl = "sqlite:///{tmp / "good.db"}"\n'
            f'tags = ["canary"]\n\n[[targets]]\nname = "good-pg"\nurl = "{pg_url}"\n')


#: name -> (the hostile [[targets]] entry appended after the two good ones, or a whole file;
#:          what the message must say; the target it must name; the line it must name)
CASES = {
    "duplicate name": ('\n[[targets]]\nname = "good-pg"\nurl = "sqlite:///other.db"\n', "used twice", "good-pg", 13),
    "path-like name": ('\n[[targets]]\nname = "../etc"\nurl = "sqlite:///x.db"\n', "[a-z0-9_.-]+", "../etc", 13),
    "name with a space": ('\n[[targets]]\nname = "eu 1"\nurl = "sqlite:///x.db"\n', "[a-z0-9_.-]+", "eu 1", 13),
    "non-ASCII name": ('\n[[targets]]\nname = "café"\nurl = "sqlite:///x.db"\n', "[a-z0-9_.-]+", "caf", 13),
    "password in user info": (f'\n[[targets]]\nname = "pw"\nurl = "postgresql+psycopg://app:{SECRET}@db/x"\n',
                              "must not contain a password", "pw", 13),
    "password in the query": (f'\n[[targets]]\nname = "pw"\nurl = "postgresql+psycopg://app@db/x?password={SECRET}"\n',
                              "must not contain a password", "pw", 13),
    "sslpassword in the query": (f'\n[[targets]]\nname = "pw"\nurl = "mysql+pymysql://app@db/x?ssl_key=k&sslpassword={SECRET}"\n',
                                 "must not contain a password", "pw", 13),
    "unknown dialect": ('\n[[targets]]\nname = "ora"\nurl = "foo://app@db/x"\n', "foo", "ora", 13),
    "unsupported dialect": ('\n[[targets]]\nname = "ora"\nurl = "oracle://app@db/x"\n', "oracle", "ora", 13),
    "unknown driver": ('\n[[targets]]\nname = "pg2"\nurl = "postgresql+nodriver://app@db/x"\n', "nodriver", "pg2", 13),
    "1 MB name": ('\n[[targets]]\nname = "' + "a" * BIG + '"\nurl = "sqlite:///big.db"\n', "characters", "aaaa", 13),
    "1 MB bad name": ('\n[[targets]]\nname = "' + "A" * BIG + '"\nurl = "sqlite:///big.db"\n', "[a-z0-9_.-]+", "AAAA", 13),
    "1 MB url": ('\n[[targets]]\nname = "huge"\nurl = "sqlite:///' + "x" * BIG + '.db"\n', "characters", "huge", 13),
    "unknown key": ('\n[[targets]]\nname = "k"\nurl = "sqlite:///k.db"\ncolour = "red"\n', "unknown key", "k", 13),
}


@pytest.fixture(scope="module")
def shared_pg():
    """One PostgreSQL database for the refusal cases (each must leave it without a table)."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from tests.conftest import POSTGRES_URL, _server_unavailable

    name = f"nexo_t_fleethostile_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        _server_unavailable("postgresql", POSTGRES_URL, exc)
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def _check_refused(code: int, out: str, err: str, targets: Path, *must: str) -> dict:
    assert code == 2, out + err
    doc = json.loads(out)
    message = doc["error"]["message"]
    assert str(targets) in message, message
    for text in must:
        assert text in message, (text, message)
    assert len(out) + len(err) < 4000, f"{len(out) + len(err)} characters of output"
    assert SECRET not in out + err
    return doc


def _nothing_changed(tmp: Path, pg_url: str) -> None:
    assert not (tmp / "good.db").exists()
    assert not list(tmp.rglob("*.db"))
    assert tables(pg_url) == set()


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_target_is_refused_naming_file_line_and_target(shared_pg, tmp_path, case):
    mdir = tmp_path / "m"
    table_project(mdir, 2)
    pg_url = shared_pg
    entry, says, name, line = CASES[case]
    targets = tmp_path / "targets.toml"
    targets.write_text(_good(tmp_path, pg_url) + entry, encoding="utf-8")
    for command in (["deploy", "--no-backup"], ["rollback", "--to", "0", "--yes"], ["status"],
                    ["export", "--format", "json", "--out", str(tmp_path / "out.json")]):
        code, out, err = run_cli("--migrations", str(mdir), "fleet", *command, "--targets", str(targets), "--json")
        _check_refused(code, out, err, targets, says, name, f"line {line}")
    _nothing_changed(tmp_path, pg_url)
    assert not (tmp_path / "out.json").exists()


def test_targets_file_that_is_not_utf8_names_its_line(make_db, tmp_path):
    mdir = tmp_path / "m"
    table_project(mdir, 2)
    pg_url = make_db("postgresql")
    targets = tmp_path / "targets.toml"
    targets.write_bytes(_good(tmp_path, pg_url).encode() + '\n[[targets]]\nname = "café"\n'.encode("latin-1"))
    code, out, err = run_cli("--migrations", str(mdir), "fleet", "deploy", "--no-backup", "--targets", str(targets),
                             "--json")
    _check_refused(code, out, err, targets, "UTF-8", "line 14")
    _nothing_changed(tmp_path, pg_url)


def test_tag_matching_nothing_is_refused_and_changes_nothing(make_db, tmp_path):
    mdir = tmp_path / "m"
    table_project(mdir, 2)
    pg_url = make_db("postgresql")
    targets = tmp_path / "targets.toml"
    targets.write_text(_good(tmp_path, pg_url), encoding="utf-8")
    code, out, err = run_cli("--migrations", str(mdir), "fleet", "deploy", "--no-backup", "--targets", str(targets),
                             "--tag", "no-such-tag", "--json")
    _check_refused(code, out, err, targets, "no target tagged no-such-tag")
    # a 1 MB tag or target name on the command line: refused too, and not echoed whole
    code, out, err = run_cli("--migrations", str(mdir), "fleet", "deploy", "--no-backup", "--targets", str(targets),
                             "--target", "b" * BIG, "--json")
    _check_refused(code, out, err, targets, "no target named bbbb")
    _nothing_changed(tmp_path, pg_url)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_two_targets_on_one_database_never_run_at_once(make_db, tmp_path, dialect):
    """Both start at once (--parallel 2); the database's lock makes the second wait until the
    first has applied everything, so it finds nothing to do: each migration applied once."""
    mdir = tmp_path / "m"
    ids = []
    for i in range(1, 4):
        mid = f"2025.03.01.{i:06d}_slow_{i}"
        write_sql(mdir, mid, f"CREATE TABLE s{i} (id INTEGER);\n{slow_sql(dialect, 0.4)};", f"DROP TABLE s{i};",
                  depends=ids[-1:])
        ids.append(mid)
    url = make_db(dialect)
    alias = url  # the same database; SQLite: the same file by another path
    if dialect == "sqlite":
        alias = "sqlite:///" + str(tmp_path / "m" / ".." / Path(url.split("///", 1)[1]).name)
    targets = tmp_path / "targets.toml"
    targets.write_text(f'[[targets]]\nname = "one"\nurl = "{url}"\n\n[[targets]]\nname = "same"\nurl = "{alias}"\n',
                       encoding="utf-8")
    proc = ForkedCli(["--migrations", str(mdir), "fleet", "deploy", "--no-backup", "--parallel", "2",
                      "--targets", str(targets), "--json"])
    proc.go()
    assert proc.wait(120) == 0, proc.stdout + proc.stderr
    doc = proc.json()
    got = sorted(t["status"] for t in doc["targets"])
    assert got == ["deployed", "up_to_date"], doc
    code, out, err = run_cli("--db", url, "--migrations", str(mdir), "history", "--limit", "0", "--json")
    events = json.loads(out)["events"]
    applies = [e["migration_id"] for e in events if e["action"] == "apply" and e["status"] == "ok"]
    assert sorted(applies) == ids, applies  # each once
    assert [e["action"] for e in events].count("deploy_start") == 1
    assert status_json(url, mdir)["counts"] == {"applied": 3}
    assert run_cli("--db", url, "audit", "verify")[0] == 0


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_url_parameter_the_driver_refuses_fails_that_target_only(make_db, tmp_path, dialect):
    """Only the driver knows its parameters: such a target fails when it connects, with the
    driver's message, like an unreachable one -- the run goes on (canary first, the rest with
    --continue-on-error) and reports every target; nothing is written to the bad target."""
    mdir = tmp_path / "m"
    table_project(mdir, 2)
    good, bad = make_db("sqlite"), make_db(dialect)
    targets = tmp_path / "targets.toml"
    targets.write_text(f'[[targets]]\nname = "good"\nurl = "{good}"\ntags = ["canary"]\n\n'
                       f'[[targets]]\nname = "odd"\nurl = "{bad}?no_such_option=1"\n', encoding="utf-8")
    code, out, err = run_cli("--migrations", str(mdir), "fleet", "deploy", "--no-backup", "--continue-on-error",
                             "--targets", str(targets), "--json")
    assert code == 1, out + err
    doc = json.loads(out)
    got = {t["name"]: t for t in doc["targets"]}
    assert got["good"]["status"] == "deployed"
    assert got["odd"]["status"] in ("failed", "unreachable") and "no_such_option" in got["odd"]["error"]["message"]
    assert tables(bad) == set()


class _Keyring:
    """An in-memory OS keyring for a forked `nexo` (the real lookup code runs against it)."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets

    def install(self) -> None:
        import keyring
        from keyring.backend import KeyringBackend

        secrets = self.secrets

        class Backend(KeyringBackend):
            priority = 1  # type: ignore[assignment]

            def get_password(self, service, username):
                return secrets.get(username) if service == "nexo-studio" else None

            def set_password(self, service, username, password):
                secrets[username] = password

            def delete_password(self, service, username):
                secrets.pop(username, None)

        keyring.set_keyring(Backend())


def test_keyring_passwords_of_a_fleet_appear_nowhere(make_db, tmp_path):
    """Targets whose password comes from the keyring (PostgreSQL trusts any; MariaDB: a user
    created with it), one unreachable, one whose migration fails: the password is in no output,
    JSON document, export file or table of any target."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from nexo_studio.core.config import keyring_key
    from tests.conftest import MYSQL_URL
    from tests.reliability.harness import engine_for, execute
    from tests.reliability.test_secrets import leaks

    marker = f"Nx{uuid.uuid4().hex}!pw"
    mdir = tmp_path / "m"
    ids = table_project(mdir, 3)
    pg, pg_bad, maria = make_db("postgresql"), make_db("postgresql"), make_db("mysql")
    execute(pg_bad, "CREATE TABLE t3 (x INTEGER)")  # its third migration fails
    user = f"nexo_fk_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(MYSQL_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{marker}'")
        conn.exec_driver_sql(f"GRANT ALL PRIVILEGES ON `{make_url(maria).database}`.* TO '{user}'@'%%'")
    urls = {"pg": pg, "pg-bad": pg_bad, "maria": make_url(maria).set(username=user).render_as_string(False),
            "down": make_url(pg).set(port=1).render_as_string(False)}
    ring = _Keyring({keyring_key(make_url(u)): marker for u in urls.values()})
    targets = tmp_path / "targets.toml"
    targets.write_text("".join(f'[[targets]]\nname = "{n}"\nurl = "{u}"\n\n' for n, u in urls.items()), encoding="utf-8")
    base = ["--migrations", str(mdir), "fleet"]
    outputs = []
    try:
        for args in (["status", "--json"], ["status", "--matrix"], ["deploy", "--no-backup", "--continue-on-error"],
                     ["deploy", "--no-backup", "--continue-on-error", "--json"], ["status"],
                     ["rollback", "--to", ids[0], "--yes", "--continue-on-error", "--json"],
                     *(["export", "--format", f, "--out", str(tmp_path / f"fleet.{f}")] for f in ("csv", "json", "html"))):
            proc = ForkedCli([*base, *args, "--targets", str(targets)], env={"NEXO_NO_KEYRING": ""},
                             in_child=ring.install)
            proc.go()
            proc.wait(120)
            outputs.append((args, proc.stdout, proc.stderr))
        deployed = [out for a, out, _e in outputs if a[0] == "deploy" and "--json" not in a][0]
        assert re.search(r"maria +mysql +deployed", deployed) and re.search(r"pg +postgresql +deployed", deployed), \
            deployed  # the keyring's password was used
        assert re.search(r"pg-bad +postgresql +failed", deployed) and re.search(r"down +postgresql +unreachable",
                                                                             deployed), deployed
        for args, out, err in outputs:
            assert not leaks(out + err, marker), f"{args} printed the password:\n{out}{err}"
        for f in ("csv", "json", "html"):
            assert not leaks((tmp_path / f"fleet.{f}").read_bytes(), marker), f
        for name in ("pg", "pg-bad", "maria"):
            engine = engine_for(maria if name == "maria" else urls[name])
            with engine.connect() as conn:
                for table in sa.inspect(conn).get_table_names():
                    rows = conn.execute(sa.text(f"SELECT * FROM {'`' if name == 'maria' else chr(34)}{table}"
                                                f"{'`' if name == 'maria' else chr(34)}")).all()
                    assert not leaks(repr(rows), marker), (name, table)
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
        admin.dispose()
