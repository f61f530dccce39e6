"""`nexo new` (SPEC §7): a template that validates, a version never reused, malformed files named."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from nexo_studio.core.loader import load_project
from nexo_studio.core.scaffold import new_migration
from tests.cli.test_cli import nexo
from tests.helpers.projects import table_project

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
BROKEN = "-- description: broken\n-- +up\n\n-- +down\n"


def test_template_validates_as_written_and_deploys(tmp_path, make_db, dialect):
    r = nexo("new", "add_things", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    path = Path(r.stdout.strip())
    text = path.read_text()
    assert "SELECT 1;" in text and "replace" in text.lower()
    r = nexo("validate", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    base = ["--db", make_db(dialect), "--migrations", str(tmp_path / "migrations")]
    r = nexo(*base, "deploy", "--no-backup")
    assert r.returncode == 0, r.stdout + r.stderr
    r = nexo(*base, "rollback", "--to", "0", "--yes")
    assert r.returncode == 0, r.stdout + r.stderr


def test_two_new_in_the_same_second_get_two_versions(tmp_path):
    m = tmp_path / "m"
    a = new_migration(m, "a_x", now=NOW)
    b = new_migration(m, "b_x", now=NOW)
    assert a.name.split("_")[0] != b.name.split("_")[0]
    loaded = load_project(m)
    assert not loaded.errors and not loaded.duplicates and len(loaded.migrations) == 2
    assert loaded.migrations[b.stem].depends == (a.stem,)


def test_new_skips_the_version_of_a_malformed_file(tmp_path):
    m = tmp_path / "m"
    m.mkdir()
    (m / "2026.01.02.030405_broken.sql").write_text(BROKEN)
    path = new_migration(m, "next", depends=[], now=NOW)
    assert path.name == "2026.01.02.030406_next.sql"


def test_new_refuses_to_guess_heads_past_a_malformed_file(tmp_path):
    m = tmp_path / "m"
    table_project(m, 1)
    (m / "2025.06.01.000000_broken.sql").write_text(BROKEN)
    r = nexo("--migrations", str(m), "new", "after", cwd=tmp_path)
    assert r.returncode == 2
    assert "2025.06.01.000000_broken.sql" in r.stderr and "--depends" in r.stderr
    assert len(list(m.iterdir())) == 2  # nothing written


def test_every_listing_names_a_malformed_file(tmp_path):
    m = tmp_path / "m"
    table_project(m, 2)
    (m / "2025.06.01.000000_broken.sql").write_text(BROKEN)
    base = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m)]
    r = nexo(*base, "status")
    assert r.returncode == 0, r.stderr
    assert "2025.06.01.000000_broken.sql" in r.stdout and "file_error" in r.stdout
    assert "1 malformed file" in r.stdout
    r = nexo(*base, "status", "--json")
    assert any(f["code"] == "file_error" for f in json.loads(r.stdout)["findings"])
    for cmd in (["validate"], ["plan"], ["graph"]):
        r = nexo(*base, *cmd)
        assert "2025.06.01.000000_broken.sql" in r.stdout + r.stderr, cmd
