"""Alembic, the real tool (PyPI `alembic`, the `alembic` test extra): `alembic upgrade heads` migrates a
fresh database; nexo imports the revisions as .py migrations running the original upgrade()/downgrade()
with Alembic's op, and adopts the database (alembic_version left as it was)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.adopt.helpers import need_tool, new_on_top_and_roll_back, nexo, rows_of, same_schema_as_fresh_nexo, take_over

ENV = '''from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.",
                            poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
'''

# file, revision, down_revision, depends_on, upgrade body, downgrade body
REVISIONS = [
    ("0001_users", "a1", None, None, 'op.create_table("al_users", sa.Column("id", sa.Integer, primary_key=True),'
     ' sa.Column("name", sa.String(50)))', 'op.drop_table("al_users")'),
    ("0002_email", "a2", "a1", None, 'op.add_column("al_users", sa.Column("email", sa.String(100)))',
     'op.drop_column("al_users", "email")'),
    ("0003_posts", "b3", "a2", None, 'op.create_table("al_posts", sa.Column("id", sa.Integer, primary_key=True))',
     'op.drop_table("al_posts")'),
    ("0003_tags", "c3", "a2", None, 'op.create_table("al_tags", sa.Column("id", sa.Integer, primary_key=True),'
     ' sa.Column("label", sa.String(20)))', 'op.drop_table("al_tags")'),
    ("0004_merge", "m4", ("b3", "c3"), None, "pass", "pass"),
    ("0005_seed_tags", "d5", "m4", None,
     't = sa.table("al_tags", sa.column("id", sa.Integer), sa.column("label", sa.String))\n'
     '    op.bulk_insert(t, [{"id": 1, "label": "a"}, {"id": 2, "label": "b%s:x"}])',
     'op.execute("DELETE FROM al_tags")'),
    ("0006_upper", "e6", "d5", None, 'op.execute("UPDATE al_tags SET label = UPPER(label)")',
     'op.execute("UPDATE al_tags SET label = LOWER(label)")'),
    ("0007_index", "f7", "e6", None, 'op.create_index("al_users_name", "al_users", ["name"])',
     'op.drop_index("al_users_name", table_name="al_users")'),
    ("0008_audit", "g8", "f7", "c3", 'op.create_table("al_audit", sa.Column("id", sa.Integer, primary_key=True))',
     'op.drop_table("al_audit")'),
    ("0009_note", "h9", "g8", None, 'op.add_column("al_audit", sa.Column("note", sa.Text))',
     'op.drop_column("al_audit", "note")'),
    ("0010_late", "i10", "h9", None, 'op.create_table("al_late", sa.Column("id", sa.Integer, primary_key=True))',
     'op.drop_table("al_late")'),
]


def write_project(root: Path, url: str) -> Path:
    src = root / "al"
    versions = src / "alembic" / "versions"
    versions.mkdir(parents=True)
    (src / "alembic.ini").write_text(f"[alembic]\nscript_location = alembic\nsqlalchemy.url = {url}\n")
    (src / "alembic" / "env.py").write_text(ENV)
    for file, rev, down, depends_on, up, dn in REVISIONS:
        (versions / f"{file}.py").write_text(
            f'"""{file[5:].replace("_", " ")}\n\nRevision ID: {rev}\n"""\nfrom alembic import op\n'
            f"import sqlalchemy as sa\n\nrevision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\n"
            f"depends_on = {depends_on!r}\n\n\ndef upgrade():\n    {up}\n\n\ndef downgrade():\n    {dn}\n")
    return src


def alembic(src: Path, *args: str) -> None:
    try:
        import alembic as _  # noqa: F401
    except ImportError:
        need_tool("/nonexistent/alembic", "alembic (pip install -e '.[test]')")
    r = subprocess.run([sys.executable, "-m", "alembic", "-c", str(src / "alembic.ini"), *args], cwd=src,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mysql"])
def test_alembic_database_taken_over(tmp_path, make_db, dialect):
    url = make_db(dialect)
    src = write_project(tmp_path, url)
    alembic(src, "upgrade", "heads")
    got = take_over(tmp_path, url, "alembic", src, "alembic_version")
    mapping = got["import"]["mapping"]
    ids = {m["foreign_id"]: m["migration_id"] for m in mapping}
    merge = (got["mig"] / f"{ids['m4']}.py").read_text()
    assert f"depends = [{ids['b3']!r}, {ids['c3']!r}]" in merge  # the merge keeps both parents
    audit = (got["mig"] / f"{ids['g8']}.py").read_text()
    assert f"depends = [{ids['f7']!r}, {ids['c3']!r}]" in audit  # depends_on kept
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT label FROM al_tags ORDER BY id").scalars().all() == ["A", "B%S:X"]
    engine.dispose()
    if dialect == "postgresql":
        same_schema_as_fresh_nexo(tmp_path, make_db, url, got["mig"], ("alembic_version",))
    new_on_top_and_roll_back(got["base"], got["mig"], url, ids["f7"], "al_audit")
    assert rows_of(url, "alembic_version") == got["foreign_rows"]


def test_alembic_partly_upgraded_database_leaves_the_rest_pending(tmp_path, make_db):
    url = make_db("sqlite")
    src = write_project(tmp_path, url)
    alembic(src, "upgrade", "d5")
    mig = tmp_path / "m"
    base = ["--db", url, "--migrations", str(mig)]
    assert nexo(*base, "import", "--from", "alembic", str(src)).returncode == 0
    r = nexo(*base, "adopt", "--from", "alembic", "--yes", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = __import__("json").loads(r.stdout)
    assert doc["counts"] == {"matched-applied": 6, "pending": 5} and len(doc["adopted"]) == 6, doc
    r = nexo(*base, "deploy", "--no-backup", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "al_late" in sa.inspect(sa.create_engine(url)).get_table_names()
