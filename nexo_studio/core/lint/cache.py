"""Per-migration cache of ``validate``'s lint, kept between runs (SPEC §11: validate stays fast).

A migration's findings depend on its ``up`` SQL, header and dialect, and on one thing outside it:
which tables earlier migrations of the plan create. Its entry therefore records the answers the
rules got to "does table X exist already?" and reuses the findings only while those answers are
the same. Entries live in ``<user cache>/lint-<dialect>.json`` (``NEXO_DATA_DIR/cache`` when set),
stamped with the lint engine's fingerprint; a cache that cannot be read or written is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from ..model import Migration
from .model import LintFinding

#: entries kept when the file grows beyond this (the ones used by this run survive)
MAX_ENTRIES = 50_000


class Asked:
    """``created`` as one migration's rules see it: records what they ask about tables made
    before it; what the migration itself creates stays in ``local`` until it is done."""

    def __init__(self, outer: set[str]) -> None:
        self.outer = outer
        self.local: set[str] = set()
        self.asked: dict[object, bool] = {}

    def __contains__(self, name: object) -> bool:
        if name in self.local:
            return True
        found = name in self.outer
        self.asked.setdefault(name, found)
        return found

    def add(self, name: str) -> None:
        self.local.add(name)

    def __iter__(self):
        return iter(self.outer | self.local)

    def __len__(self) -> int:
        return len(self.outer | self.local)


def digest(m: Migration, dialect: str) -> str:
    """What a migration's ``up`` findings follow from (besides the tables made before it)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{dialect}\0{m.transaction}\0{sorted(m.lint_allow or ())}\0".encode())
    section = m.section("up", dialect)  # its statements follow from its text, line and dialect
    if section is not None:
        h.update(f"{section.line}\0{section.text}".encode())
    return h.hexdigest()


class LintCache:
    def __init__(self, dialect: str) -> None:
        self.path = _cache_dir() / f"lint-{dialect}.json"
        self.entries: dict[str, dict] = {}
        self.used: set[str] = set()
        self.dirty = False
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if doc.get("engine") == fingerprint():
                self.entries = doc.get("entries", {})
        except (OSError, ValueError, AttributeError):
            pass

    def get(self, key: str, m: Migration, created: set[str]) -> list[LintFinding] | None:
        """The cached findings when the tables the rules asked about are as they were."""
        entry = self.entries.get(key)
        if entry is None or any((name in created) != was for name, was in entry["asked"].items()):
            return None
        self.used.add(key)
        created.update(entry["added"])
        return [LintFinding(code, level, m.id, m.path, line, "up", message, allowed, table)
                for code, level, line, message, allowed, table in entry["findings"]]

    def put(self, key: str, asked: Asked, findings: list[LintFinding]) -> None:
        self.entries[key] = {"asked": asked.asked, "added": sorted(asked.local),
                             "findings": [[f.code, f.level, f.line, f.message, f.allowed_reason, f.table]
                                          for f in findings]}
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        entries = self.entries
        if len(entries) > MAX_ENTRIES:
            entries = {k: v for k, v in entries.items() if k in self.used}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".lint-", dir=self.path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"engine": fingerprint(), "entries": entries}, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)


def _cache_dir() -> Path:
    if os.environ.get("NEXO_DATA_DIR"):
        return Path(os.environ["NEXO_DATA_DIR"]) / "cache"
    from platformdirs import user_cache_path

    return user_cache_path("nexo-studio", "Nexo")


_FINGERPRINT: str | None = None


def fingerprint() -> str:
    """The lint engine's identity: sqlglot's version and the lint sources' sizes and times."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        from importlib.metadata import version

        h = hashlib.blake2b(version("sqlglot").encode(), digest_size=16)
        for p in sorted(Path(__file__).parent.rglob("*.py")):
            st = p.stat()
            h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT
