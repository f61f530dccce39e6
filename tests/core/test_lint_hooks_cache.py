"""`validate`'s lint (core/lint/hooks.py + cache.py) says exactly what the full engine says about
`up` sections (errors and warnings), from a cold or a warm per-migration cache, and a cached
entry is not reused once the tables made before its migration change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.lint import write_project
from nexo_studio.core.lint import lint_migrations
from nexo_studio.core.lint.hooks import up_findings
from nexo_studio.core.project import Project
from tests.helpers.projects import write_sql


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("NEXO_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "cache"


def ordered(folder: Path):
    p = Project.load(folder)
    return [p.migrations[i] for i in p.order()]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_same_findings_as_the_engine_cold_and_warm(tmp_path, dialect, cache_dir):
    write_project(tmp_path / "m", 60)
    ms = ordered(tmp_path / "m")
    expected = [f for f in lint_migrations(ms, dialect) if f.section == "up" and f.level != "info"]
    assert expected  # the mix has risks of every family
    assert up_findings(ms, dialect, cache=False) == expected
    assert up_findings(ms, dialect) == expected  # cold: fills the cache
    assert (cache_dir / f"lint-{dialect}.json").exists()
    assert up_findings(ordered(tmp_path / "m"), dialect) == expected  # warm, fresh load


def test_cached_entry_not_reused_when_earlier_tables_change(tmp_path):
    m = tmp_path / "m"
    write_sql(m, "2025.01.02.000001_index_users", "CREATE INDEX ix_email ON users (email);")
    first = up_findings(ordered(m), "postgresql")
    assert [f.code for f in first] == ["create_index_locks"]  # users existed before
    write_sql(m, "2025.01.01.000001_make_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);")
    assert up_findings(ordered(m), "postgresql") == []  # now users is made in the same plan
    (m / "2025.01.01.000001_make_users.sql").unlink()
    assert up_findings(ordered(m), "postgresql") == first


def test_a_corrupt_cache_is_ignored(tmp_path, cache_dir):
    write_sql(tmp_path / "m", "2025.01.01.000001_drop", "DROP TABLE legacy;")
    cache_dir.mkdir(parents=True)
    (cache_dir / "lint-sqlite.json").write_text("{not json", encoding="utf-8")
    assert [f.code for f in up_findings(ordered(tmp_path / "m"), "sqlite")] == ["drop_table"]
    assert json.loads((cache_dir / "lint-sqlite.json").read_text(encoding="utf-8"))["entries"]
