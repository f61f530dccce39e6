"""One session: a project folder, its ``nexo.toml`` and a target database, opened once.

Both front ends build their :class:`~nexo_studio.core.target.Target` here, so the settings that
decide *which* tables hold the state (``[database] schema``) and how a deploy runs
(``[deploy]``) are read in one place. The GUI hands a :class:`SessionSpec` (plain, frozen data)
to its worker thread and opens the session there: no engine or connection crosses threads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.config import CONFIG_NAME, Config, load_config, resolve_url

if TYPE_CHECKING:
    from ..core.pipeline import DeployOptions
    from ..core.project import Project
    from ..core.target import Target


@dataclass(frozen=True)
class SessionSpec:
    """What a front end knows before anything is opened: all optional, all plain data."""

    migrations_dir: Path | None = None
    config_path: Path | None = None
    #: a URL given explicitly (``--db``, the connection dialog); else the precedence of
    #: ``resolve_url``: ``NEXO_DATABASE_URL``, ``nexo.toml``, SQLite in the project folder
    db: str | None = None


def find_config(spec: SessionSpec) -> Path | None:
    """The ``nexo.toml`` that governs a project: the explicit one; else the project folder's
    (the migrations folder's parent, or the folder itself); else the current folder's."""
    if spec.config_path is not None:
        return spec.config_path
    if spec.migrations_dir is not None:
        mdir = Path(spec.migrations_dir)
        for candidate in (mdir.parent / CONFIG_NAME, mdir / CONFIG_NAME):
            if candidate.is_file():
                return candidate
    here = Path(CONFIG_NAME)
    return here if here.is_file() else None


class Session:
    """A project + config + database. Cheap to open: the project is read and the engine created
    on first use, so a command that needs neither touches neither."""

    def __init__(self, config: Config, url: str | None) -> None:
        self.config = config
        self._url = url
        self._resolved: str | None = None
        self._project: Project | None = None
        self._target: Target | None = None

    @classmethod
    def open(cls, spec: SessionSpec) -> "Session":
        """Read the governing ``nexo.toml`` (a broken one raises ``ConfigError`` naming it)."""
        config = load_config(find_config(spec), migrations=spec.migrations_dir)
        return cls(config, spec.db)

    # -- what is opened lazily -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The database URL by SPEC §5's precedence (password filled from the keyring)."""
        if self._resolved is None:
            self._resolved = resolve_url(self._url, self.config)
        return self._resolved

    @property
    def project(self) -> "Project":
        if self._project is None:
            from ..core.project import Project

            self._project = Project.load(self.config.migrations_dir)
        return self._project

    @project.setter
    def project(self, project: "Project") -> None:
        self._project = project

    @property
    def target(self) -> "Target":
        """The database, with the state tables in ``[database] schema`` when configured."""
        if self._target is None:
            from ..core.target import Target

            self._target = Target(self.url, self.config.schema)
        return self._target

    @property
    def opened_target(self) -> "Target | None":
        return self._target

    def close(self) -> None:
        if self._target is not None:
            self._target.dispose()
            self._target = None

    # -- settings, merged once -----------------------------------------------------------------

    def deploy_options(self, base: "DeployOptions | None" = None, **overrides) -> "DeployOptions":
        """``[deploy]`` from ``nexo.toml`` < ``base`` (a dialog's or the CLI's choices) <
        ``overrides``. The checks and backup folder always come from the config; a deploy
        without a configured folder backs up into the per-database folder of the user's data."""
        from ..core.pipeline import DeployOptions

        d = self.config.deploy
        opts = base if base is not None else DeployOptions(
            backup=d.backup, verify=d.verify, auto_rollback=d.auto_rollback, lock_timeout=d.lock_timeout,
            allow_risky=d.allow_risky, allow_drift=d.allow_drift)
        # `[deploy] allow_drift = true` stands whatever a dialog says (the deploy dialog's box starts from it)
        opts = replace(opts, checks=d.checks, allow_drift=opts.allow_drift or d.allow_drift)
        opts = replace(opts, **overrides)
        if opts.backup_dir is None:
            opts = replace(opts, backup_dir=self.backup_dir)
        return opts

    @property
    def backup_dir(self) -> Path:
        """``[deploy] backup_dir``, else a per-database folder in the user's data directory."""
        from ..core.config import default_backup_dir

        return self.config.deploy.backup_dir or default_backup_dir(self.target.url)

    @property
    def lock_timeout(self) -> float:
        return self.config.deploy.lock_timeout
