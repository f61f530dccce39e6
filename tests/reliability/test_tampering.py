"""The state tables changed behind the tool's back: a __Migrations row deleted, its checksum or
status edited, a row inserted, history rows deleted from the end, tables dropped. The tool
notices (status shows the migration ``dirty`` with a ``tampered`` finding, ``nexo audit verify``
exits 1 and says what), refuses to deploy (exit 3) and changes nothing until ``nexo repair``
resolves it; after that deploy works and the audit passes.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers.projects import table_project, write_sql
from tests.reliability.harness import execute, q, run_cli, status_json, tables, user_tables


def setup(db_url: str, tmp_path):
    mdir = tmp_path / "m"
    ids = table_project(mdir, 3)
    base = ["--db", db_url, "--migrations", str(mdir)]
    assert run_cli(*base, "deploy", "--no-backup")[0] == 0
    return mdir, ids, base


def history_len(base) -> int:
    code, out, err = run_cli(*base, "history", "--json", "--limit", "0")
    return len(json.loads(out)["events"])


def refused(base, mdir, *names: str) -> None:
    """Deploy (of a new migration) refuses with exit 3 naming ``names``; nothing changes."""
    write_sql(mdir, "2025.01.01.000009_later", "CREATE TABLE later_t (id INTEGER);", "DROP TABLE later_t;")
    before, schema = history_len(base), user_tables(base[1])
    code, out, err = run_cli(*base, "deploy", "--json", "--no-backup")
    doc = json.loads(out)
    assert code == 3 and doc["error"]["type"] == "DatabaseNeedsRepair", doc
    for name in names:
        assert name in doc["error"]["message"], doc["error"]["message"]
    code, out, err = run_cli(*base, "rollback", "--to", "0", "--yes", "--json")
    assert code == 3, out + err
    assert user_tables(base[1]) == schema and history_len(base) == before


def audit_fails(base, *words: str) -> str:
    code, out, err = run_cli(*base, "audit", "verify")
    assert code == 1, out + err
    for w in words:
        assert w in out, out
    return out


def healthy(base, mdir) -> None:
    code, out, err = run_cli(*base, "audit", "verify")
    assert code == 0, out + err
    code, out, err = run_cli(*base, "deploy", "--json", "--no-backup")
    assert code == 0, out + err
    assert {m["status"] for m in status_json(base[1], mdir)["migrations"]} == {"applied"}
    assert run_cli(*base, "audit", "verify")[0] == 0


def tampered_status(url, mdir, mid: str) -> dict:
    doc = status_json(url, mdir)
    st = {m["id"]: m["status"] for m in doc["migrations"]}
    assert st[mid] == "dirty", st
    assert any(f["code"] == "tampered" and mid in f["ids"] for f in doc["findings"]), doc["findings"]
    return st


def test_a_deleted_migrations_row(db_url, tmp_path, figures):
    mdir, ids, base = setup(db_url, tmp_path)
    execute(db_url, f"DELETE FROM {q(db_url, '__Migrations')} WHERE id = :i", params={"i": ids[1]})
    tampered_status(db_url, mdir, ids[1])
    refused(base, mdir, ids[1])
    audit_fails(base, ids[1], "deleted")
    assert run_cli(*base, "repair", ids[1], "--mark", "applied", "--yes")[0] == 0
    healthy(base, mdir)
    figures("tampering", "cases detected and repaired", 1)


def test_an_edited_checksum_or_status(db_url, tmp_path, figures):
    mdir, ids, base = setup(db_url, tmp_path)
    m = q(db_url, "__Migrations")
    execute(db_url, f"UPDATE {m} SET checksum = :c WHERE id = :i", params={"c": "0" * 64, "i": ids[0]})
    execute(db_url, f"UPDATE {m} SET status = 'rolled_back' WHERE id = :i", params={"i": ids[2]})
    st = tampered_status(db_url, mdir, ids[0])  # not "drifted": the file did not change
    findings = status_json(db_url, mdir)["findings"]
    assert not [f for f in findings if f["code"] == "drift"], findings  # dirty (tampered), not drifted
    code, out, err = run_cli(*base, "status")
    assert "changed after it was applied" not in out, out
    assert st[ids[2]] == "dirty"
    refused(base, mdir, ids[0], ids[2])
    audit_fails(base, ids[0], "checksum", ids[2])
    code, out, err = run_cli(*base, "repair", ids[0], "--accept-checksum", "--yes")
    assert code == 2  # it is not a drifted file: accepting a checksum is not the repair
    for mid in (ids[0], ids[2]):
        assert run_cli(*base, "repair", mid, "--mark", "applied", "--yes")[0] == 0
    healthy(base, mdir)
    figures("tampering", "cases detected and repaired", 2)


def test_a_row_the_history_never_wrote(db_url, tmp_path, figures):
    mdir, ids, base = setup(db_url, tmp_path)
    write_sql(mdir, "2025.01.01.000004_fake", "CREATE TABLE fake_t (id INTEGER);", "DROP TABLE fake_t;")
    execute(db_url, f"INSERT INTO {q(db_url, '__Migrations')} (id, version, name, checksum, status, depends) "
                    "VALUES ('2025.01.01.000004_fake', '2025.01.01.000004', 'fake', :c, 'applied', '[]')",
            params={"c": "1" * 64})
    tampered_status(db_url, mdir, "2025.01.01.000004_fake")
    refused(base, mdir, "2025.01.01.000004_fake")
    audit_fails(base, "never applied")
    assert run_cli(*base, "repair", "2025.01.01.000004_fake", "--mark", "rolled-back", "--yes")[0] == 0
    healthy(base, mdir)
    assert "fake_t" in user_tables(db_url)  # deployed for real this time
    figures("tampering", "cases detected and repaired", 1)


def test_rows_deleted_from_the_end_of_the_history(db_url, tmp_path, figures):
    mdir, ids, base = setup(db_url, tmp_path)
    h = q(db_url, "__MigrationHistory")
    last = execute(db_url, f"SELECT MAX(seq) FROM {h}")[0][0]
    execute(db_url, f"DELETE FROM {h} WHERE seq = :s", params={"s": last})  # deploy_end: the chain still verifies
    out = audit_fails(base, f"seq {last}", "deleted")
    assert f"seq {last}" in out.splitlines()[0] or "intact" in out.splitlines()[0]
    refused(base, mdir, "__MigrationHistory")
    code, out, err = run_cli(*base, "repair", "--accept-history", "--yes")
    assert code == 0, out + err
    code, out, err = run_cli(*base, "history", "--json", "--limit", "1")
    (event,) = json.loads(out)["events"]
    assert event["action"] == "repair" and event["details"]["repair"] == "accept-history"  # the loss is on record
    healthy(base, mdir)
    # deleting more, apply rows included: the tail and every migration whose apply is gone
    last = execute(db_url, f"SELECT MAX(seq) FROM {h}")[0][0]
    execute(db_url, f"DELETE FROM {h} WHERE seq > :s", params={"s": last - 3})
    doc = status_json(db_url, mdir)
    dirty = [m["id"] for m in doc["migrations"] if m["status"] == "dirty"]
    assert dirty, doc
    refused(base, mdir, "__MigrationHistory", *dirty)
    assert run_cli(*base, "repair", "--accept-history", "--yes")[0] == 0
    for mid in dirty:
        assert run_cli(*base, "repair", mid, "--mark", "applied", "--yes")[0] == 0
    healthy(base, mdir)
    figures("tampering", "cases detected and repaired", 2)


def test_state_tables_dropped(db_url, tmp_path, figures):
    mdir, ids, base = setup(db_url, tmp_path)
    m, h = q(db_url, "__Migrations"), q(db_url, "__MigrationHistory")
    # __Migrations dropped: the history still says what was applied
    execute(db_url, f"DROP TABLE {m}")
    for mid in ids:
        tampered_status(db_url, mdir, mid)
    refused(base, mdir, *ids)
    audit_fails(base, "__Migrations is missing")
    for mid in ids:
        assert run_cli(*base, "repair", mid, "--mark", "applied", "--yes")[0] == 0
    healthy(base, mdir)
    # __MigrationHistory dropped (__NexoMeta remembers it had rows)
    execute(db_url, f"DROP TABLE {h}")
    refused(base, mdir, "__MigrationHistory is missing")
    audit_fails(base, "__MigrationHistory is missing")
    assert run_cli(*base, "repair", "--accept-history", "--yes")[0] == 0
    doc = status_json(db_url, mdir)
    never = [x["id"] for x in doc["migrations"] if x["status"] == "dirty"]  # rows the history has lost
    assert set(never) >= set(ids)
    for mid in never:
        assert run_cli(*base, "repair", mid, "--mark", "applied", "--yes")[0] == 0
    healthy(base, mdir)
    # both dropped: __NexoMeta is the witness; accept, then baseline what is really there
    execute(db_url, f"DROP TABLE {m}", f"DROP TABLE {h}")
    refused(base, mdir, "__MigrationHistory is missing")
    assert run_cli(*base, "repair", "--accept-history", "--yes")[0] == 0
    assert {x["status"] for x in status_json(db_url, mdir)["migrations"]} == {"pending"}
    assert run_cli(*base, "baseline", "--to", "2025.01.01.000009_later", "--yes")[0] == 0
    healthy(base, mdir)
    assert {"__Migrations", "__MigrationHistory", "__NexoMeta"} <= tables(db_url)
    figures("tampering", "cases detected and repaired", 3)


def test_edited_and_deleted_history_rows_are_accepted_on_record(db_url, tmp_path, figures):
    """Rows edited or deleted inside the history break the hash chain; `repair --accept-history`
    accepts them by seq and by the rows' hashes as found, the rows stay as they are (the
    evidence), and a row edited again after its acceptance is caught again."""
    mdir, ids, base = setup(db_url, tmp_path)
    h = q(db_url, "__MigrationHistory")
    # seq 3 applies ids[1]; seq 5 verifies ids[0]: neither edit contradicts __Migrations
    execute(db_url, f"UPDATE {h} SET operator = 'mallory' WHERE seq = 3", f"DELETE FROM {h} WHERE seq = 5")
    out = audit_fails(base, "broken at seq 3", "edited", "seq 6", "seq 5 deleted")
    assert {m["status"] for m in status_json(db_url, mdir)["migrations"]} == {"applied"}
    code, out, err = run_cli(*base, "repair", "--accept-history", "--yes")
    assert code == 0, out + err
    code, out, err = run_cli(*base, "history", "--json", "--limit", "1")
    (event,) = json.loads(out)["events"]
    details = event["details"]
    assert event["action"] == "repair" and details["repair"] == "accept-history"
    assert [b["seq"] for b in details["chain_breaks"]] == [3, 6]  # the acceptance names the rows
    assert execute(db_url, f"SELECT operator FROM {h} WHERE seq = 3") == [("mallory",)]  # kept as found
    code, out, err = run_cli(*base, "audit", "verify")
    assert code == 0 and "accepted" in out and "seq 3" in out, out + err
    healthy(base, mdir)
    execute(db_url, f"UPDATE {h} SET operator = 'eve' WHERE seq = 3")  # edited again: not what was accepted
    audit_fails(base, "broken at seq 3", "edited")
    figures("tampering", "cases detected and repaired", 2)


def test_details_edited_into_something_other_than_an_object(db_url, tmp_path):
    """A hand-edited row may hold any JSON (or none) in ``details``: the checks read it as empty
    and report the edit; they do not crash on it."""
    mdir, ids, base = setup(db_url, tmp_path)
    h = q(db_url, "__MigrationHistory")
    execute(db_url, f"UPDATE {h} SET details = '[1, 2]' WHERE seq = 3")  # seq 3 applies ids[1]
    audit_fails(base, "broken at seq 3", "edited")
    code, out, err = run_cli(*base, "status", "--json")
    assert "Traceback" not in err and json.loads(out)["ok"] in (True, False), out + err


def test_accept_history_accepts_only_what_was_shown(db_url, tmp_path):
    from nexo_studio.core.events import run
    from nexo_studio.core.operations import history_problems, repair
    from nexo_studio.core.project import Project
    from nexo_studio.core.target import Target
    from nexo_studio.errors import HistoryChanged

    mdir, ids, base = setup(db_url, tmp_path)
    h = q(db_url, "__MigrationHistory")
    execute(db_url, f"UPDATE {h} SET host = 'elsewhere' WHERE seq = 2")
    target = Target(db_url)
    try:
        shown = history_problems(target)
        assert shown.seqs == (2,) and [r.host for r in shown.rows] == ["elsewhere"]
        execute(db_url, f"UPDATE {h} SET host = 'elsewhere' WHERE seq = 4")  # after the user looked
        before = history_len(base)
        with pytest.raises(HistoryChanged):
            run(repair(Project.load(mdir), target, None, accept_history=True, expect=shown))
        assert history_len(base) == before  # nothing accepted, nothing recorded
        now = history_problems(target)
        result = run(repair(Project.load(mdir), target, None, accept_history=True, expect=now))
        assert result.action == "accept-history" and result.seq == before + 1
    finally:
        target.dispose()
    assert run_cli(*base, "audit", "verify")[0] == 0
