"""A database password never leaks: every command and every export format runs with a URL whose
password is a unique marker (PostgreSQL trusts any password here; on MariaDB a throwaway user
is created with the marker as its password), through failures too (a failing migration, a lock
held by another process, a failing backup tool). The marker, raw or URL-encoded, must appear
nowhere: not on stdout or stderr, not in any file the runs wrote (backups' sidecars, reports,
the lock file, temporary files), not in the tool's tables.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import uuid
from urllib.parse import quote, quote_plus

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import MYSQL_URL
from tests.helpers.projects import table_project, write_sql
from tests.reliability.harness import ForkedCli, engine_for, execute, run_entry_point


@pytest.fixture
def secret_url(make_db, dialect):
    """(URL with the marker as password, marker)."""
    marker = f"Nx{uuid.uuid4().hex}!pw"
    url = make_url(make_db(dialect))
    if dialect == "postgresql":
        yield url.set(password=marker).render_as_string(hide_password=False), marker
        return
    user = f"nexo_sec_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(MYSQL_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{marker}'")  # [A-Za-z0-9!] only
        conn.exec_driver_sql(f"GRANT ALL PRIVILEGES ON `{url.database}`.* TO '{user}'@'%%'")
    try:
        yield url.set(username=user, password=marker).render_as_string(hide_password=False), marker
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
        admin.dispose()


FAILING_TOOL = "#!/bin/sh\necho \"dump failed for $PGPASSWORD $MYSQL_PWD $*\" >&2\nexit 1\n"


def forms(marker: str) -> list[bytes]:
    core = marker[2:34]  # the random part alone: a partial leak is a leak
    return [f.encode() for f in {marker, quote(marker, safe=""), quote_plus(marker), core}]


def leaks(data: bytes | str, marker: str) -> bool:
    data = data.encode("utf-8", "replace") if isinstance(data, str) else data
    return any(f in data for f in forms(marker))


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_the_password_appears_nowhere(secret_url, dialect, tmp_path, figures):
    url, marker = secret_url
    work = tmp_path / "work"
    for d in ("data", "tmp", "out", "backups"):
        (work / d).mkdir(parents=True)
    mdir = tmp_path / "m"
    ids = table_project(mdir, 3)
    config = tmp_path / "nexo.toml"
    config.write_text(f'[deploy]\nbackup_dir = "{work / "backups"}"\n')
    env = {"NEXO_DATA_DIR": str(work / "data"), "TMPDIR": str(work / "tmp"), "QT_QPA_PLATFORM": "offscreen"}
    base = ["--db", url, "--migrations", str(mdir), "--config", str(config)]
    outputs: list[tuple[list[str], int, str, str]] = []

    def nexo(*args: str, extra_env: dict | None = None, expect: int | None = 0, db: list[str] | None = None):
        p = ForkedCli([*(base if db is None else db), *args], env={**env, **(extra_env or {})})
        p.go()
        code = p.wait(180)
        outputs.append((list(args), code, p.stdout, p.stderr))
        if expect is not None:
            assert code == expect, f"{args}: exit {code}\n{p.stdout}{p.stderr}"
        return code

    nexo("status")
    nexo("status", "--json")
    nexo("validate")
    nexo("validate", "--json")
    nexo("plan", "--sql")
    nexo("plan", "--json")
    nexo("graph")
    nexo("deploy", "--json", "--to", ids[0])  # with a backup into the backup folder
    nexo("deploy")
    nexo("backup", "--out", str(work / "out" / "manual.bak"))
    nexo("backup", "--list")
    nexo("history")
    nexo("history", "--json")
    nexo("rollback", ids[2], "--yes")
    nexo("rollback", "--to", ids[0], "--yes", "--json")
    nexo("baseline", "--to", ids[1], "--yes")
    nexo("repair", ids[2], "--mark", "rolled-back", "--override-healthy", "--yes")
    nexo("restore", str(work / "out" / "manual.bak"), "--yes")
    nexo("audit", "verify")
    for fmt in ("csv", "json", "html", "pdf"):
        nexo("export", "--format", fmt, "--out", str(work / "out" / f"report.{fmt}"))
    nexo("audit", "verify", str(work / "out" / "report.json"))
    # through failures: the driver's error, a held lock, the backup tool's error, the env URL
    write_sql(mdir, "2025.01.01.000009_broken", "CREATE TABLE broken_t (id INTEGER);\nINSERT INTO nope VALUES (1);",
              "DROP TABLE broken_t;")
    nexo("deploy", "--json", "--no-backup", expect=None)
    nexo("deploy", "--no-backup", expect=None)
    (mdir / "2025.01.01.000009_broken.sql").unlink()
    if dialect == "mysql":  # a dirty row from the failure: repaired with the same URL
        execute(url, "DROP TABLE IF EXISTS broken_t")
        nexo("repair", "2025.01.01.000009_broken", "--forget-missing", "2025.01.01.000009_broken", "--yes",
             expect=None)
    from nexo_studio.core.target import Target

    target = Target(url)
    with target.locked(5):
        nexo("backup", "--out", str(work / "out" / "locked.bak"), "--lock-timeout", "0.3", expect=1)
        nexo("deploy", "--json", "--lock-timeout", "0.3", expect=None)
    target.dispose()
    tool = tmp_path / "bin" / "dump"
    tool.parent.mkdir()
    tool.write_text(FAILING_TOOL)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    nexo("backup", "--out", str(work / "out" / "failing.bak"), expect=1,
         extra_env={"NEXO_PG_DUMP": str(tool), "NEXO_MYSQLDUMP": str(tool)})
    nexo("status", "--json", extra_env={"NEXO_DATABASE_URL": url}, db=["--migrations", str(mdir)])
    bad_port = make_url(url).set(port=1).render_as_string(hide_password=False)
    nexo("status", expect=1, db=["--db", bad_port, "--migrations", str(mdir)])
    # a sample through the real entry point too
    r = run_entry_point(*base, "status", env=env)
    outputs.append((["entry point status"], r.returncode, r.stdout, r.stderr))
    r = run_entry_point("--db", bad_port, "--migrations", str(mdir), "deploy", env=env)
    outputs.append((["entry point deploy, bad port"], r.returncode, r.stdout, r.stderr))
    assert r.returncode == 1 and "127.0.0.1:1" in r.stderr

    for args, code, out, err in outputs:
        assert not leaks(out, marker), f"{args} printed the password on stdout:\n{out}"
        assert not leaks(err, marker), f"{args} printed the password on stderr:\n{err}"
    written = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(mdir)]
    for path in written:
        assert not leaks(path.read_bytes(), marker), f"the password is in {path}"
    assert not list((work / "tmp").glob("nexo-*.cnf")), "an option file with the password was left behind"
    pdf = work / "out" / "report.pdf"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout
        assert text.strip() and not leaks(text, marker)
    engine = engine_for(url)
    with engine.connect() as conn:
        q = "`" if dialect == "mysql" else '"'
        for table in ("__Migrations", "__MigrationHistory", "__NexoMeta"):
            rows = conn.exec_driver_sql(f"SELECT * FROM {q}{table}{q}").all()
            assert rows and not leaks(repr(rows), marker), f"the password is in {table}"
    engine.dispose()
    sidecars = [p for p in written if p.name.endswith(".json") and ".bak" in p.name or p.suffix == ".json"]
    assert sidecars
    figures("secrets", f"{dialect} commands run with the marker password", len(outputs))
    figures("secrets", f"{dialect} files scanned", len(written))


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_password_in_the_query_string_is_redacted(secret_url, dialect, tmp_path):
    """``?password=...`` (honoured by PyMySQL and libpq) and other credential-bearing query
    parameters are hidden wherever the URL is shown: status text and ``--json`` ``database``,
    reports, errors."""
    url, marker = secret_url
    u = make_url(url)
    query = {"password": marker} if dialect == "mysql" else {"password": marker, "sslpassword": marker}
    url = u.set(password=None).update_query_dict(query).render_as_string(hide_password=False)
    mdir = tmp_path / "m"
    table_project(mdir, 2)
    base = ["--db", url, "--migrations", str(mdir)]
    runs = []
    for args in (["deploy", "--no-backup"], ["status"], ["status", "--json"], ["validate"], ["audit", "verify"],
                 ["export", "--format", "json", "--out", str(tmp_path / "r.json")]):
        p = ForkedCli([*base, *args])
        p.go()
        runs.append((args, p.wait(120), p.stdout, p.stderr))
    bad_port = make_url(url).set(port=1).render_as_string(hide_password=False)
    p = ForkedCli(["--db", bad_port, "--migrations", str(mdir), "status"])
    p.go()
    runs.append((["status, bad port"], p.wait(60), p.stdout, p.stderr))
    for args, code, out, err in runs:
        assert code == (1 if args == ["status, bad port"] else 0), f"{args}: {code}\n{out}{err}"
        assert not leaks(out, marker) and not leaks(err, marker), f"{args} printed the password:\n{out}{err}"
    doc = next(__import__("json").loads(out) for args, _c, out, _e in runs if args == ["status", "--json"])
    assert all(f"{k}=***" in doc["database"] for k in query), doc["database"]
    assert not leaks((tmp_path / "r.json").read_bytes(), marker)


def test_redaction_of_urls_in_text():
    from nexo_studio.core.db import display_url, parse_url, redact

    for raw in ("mysql+pymysql://root@h:3306/db?charset=utf8mb4&password=Sx1&pwd=Sx2&PASSWD=Sx3",
                "postgresql://u:Sx0@h/db?sslpassword=Sx4&auth_token=Sx5&client_secret=Sx6&application_name=app"):
        for shown in (redact(raw), display_url(parse_url(raw)), redact(f"cannot use {raw}: boom")):
            assert "Sx" not in shown, shown
            assert "@h" in shown and ("charset=utf8mb4" in shown or "application_name=app" in shown), shown


def test_a_config_file_url_with_a_password_in_its_query_is_refused(tmp_path):
    from nexo_studio.core.config import load_config
    from nexo_studio.errors import ConfigError

    config = tmp_path / "nexo.toml"
    config.write_text('[database]\nurl = "mysql+pymysql://root@127.0.0.1/db?password=Sx1"\n')
    with pytest.raises(ConfigError, match="password") as info:
        load_config(config)
    assert "Sx1" not in str(info.value) and "nexo.toml" in str(info.value)


def test_the_gui_stores_urls_without_query_string_passwords(tmp_path):
    """Connection profiles and the recent list keep URLs without any credential."""
    from nexo_studio.qt.connections import url_without_password

    kept = url_without_password("mysql+pymysql://root@h:3306/db?charset=utf8mb4&password=Sx1&sslpassword=Sx2")
    assert "Sx" not in kept and "charset=utf8mb4" in kept and "root@h:3306/db" in kept, kept
    assert "Sx" not in url_without_password("postgresql://u:Sx3@h/db?auth_token=Sx4")
