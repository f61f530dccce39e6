"""Alembic: revision files become ``.py`` migrations that run the original ``upgrade()`` /
``downgrade()`` with Alembic's ``op`` bound to nexo's connection; ``down_revision`` (merges
included) and ``depends_on`` become ``depends``. Alembic is needed at run time."""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

from ..checksums import sha256_hex
from ..model import ForeignMigration, ForeignProject, Unsupported, slug
from . import read_text

RUNNER = '''

# --- added by `nexo import --from alembic`: run the revision with Alembic's op on nexo's connection


def _nexo_run_alembic(conn, fn):
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    with Operations.context(MigrationContext.configure(connection=conn)):
        fn()


def up(conn):
    _nexo_run_alembic(conn, upgrade)


def down(conn):
    _nexo_run_alembic(conn, downgrade)
'''


def versions_dir(source: Path) -> Path:
    ini = source / "alembic.ini"
    if ini.exists():
        cfg = configparser.ConfigParser(interpolation=None)
        cfg.read(ini, encoding="utf-8")
        location = cfg.get("alembic", "script_location", fallback="alembic").replace("%(here)s", str(source))
        return (source / location / "versions").resolve()
    return source / "versions" if (source / "versions").is_dir() else source


def _ids(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _revision(path: Path, text: str) -> dict | None:
    from ....errors import MigrationFileError

    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise MigrationFileError(path, exc.lineno, f"syntax error: {exc.msg}") from None
    found: dict = {"doc": ast.get_docstring(tree) or ""}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in ("revision", "down_revision", "depends_on"):
                    try:
                        found[t.id] = ast.literal_eval(node.value)
                    except ValueError:
                        raise MigrationFileError(path, node.lineno, f"{t.id} must be a literal") from None
    return found if "revision" in found else None


def _order(revs: dict[str, dict]) -> list[str]:
    """Topological order (parents first), ties by file name: Alembic's apply order."""
    done: list[str] = []
    left = dict(revs)
    while left:
        ready = sorted((r for r, v in left.items() if all(p not in left for p in v["requires"])),
                       key=lambda r: left[r]["file"])
        if not ready:
            from ....errors import InvalidInput

            raise InvalidInput(f"alembic revisions form a cycle: {', '.join(sorted(left))}")
        done.append(ready[0])
        del left[ready[0]]
    return done


def read(source: Path) -> ForeignProject:
    project = ForeignProject("alembic")
    revs: dict[str, dict] = {}
    for path in sorted(versions_dir(source).glob("*.py")):
        text = read_text(path)
        rev = _revision(path, text)
        if rev is None:
            project.unsupported.append(Unsupported(path.name, "no `revision` in the file"))
            continue
        rev.update(file=path.name, path=path, text=text,
                   requires=_ids(rev.get("down_revision")) + _ids(rev.get("depends_on")))
        revs[rev["revision"]] = rev
    for r in _order(revs):
        rev = revs[r]
        missing = [p for p in rev["requires"] if p not in revs]
        if missing:
            project.unsupported.append(Unsupported(rev["file"], f"needs revisions not in the folder: {missing}"))
        if re.search(r"^\s*def\s+(up|down|verify)\s*\(", rev["text"], re.MULTILINE):
            project.unsupported.append(Unsupported(rev["file"], "defines up/down/verify, names nexo needs"))
            continue
        title = rev["doc"].splitlines()[0] if rev["doc"] else r
        project.migrations.append(ForeignMigration(
            tool="alembic", foreign_id=r, name=slug(f"{title}_{r}"), up="", description=title,
            checksum=sha256_hex(rev["path"].read_bytes()), requires=rev["requires"],
            python=rev["text"].rstrip("\n") + "\n" + RUNNER, source=rev["file"]))
    return project
