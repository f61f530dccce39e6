"""Risk lint speed: 1,000 synthetic migrations of mixed statements (SPEC §11 budget: ≤ 2 s).

    python benchmarks/lint.py [--n 1000] [--dialect postgresql] [--rounds 3]

Each migration holds three to four statements drawn in turn from a mix of what real projects
do (create table, add columns with and without defaults, indexes, constraints, updates, renames,
drops, grants, a function body sqlglot cannot read), with an up and a down section. The files
are written to a temporary folder and loaded once; the time printed is `lint_project` alone
(best and median of the rounds), then the whole `nexo lint --dialect` process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIX = [
    "CREATE TABLE s{i} (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);",
    "ALTER TABLE t{p} ADD COLUMN note{i} VARCHAR(200);",
    "ALTER TABLE users ADD COLUMN flag{i} INTEGER NOT NULL DEFAULT 0;",
    "CREATE INDEX ix_{i} ON users (email, created_at);",
    "CREATE INDEX ix_t{i} ON t{i} (name);",
    "ALTER TABLE orders ADD CONSTRAINT fk_{i} FOREIGN KEY (user_id) REFERENCES users (id);",
    "UPDATE users SET flag{p} = 1 WHERE id < 1000;",
    "INSERT INTO t{i} (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');",
    "ALTER TABLE users RENAME COLUMN old{i} TO new{i};",
    "ALTER TABLE users DROP COLUMN legacy{i};",
    "DELETE FROM sessions WHERE expires_at < CURRENT_TIMESTAMP;",
    "GRANT SELECT ON t{i} TO reporting;",
    "CREATE VIEW v{i} AS SELECT u.id, u.email, count(*) AS n FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id, u.email;",
    "ALTER TABLE users ALTER COLUMN score{i} TYPE BIGINT;",
    "CREATE FUNCTION f{i}() RETURNS trigger AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$ LANGUAGE plpgsql;",
]


def write_project(directory: Path, n: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        k = 3 + i % 2
        up = "\n".join(MIX[(i * 7 + j) % len(MIX)].format(i=i, p=max(1, i - 1)) for j in range(k))
        text = f"-- description: synthetic {i}\n-- +up\nCREATE TABLE t{i} (id BIGINT PRIMARY KEY, name VARCHAR(100));\n" \
               f"{up}\n-- +down\nDROP TABLE t{i};\n"
        h, rest = divmod(i, 3600)
        version = f"2025.01.{1 + h // 24:02d}.{h % 24:02d}{rest // 60:02d}{rest % 60:02d}"
        (directory / f"{version}_m{i}.sql").write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dialect", default="postgresql")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from nexo_studio.core.lint import lint_project
    from nexo_studio.core.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "m"
        write_project(folder, args.n)
        times, findings = [], []
        for _ in range(args.rounds):
            project = Project.load(folder)  # fresh: statements are split lazily, once per load
            t0 = time.perf_counter()
            findings = lint_project(project, args.dialect)
            times.append(time.perf_counter() - t0)
        statements = sum(len(m.statements("up", args.dialect)) + len(m.statements("down", args.dialect))
                         for m in project.migrations.values())
        assert len(project.migrations) == args.n and not project.file_errors, project.file_errors[:1]
        print(f"lint_project: {args.n} migrations, {statements} statements, {len(findings)} findings ({args.dialect})")
        print(f"  best {min(times):.3f} s, median {statistics.median(times):.3f} s "
              f"({min(times) / statements * 1e3:.3f} ms per statement); budget 2 s: "
              f"{'OK' if min(times) <= 2 else 'OVER'}")
        print("  per rule:", ", ".join(f"{c} {n}" for c, n in sorted(Counter(f.code for f in findings).items())))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", "--migrations", str(folder), "lint",
                              "--dialect", args.dialect, "--json"], capture_output=True, env=env, check=False)
        assert out.returncode in (0, 1) and '"findings"' in out.stdout.decode(), out.stdout[:500]
        print(f"nexo lint --dialect {args.dialect} (whole process, loading included): {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
