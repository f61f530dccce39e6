"""The hash chain is unkeyed: someone who edits a history row and recomputes every later hash and
the tail gets a history that `nexo audit verify` passes (documented). An anchor kept elsewhere
proves it: `nexo audit anchor --out FILE` records the head (seq, hash, row count, a digest of
the rows' content); `nexo audit verify --anchor FILE` (or an exported JSON report as FILE) fails
after such a rewrite, naming what changed.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.helpers.projects import write_sql
from tests.reliability.harness import execute, q, run_cli
from tests.reliability.test_tampering import setup


def rewrite_history(url: str, seq: int, **changes) -> None:
    """Edit row ``seq`` and re-chain every row from it on, and the tail: a thorough forger."""
    from nexo_studio.core.state.chain import row_hash
    from nexo_studio.core.state.tamper import TAIL_KEY, _tail_text
    from nexo_studio.core.target import Target

    target = Target(url)
    t = target.store.t
    try:
        with target.connect() as conn, conn.begin():
            rows = [dict(r) for r in conn.execute(sa.select(t.history).order_by(t.history.c.seq)).mappings()]
            prev = None
            for row in rows:
                if row["seq"] == seq:
                    row.update(changes)
                if row["seq"] >= seq:
                    row["prev_hash"] = prev if prev is not None else row["prev_hash"]
                    row["hash"] = row_hash(row)
                    conn.execute(t.history.update().where(t.history.c.seq == row["seq"])
                                 .values(**{k: v for k, v in row.items() if k != "seq"}))
                prev = row["hash"]
            conn.execute(t.meta.update().where(t.meta.c.key == TAIL_KEY)
                         .values(value=_tail_text(rows[-1]["seq"], rows[-1]["hash"])))
    finally:
        target.dispose()


def test_an_anchor_proves_a_rewrite_the_chain_cannot_see(db_url, tmp_path, figures):
    mdir, ids, base = setup(db_url, tmp_path)
    anchor = tmp_path / "kept-elsewhere" / "anchor.json"
    anchor.parent.mkdir()
    code, out, err = run_cli(*base, "audit", "anchor", "--out", str(anchor))
    assert code == 0 and "head seq" in out, out + err
    doc = json.loads(anchor.read_text())
    assert doc["format"] == "nexo-anchor/1" and doc["history"]["rows"] >= 5
    report = tmp_path / "report.json"
    assert run_cli(*base, "export", "--format", "json", "--out", str(report))[0] == 0
    code, out, err = run_cli(*base, "audit", "verify", "--anchor", str(anchor))
    assert code == 0 and "unchanged" in out, out + err
    # the history grows after the anchor: still fine
    write_sql(mdir, "2025.01.01.000009_later", "CREATE TABLE later_t (id INTEGER);", "DROP TABLE later_t;")
    assert run_cli(*base, "deploy", "--no-backup")[0] == 0
    for kept in (anchor, report):
        code, out, err = run_cli(*base, "audit", "verify", "--anchor", str(kept))
        assert code == 0, out + err
    # a forger edits seq 3 and re-chains everything after it, tail included
    rewrite_history(db_url, 3, operator="mallory")
    code, out, err = run_cli(*base, "audit", "verify")
    assert code == 0, out + err  # the unkeyed chain cannot see it: this is what the anchor is for
    code, out, err = run_cli(*base, "audit", "verify", "--anchor", str(anchor))
    assert code == 1 and "rewritten" in out and "content" in out, out + err
    code, out, err = run_cli(*base, "audit", "verify", "--anchor", str(report))
    assert code == 1 and "rewritten" in out, out + err
    figures("tampering", "re-chained rewrites proven by an anchor", 1)


def test_an_anchor_sees_rows_deleted_and_rechained(db_url, tmp_path):
    mdir, ids, base = setup(db_url, tmp_path)
    anchor = tmp_path / "anchor.json"
    assert run_cli(*base, "audit", "anchor", "--out", str(anchor))[0] == 0
    h = q(db_url, "__MigrationHistory")
    last = execute(db_url, f"SELECT MAX(seq) FROM {h}")[0][0]
    execute(db_url, f"DELETE FROM {h} WHERE seq = :s", params={"s": last})
    from nexo_studio.core.state.tamper import TAIL_KEY, _tail_text

    prev = execute(db_url, f"SELECT seq, hash FROM {h} WHERE seq = :s", params={"s": last - 1})[0]
    execute(db_url, f"UPDATE {q(db_url, '__NexoMeta')} SET value = :v WHERE {q(db_url, 'key')} = :k",
            params={"v": _tail_text(prev[0], prev[1]), "k": TAIL_KEY})
    assert run_cli(*base, "audit", "verify")[0] == 0  # tail rewritten to match
    code, out, err = run_cli(*base, "audit", "verify", "--anchor", str(anchor))
    assert code == 1 and "rows were deleted" in out, out + err


def test_bad_anchors_and_a_broken_history(tmp_path, make_db):
    url = make_db("sqlite")
    mdir, ids, base = setup(url, tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, out, err = run_cli(*base, "audit", "verify", "--anchor", str(bad))
    assert code == 2 and "bad.json" in err, out + err
    bad.write_text('{"format": "something"}')
    code, out, err = run_cli(*base, "audit", "verify", "--anchor", str(bad))
    assert code == 2 and "bad.json" in err and "head" in err, out + err
    code, out, err = run_cli(*base, "audit", "verify", "--anchor", str(tmp_path / "none.json"))
    assert code == 2 and "none.json" in err, out + err
    execute(url, f"UPDATE {q(url, '__MigrationHistory')} SET operator = 'x' WHERE seq = 2")
    out_file = tmp_path / "a.json"
    code, out, err = run_cli(*base, "audit", "anchor", "--out", str(out_file))
    assert code == 1 and "seq 2" in err and not out_file.exists(), out + err
