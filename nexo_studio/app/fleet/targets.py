"""The fleet's targets: ``[fleet]`` and ``[[targets]]`` of ``nexo.toml`` or of a ``--targets`` file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import ConfigError, UnknownTarget, shown

NAME_RE = re.compile(r"[a-z0-9_.-]+")
#: longest name and URL a target may have (a name is a label on screen, not a document)
MAX_NAME = 128
MAX_URL = 4096
DEFAULT_PARALLEL = 8
#: the database types nexo works with (SQLAlchemy backend names)
DIALECTS = ("sqlite", "postgresql", "mysql", "mariadb", "mssql")
_TARGET_KEYS = {"name", "url", "tags"}
_TABLE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*targets[ \t]*\]\]", re.M)


@dataclass(frozen=True)
class FleetTarget:
    name: str
    url: str
    tags: tuple[str, ...] = ()

    @property
    def canary(self) -> bool:
        return "canary" in self.tags


@dataclass(frozen=True)
class FleetTargets:
    path: Path | None
    targets: tuple[FleetTarget, ...]
    parallel: int = DEFAULT_PARALLEL


def _has_password(url: str) -> bool:
    """A password in the user info, or a credential-bearing query parameter (``?password=``)."""
    from ...core.db import redact

    rest = url.split("://", 1)[-1]
    return "@" in rest and ":" in rest.split("@", 1)[0] or redact(url) != url


def _dialect_problem(url: str) -> str | None:
    """Why nexo cannot work on ``url``'s database (None: it can), without connecting."""
    import sqlalchemy as sa

    from ...core.db import parse_url

    try:
        parsed = parse_url(url)
    except ConfigError as exc:
        return exc.reason
    backend = parsed.get_backend_name()
    if backend not in DIALECTS:
        return f"unknown database type {shown(backend)} (nexo works with {', '.join(DIALECTS)})"
    try:
        parsed.get_dialect()
    except (sa.exc.NoSuchModuleError, sa.exc.ArgumentError):
        return f"unknown driver {shown(parsed.drivername)} for {backend}"
    return None


def _target(path: Path, i: int, raw: object, line: int | None) -> FleetTarget:
    from ...core.config import _sqlite_beside

    at = f" (line {line})" if line else ""
    where = f"[[targets]] #{i}{at}"
    if not isinstance(raw, dict):
        raise ConfigError(path, f"{where} must be a table")
    name, url, tags = raw.get("name"), raw.get("url"), raw.get("tags", [])
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ConfigError(path, f"{where}: name {shown(name)} must match [a-z0-9_.-]+")
    if len(name) > MAX_NAME:
        raise ConfigError(path, f"{where}: name {shown(name)} is longer than {MAX_NAME} characters")
    where = f"target {name!r}{at}"
    unknown = set(raw) - _TARGET_KEYS
    if unknown:
        raise ConfigError(path, f"{where}: unknown key(s): {', '.join(shown(k, 40) for k in sorted(unknown))}")
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError(path, f"{where}: needs a database `url`")
    if _has_password(url):
        raise ConfigError(path, f"{where}: url must not contain a password "
                                "(use the keyring or NEXO_DATABASE_URL rules)")
    if len(url) > MAX_URL:
        raise ConfigError(path, f"{where}: url is longer than {MAX_URL} characters")
    problem = _dialect_problem(url)
    if problem:
        raise ConfigError(path, f"{where}: {problem}")
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise ConfigError(path, f"{where}: tags must be a list of strings")
    if any(len(t) > MAX_NAME for t in tags):
        raise ConfigError(path, f"{where}: a tag is longer than {MAX_NAME} characters")
    return FleetTarget(name, _sqlite_beside(url, path.parent) or url, tuple(tags))


def header_lines(text: str | None) -> list[int]:
    """The line of each ``[[targets]]`` header, in file order (none: the file used an inline array)."""
    if not text:
        return []
    return [text.count("\n", 0, m.start()) + 1 for m in _TABLE_HEADER.finditer(text)]


def parse_targets(data: dict, path: Path, text: str | None = None) -> FleetTargets:
    """The targets of one parsed TOML document; every problem names ``path``, the target and,
    given the file's ``text``, its line."""
    fleet = data.get("fleet", {})
    if not isinstance(fleet, dict) or set(fleet) - {"parallel"}:
        raise ConfigError(path, "[fleet] takes only `parallel`")
    parallel = fleet.get("parallel", DEFAULT_PARALLEL)
    if not isinstance(parallel, int) or isinstance(parallel, bool) or parallel < 1:
        raise ConfigError(path, f"[fleet] parallel must be a whole number >= 1, not {shown(parallel)}")
    raw = data.get("targets", [])
    if not isinstance(raw, list):
        raise ConfigError(path, "`targets` must be an array of tables: [[targets]]")
    lines = header_lines(text)
    if len(lines) != len(raw):
        lines = []
    targets = [_target(path, i, t, lines[i - 1] if lines else None) for i, t in enumerate(raw, 1)]
    seen: dict[str, int] = {}
    for i, t in enumerate(targets, 1):
        if t.name in seen:
            at = f" (line {lines[i - 1]}; first at line {lines[seen[t.name] - 1]})" if lines else ""
            raise ConfigError(path, f"target name {t.name!r} is used twice{at}")
        seen[t.name] = i
    return FleetTargets(path, tuple(targets), parallel)


def load_targets(path: Path | None, only_fleet: bool = False) -> FleetTargets:
    """``path``: ``--targets FILE`` (``only_fleet``: nothing but ``[fleet]`` and ``[[targets]]``)
    or the project's ``nexo.toml``; no file means no targets."""
    if path is None:
        return FleetTargets(None, ())
    from ...core.config import read_toml

    path = Path(path)
    data, text = read_toml(path, "targets file not found")
    unknown = set(data) - {"fleet", "targets"}
    if only_fleet and unknown:
        raise ConfigError(path, f"a targets file holds only [fleet] and [[targets]], not: {', '.join(sorted(unknown))}")
    return parse_targets(data, path.resolve(), text)


def select(fleet: FleetTargets, tags: list[str] | None = None,
           names: list[str] | None = None) -> list[FleetTarget]:
    """Targets with any of ``tags`` or any of ``names`` (the union), in file order; all when
    neither is given. An unknown name is an error (a typo must not deploy to nothing)."""
    tags, names = list(tags or []), list(names or [])
    known = {t.name for t in fleet.targets}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownTarget(unknown, fleet.path)
    if not fleet.targets:
        raise ConfigError(fleet.path, "no [[targets]] defined")
    if not tags and not names:
        return list(fleet.targets)
    chosen = [t for t in fleet.targets if t.name in names or set(t.tags) & set(tags)]
    if not chosen:
        raise UnknownTarget([], fleet.path, tags)
    return chosen
