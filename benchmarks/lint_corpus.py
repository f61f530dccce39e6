"""Lint a folder of real-world migration .sql files and count findings per rule (SPEC §11).

    python benchmarks/lint_corpus.py FOLDER --dialect postgresql [--glob '*.sql'] [--show CODE] [--limit 5]

Each file is one migration whose whole text is its ``up`` section (plain SQL as other tools
keep it, not nexo's header format); files are taken as one plan in path order, so "existing
table" rules know what earlier files created. Prints the number of files and statements, the
time, the findings per rule and level, and checks that every statement was either parsed or
reported ``unparsed`` and that nothing crashed. ``--show CODE`` prints findings of one rule
with their statement, to check them by hand.

The corpora are fetched at run time and never committed, e.g. from Debian packages
(``apt-get download mediawiki roundcube-core zoneminder icinga2-ido-mysql icinga2-ido-pgsql``,
``dpkg-deb -x``) and PyPI (``pip download matrix-synapse==1.98.0 --no-deps``, Apache-2.0).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexo_studio.core.lint.engine import lint_migration  # noqa: E402
from nexo_studio.core.lint.parse import parse_statement  # noqa: E402
from nexo_studio.core.model import Migration, Section, canonical_dialect  # noqa: E402


def _natural(path: Path) -> list:
    """delta/9 before delta/10: numbers compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def lint_folder(folder: Path, dialect: str, pattern: str) -> dict:
    files = sorted((p for p in folder.rglob(pattern) if p.is_file()), key=_natural)
    created: set[str] = set()
    by_code: Counter = Counter()
    by_level: Counter = Counter()
    samples: dict[str, list[tuple[Path, int, str, str]]] = {}
    outcome: Counter = Counter()
    statements = crashes = 0
    t0 = time.perf_counter()
    for i, path in enumerate(files):
        text = path.read_text(encoding="utf-8", errors="replace")
        m = Migration(f"2025.01.01.000000_f{i}", "2025.01.01.000000", f"f{i}", path, "sql",
                      sections=(Section("up", dialect, text, 1),))
        try:
            stmts = m.statements("up", dialect)
            findings = lint_migration(m, dialect, created)
        except Exception:  # count it and go on: the point is that this never happens
            crashes += 1
            print(f"CRASH {path}\n{traceback.format_exc()}", file=sys.stderr)
            continue
        unparsed_lines = {f.line for f in findings if f.code == "unparsed"}
        for st in stmts:
            statements += 1
            if parse_statement(st.sql, dialect).ok:
                outcome["parsed"] += 1
            elif st.line in unparsed_lines:
                outcome["unparsed"] += 1
            else:
                outcome["recognised from tokens"] += 1
        for f in findings:
            by_code[f.code] += 1
            by_level[f.level] += 1
            sql = next((st.sql for st in stmts if st.line == f.line), "")
            samples.setdefault(f.code, []).append((path, f.line, f"{f.level}: {f.message}", sql))
    return {"files": len(files), "statements": statements, "outcome": outcome, "crashes": crashes,
            "seconds": time.perf_counter() - t0, "by_code": by_code, "by_level": by_level, "samples": samples}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--dialect", required=True, choices=["postgresql", "mysql", "mariadb", "sqlite", "mssql"])
    ap.add_argument("--glob", default="*.sql")
    ap.add_argument("--show", metavar="CODE", help="print findings of this rule with their statement")
    ap.add_argument("--limit", type=int, default=5)
    args = ap.parse_args()
    r = lint_folder(args.folder, canonical_dialect(args.dialect), args.glob)
    print(f"{args.folder} ({args.dialect}): {r['files']} files, {r['statements']} statements, "
          f"{r['seconds']:.2f} s, crashes {r['crashes']}")
    print("  statements: " + ", ".join(f"{k} {v}" for k, v in sorted(r["outcome"].items())))
    assert sum(r["outcome"].values()) + r["crashes"] == r["statements"]
    print("  levels: " + ", ".join(f"{k} {v}" for k, v in sorted(r["by_level"].items())))
    for code, n in sorted(r["by_code"].items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {code:28} {n}")
    if args.show:
        for path, line, risk, sql in r["samples"].get(args.show, [])[: args.limit]:
            print(f"\n--- {path}:{line}: {risk}\n{sql.strip()[:400]}")
    return 1 if r["crashes"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
