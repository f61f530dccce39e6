"""The fleet's targets: ``[fleet]`` and ``[[targets]]`` of ``nexo.toml`` or of a ``--targets`` file."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ...errors import ConfigError, UnknownTarget

NAME_RE = re.compile(r"[a-z0-9_.-]+")
DEFAULT_PARALLEL = 8
_TARGET_KEYS = {"name", "url", "tags"}


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
    rest = url.split("://", 1)[-1]
    return "@" in rest and ":" in rest.split("@", 1)[0]


def _target(path: Path, i: int, raw: object) -> FleetTarget:
    from ...core.config import _sqlite_beside

    where = f"[[targets]] #{i}"
    if not isinstance(raw, dict):
        raise ConfigError(path, f"{where} must be a table")
    unknown = set(raw) - _TARGET_KEYS
    if unknown:
        raise ConfigError(path, f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    name, url, tags = raw.get("name"), raw.get("url"), raw.get("tags", [])
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ConfigError(path, f"{where}: name {name!r} must match [a-z0-9_.-]+")
    where = f"target {name!r}"
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError(path, f"{where}: needs a database `url`")
    if _has_password(url):
        raise ConfigError(path, f"{where}: url must not contain a password "
                                "(use the keyring or NEXO_DATABASE_URL rules)")
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise ConfigError(path, f"{where}: tags must be a list of strings")
    return FleetTarget(name, _sqlite_beside(url, path.parent) or url, tuple(tags))


def parse_targets(data: dict, path: Path) -> FleetTargets:
    """The targets of one parsed TOML document; every problem names ``path`` and the target."""
    fleet = data.get("fleet", {})
    if not isinstance(fleet, dict) or set(fleet) - {"parallel"}:
        raise ConfigError(path, "[fleet] takes only `parallel`")
    parallel = fleet.get("parallel", DEFAULT_PARALLEL)
    if not isinstance(parallel, int) or isinstance(parallel, bool) or parallel < 1:
        raise ConfigError(path, f"[fleet] parallel must be a whole number >= 1, not {parallel!r}")
    raw = data.get("targets", [])
    if not isinstance(raw, list):
        raise ConfigError(path, "`targets` must be an array of tables: [[targets]]")
    targets = [_target(path, i, t) for i, t in enumerate(raw, 1)]
    seen: set[str] = set()
    for t in targets:
        if t.name in seen:
            raise ConfigError(path, f"target name {t.name!r} is used twice")
        seen.add(t.name)
    return FleetTargets(path, tuple(targets), parallel)


def load_targets(path: Path | None, only_fleet: bool = False) -> FleetTargets:
    """``path``: ``--targets FILE`` (``only_fleet``: nothing but ``[fleet]`` and ``[[targets]]``)
    or the project's ``nexo.toml``; no file means no targets."""
    if path is None:
        return FleetTargets(None, ())
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "targets file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"not valid TOML: {exc}") from None
    unknown = set(data) - {"fleet", "targets"}
    if only_fleet and unknown:
        raise ConfigError(path, f"a targets file holds only [fleet] and [[targets]], not: {', '.join(sorted(unknown))}")
    return parse_targets(data, path.resolve())


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
