"""Build small migration projects on disk for tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa


def write_sql(directory: Path, mid: str, up: str, down: str | None = None, *, depends: Iterable[str] = (),
              verify: str | None = None, description: str | None = None, extra: str = "",
              variants: dict[str, str] | None = None) -> Path:
    """Write ``<mid>.sql`` with a header and sections; ``variants`` maps ``"up mysql"`` -> SQL."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"-- description: {description or mid.split('_', 1)[1].replace('_', ' ')}"]
    deps = list(depends)
    if deps:
        lines.append(f"-- depends: {', '.join(deps)}")
    if extra:
        lines.append(extra.rstrip())
    lines += ["-- +up", up.strip()]
    if down is not None:
        lines += ["-- +down", down.strip()]
    if verify is not None:
        lines += ["-- +verify", verify.strip()]
    for marker, sql in (variants or {}).items():
        lines += [f"-- +{marker}", sql.strip()]
    path = directory / f"{mid}.sql"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def table_project(directory: Path, n: int, *, prefix: str = "t", chain: bool = True, day: int = 1) -> list[str]:
    """``n`` migrations each creating table ``{prefix}{i}``; each depends on the previous one."""
    ids = []
    for i in range(1, n + 1):
        mid = f"2025.01.{day:02d}.{i:06d}_create_{prefix}{i}"
        write_sql(directory, mid, f"CREATE TABLE {prefix}{i} (id INTEGER PRIMARY KEY, v VARCHAR(20));",
                  f"DROP TABLE {prefix}{i};", depends=[ids[-1]] if chain and ids else [],
                  verify=f"SELECT id, v FROM {prefix}{i} WHERE 1 = 0;")
        ids.append(mid)
    return ids


def diamond_project(directory: Path) -> dict[str, str]:
    """a; b and c depend on a; d depends on b and c."""
    ids = {k: f"2025.01.0{i}.100000_{k}_table" for i, k in enumerate("abcd", 1)}
    write_sql(directory, ids["a"], "CREATE TABLE a_t (id INTEGER PRIMARY KEY);", "DROP TABLE a_t;")
    write_sql(directory, ids["b"], "CREATE TABLE b_t (id INTEGER PRIMARY KEY);", "DROP TABLE b_t;", depends=[ids["a"]])
    write_sql(directory, ids["c"], "CREATE TABLE c_t (id INTEGER PRIMARY KEY);", "DROP TABLE c_t;", depends=[ids["a"]])
    write_sql(directory, ids["d"], "CREATE TABLE d_t (id INTEGER PRIMARY KEY);", "DROP TABLE d_t;",
              depends=[ids["b"], ids["c"]])
    return ids


def user_tables(url: str) -> set[str]:
    """Tables and views in the database that are not the tool's own."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        insp = sa.inspect(engine)
        names = set(insp.get_table_names()) | set(insp.get_view_names())
    finally:
        engine.dispose()
    return {n for n in names if not n.startswith("__")}


def all_objects(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        insp = sa.inspect(engine)
        return set(insp.get_table_names()) | set(insp.get_view_names())
    finally:
        engine.dispose()
