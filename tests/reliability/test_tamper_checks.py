"""Tamper checks that cannot be switched off (SPEC §7): every deploy and rollback checks the whole
history hash chain and the recorded tail before changing anything, and refuses (exit 3) naming
each bad ``seq`` while it is broken and not accepted; ``status`` and ``validate`` show it as a
``tampered`` finding. Deleting the tail row that records the history's end is itself a finding.
The fast chain check (rows by position) gives the same verdict as the reference walk.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.reliability.harness import execute, q, run_cli, status_json
from tests.reliability.test_tampering import audit_fails, healthy, history_len, refused, setup


def chain_findings(doc: dict) -> list[str]:
    return [f["message"] for f in doc["findings"] if f["code"] == "tampered" and "hash chain" in f["message"]]


def test_an_edited_history_row_is_shown_and_blocks_deploy_and_rollback(db_url, tmp_path, figures):
    mdir, ids, base = setup(db_url, tmp_path)
    h = q(db_url, "__MigrationHistory")
    execute(db_url, f"UPDATE {h} SET operator = 'mallory' WHERE seq = 3",
            f"UPDATE {h} SET error = 'covered up' WHERE seq = 5")
    doc = status_json(db_url, mdir)
    found = chain_findings(doc)
    assert len(found) == 2 and "seq 3" in found[0] and "seq 5" in found[1], doc["findings"]
    code, out, err = run_cli(*base, "status")
    assert code == 0 and "seq 3" in out and "seq 5" in out, out + err
    code, out, err = run_cli(*base, "validate", "--json")
    assert code == 0 and len(chain_findings(json.loads(out))) == 2, out + err
    refused(base, mdir, "history seq 3", "history seq 5")
    code, out, err = run_cli(*base, "baseline", "--to", "2025.01.01.000009_later", "--yes")
    assert code == 3 and "history seq 3" in err, out + err
    assert run_cli(*base, "repair", "--accept-history", "--yes")[0] == 0
    assert chain_findings(status_json(db_url, mdir)) == []
    healthy(base, mdir)
    figures("tampering", "edited history rows refused by deploy and rollback", 2)


def test_a_deleted_tail_row_is_itself_a_finding(db_url, tmp_path, figures):
    """Deleting the one ``history_tail`` row no longer switches off the check for rows cut from
    the end: a failed deployment erased from the history is still caught."""
    mdir, ids, base = setup(db_url, tmp_path)
    h, meta = q(db_url, "__MigrationHistory"), q(db_url, "__NexoMeta")
    key = q(db_url, "key")
    last = execute(db_url, f"SELECT MAX(seq) FROM {h}")[0][0]
    execute(db_url, f"DELETE FROM {h} WHERE seq > :s", params={"s": last - 1})  # the end of the deploy erased
    execute(db_url, f"DELETE FROM {meta} WHERE {key} = 'history_tail'")
    audit_fails(base, "history_tail", "missing")
    doc = status_json(db_url, mdir)
    assert any(f["code"] == "tampered" and "history_tail" in f["message"] for f in doc["findings"]), doc
    refused(base, mdir, "history_tail")
    assert run_cli(*base, "repair", "--accept-history", "--yes")[0] == 0
    assert execute(db_url, f"SELECT COUNT(*) FROM {meta} WHERE {key} = 'history_tail'") == [(1,)]
    healthy(base, mdir)
    # the tail row alone deleted: still a finding
    execute(db_url, f"DELETE FROM {meta} WHERE {key} = 'history_tail'")
    audit_fails(base, "history_tail")
    before = history_len(base)
    code, out, err = run_cli(*base, "rollback", "--to", "0", "--yes")
    assert code == 3 and "history_tail" in out + err and history_len(base) == before, out + err
    figures("tampering", "tail-row deletions detected", 2)


def test_the_fast_chain_check_agrees_with_the_reference_walk(db_url, tmp_path):
    from nexo_studio.core.state.chain import verify_chain
    from nexo_studio.core.state.chainscan import verify_history
    from nexo_studio.core.target import Target

    mdir, ids, base = setup(db_url, tmp_path)
    assert run_cli(*base, "rollback", "--to", "0", "--yes")[0] == 0
    h = q(db_url, "__MigrationHistory")
    target = Target(db_url)

    def both():
        with target.connect() as conn:
            t = target.store.t.history
            ref = verify_chain(conn.execute(sa.select(t).order_by(t.c.seq)).mappings())
            conn.rollback()
            fast = verify_history(target.store, conn)
        assert fast == ref, (fast, ref)
        return fast

    try:
        assert both().ok
        edits = [f"UPDATE {h} SET details = '[1, 2]' WHERE seq = 3",
                 f"UPDATE {h} SET finished_at = NULL WHERE seq = 4",
                 f"UPDATE {h} SET duration_ms = NULL WHERE seq = 6",
                 f"UPDATE {h} SET started_at = started_at WHERE seq = 7",  # same value: still intact
                 f"DELETE FROM {h} WHERE seq = 8",
                 f"UPDATE {h} SET host = :v WHERE seq = 9"]
        for sql in edits:
            execute(db_url, sql, params={"v": 'h\u00e9"\\\n'} if ":v" in sql else None)
            both()
        verdict = both()
        assert verdict.seqs == (3, 4, 6, 9), verdict
        if db_url.startswith("sqlite"):  # forms only SQLite can hold: the fast path must not pass them
            execute(db_url, f"UPDATE {h} SET started_at = replace(started_at, ' ', 'T') WHERE seq = 2")
            assert both().seqs == (3, 4, 6, 9)  # the same instant, read the same by the reference
            execute(db_url, f"UPDATE {h} SET started_at = '2020-01-01 00:00:00.000000' WHERE seq = 2")
            assert both().seqs == (2, 3, 4, 6, 9)
            execute(db_url, f"UPDATE {h} SET operator = CAST('x' AS BLOB) WHERE seq = 7")
            assert 7 in verify_history(target.store, target.connect()).seqs  # no crash: the Python walk
            execute(db_url, f"UPDATE {h} SET operator = NULL WHERE seq = 7")
            execute(db_url, f"UPDATE {h} SET started_at = replace(started_at, '2020', '2021') WHERE seq = 2")
        assert run_cli(*base, "repair", "--accept-history", "--yes")[0] == 0
        verdict = both()
        seqs = [3, 4, 6, 9] if not db_url.startswith("sqlite") else [2, 3, 4, 6, 7, 9]
        assert verdict.ok and [b.seq for b in verdict.accepted] == seqs, verdict
    finally:
        target.dispose()
