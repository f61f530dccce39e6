"""A fleet opened once for a front end that keeps it open (the GUI's Fleet view).

:class:`FleetSession` is the project, its ``nexo.toml`` and the targets (that file's
``[[targets]]`` or a ``--targets`` file), with the three operations the view runs on its
worker thread: read every target's status, run deploy / rollback / dry run on some of them,
and export. Plain data in, plain data out; nothing here knows about Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.config import Config
from ...errors import ConfigError
from .targets import FleetTarget, FleetTargets, load_targets

if TYPE_CHECKING:
    from ...core.events import CancelToken, Event
    from ...core.project import Project
    from .runner import FleetOptions, FleetRun, TargetOutcome
    from .status import TargetStatus


def has_targets(config_path: Path | None) -> bool:
    """Whether a ``nexo.toml`` defines ``[[targets]]`` (False when it is missing or broken)."""
    if config_path is None:
        return False
    try:
        return bool(load_targets(Path(config_path)).targets)
    except ConfigError:
        return False


@dataclass
class FleetSession:
    config: Config
    project: "Project"
    fleet: FleetTargets

    @classmethod
    def open(cls, migrations_dir: Path | None, targets_file: Path | None = None,
             project: "Project | None" = None) -> "FleetSession":
        """``targets_file`` (only ``[fleet]`` and ``[[targets]]``) or the project's ``nexo.toml``;
        a fleet without targets raises ``ConfigError`` naming the file."""
        from ..session import Session, SessionSpec, find_config

        spec = SessionSpec(migrations_dir)
        session = Session.open(spec)
        path = targets_file or find_config(spec)
        if path is None:
            raise ConfigError(None, "no fleet: add [[targets]] to nexo.toml or choose a targets file")
        fleet = load_targets(path, only_fleet=targets_file is not None)
        if not fleet.targets:
            raise ConfigError(fleet.path, "no [[targets]] defined")
        return cls(session.config, project if project is not None else session.project, fleet)

    @property
    def targets(self) -> tuple[FleetTarget, ...]:
        return self.fleet.targets

    def pick(self, names: Sequence[str] | None) -> list[FleetTarget]:
        if names is None:
            return list(self.targets)
        wanted = set(names)
        return [t for t in self.targets if t.name in wanted]

    def default_options(self, action: str, dry_run: bool = False) -> "FleetOptions":
        """What `nexo fleet deploy|rollback` runs without options: ``[fleet] parallel``,
        ``[deploy] backup, verify, lock_timeout``, canaries by tag, stop after the first failure."""
        from .runner import FleetOptions

        d = self.config.deploy
        return FleetOptions(action=action, dry_run=dry_run, parallel=self.fleet.parallel, backup=d.backup,
                            verify=d.verify, lock_timeout=d.lock_timeout)

    def production(self, names: Sequence[str]) -> list[str]:
        """The targets among ``names`` tagged ``production`` (a run that changes them asks twice)."""
        from .production import production_names

        return production_names(self.pick(names))

    def columns(self, rows: Sequence["TargetStatus"]) -> list[str]:
        from .export import columns

        return columns(self.project, rows)

    def status(self, names: Sequence[str] | None = None, parallel: int | None = None,
               chain: bool = False) -> list["TargetStatus"]:
        from .status import read_all

        return read_all(self.project, self.config, self.pick(names), parallel or self.fleet.parallel, chain)

    def run(self, opts: "FleetOptions", names: Sequence[str], cancel: "CancelToken",
            on_event: Callable[[str, "Event"], None] | None = None,
            on_done: Callable[["TargetOutcome"], None] | None = None) -> "FleetRun":
        from .runner import run_fleet

        return run_fleet(self.project, self.config, self.pick(names), opts, cancel, on_event, on_done)

    def export(self, fmt: str, path: Path, names: Sequence[str] | None = None) -> Path:
        from .export import write

        rows = self.status(names, chain=True)
        return write(fmt, path, rows, self.columns(rows))
