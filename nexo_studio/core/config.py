"""Settings: ``nexo.toml``, the database URL's precedence, the keyring, user folders."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

CONFIG_NAME = "nexo.toml"
ENV_URL = "NEXO_DATABASE_URL"
KEYRING_SERVICE = "nexo-studio"


@dataclass(frozen=True)
class Check:
    """A post-deploy check: ``sql`` must run; with ``expect``, its first value must equal it."""

    name: str
    sql: str
    expect: str | None = None


@dataclass(frozen=True)
class DeploySettings:
    backup: bool = True
    verify: bool = True
    auto_rollback: bool = True
    lock_timeout: float = 30.0
    backup_dir: Path | None = None
    checks: tuple[Check, ...] = ()
    #: deploy runs error-level lint findings anyway (SPEC §11)
    allow_risky: bool = False
    allow_drift: bool = False


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    project_dir: Path = field(default_factory=Path.cwd)
    migrations_dir: Path = field(default_factory=lambda: Path.cwd() / "migrations")
    url: str | None = None
    schema: str | None = None
    deploy: DeploySettings = field(default_factory=DeploySettings)


_DEPLOY_KEYS = {"backup", "verify", "auto_rollback", "lock_timeout", "backup_dir", "checks", "allow_risky", "allow_drift"}
#: `fleet` and `targets` (SPEC §9) are read and checked by app.fleet.targets
_TOP_KEYS = {"migrations_dir", "database", "deploy", "fleet", "targets"}


def read_toml(path: Path, missing: str) -> tuple[dict[str, Any], str]:
    """A TOML file's tables and its text; every problem is a ``ConfigError`` naming ``path``
    (``missing`` when it does not exist) and, where there is one, the line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, missing) from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(path, f"line {line}, column {column}: not UTF-8 (byte 0x{raw[exc.start]:02x}); "
                                "save the file as UTF-8") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"not valid TOML: {exc}") from None


def load_config(path: Path | None = None, *, migrations: Path | None = None) -> Config:
    """Read ``nexo.toml`` (explicit ``path``, else ``./nexo.toml`` if present).

    The project folder is the config file's folder, else the current folder. A missing
    explicit file or an unknown key is an error naming the file.
    """
    data: dict[str, Any] = {}
    if path is None and Path(CONFIG_NAME).is_file():
        path = Path(CONFIG_NAME)
    if path is not None:
        data = read_toml(Path(path), "config file not found")[0]
        path = Path(path).resolve()
    project = path.parent if path else Path.cwd()
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(path, f"unknown key(s): {', '.join(sorted(unknown))}")
    db = data.get("database", {})
    if not isinstance(db, dict) or set(db) - {"url", "schema"}:
        raise ConfigError(path, "[database] takes only `url` and `schema`")
    url = db.get("url")
    from .db import redact

    if url and ("@" in url and ":" in url.split("://", 1)[-1].split("@", 1)[0] or redact(url) != url):
        raise ConfigError(path, "[database] url must not contain a password (use the keyring or NEXO_DATABASE_URL)")
    dep = data.get("deploy", {})
    if not isinstance(dep, dict):
        raise ConfigError(path, "[deploy] must be a table")
    unknown = set(dep) - _DEPLOY_KEYS
    if unknown:
        raise ConfigError(path, f"unknown [deploy] key(s): {', '.join(sorted(unknown))}")
    checks = []
    for i, c in enumerate(dep.get("checks", []), 1):
        if not isinstance(c, dict) or "sql" not in c or set(c) - {"name", "sql", "expect"}:
            raise ConfigError(path, f"[[deploy.checks]] #{i} needs `sql` (and optional `name`, `expect`)")
        expect = c.get("expect")
        checks.append(Check(str(c.get("name", f"check {i}")), str(c["sql"]), None if expect is None else str(expect)))
    backup_dir = dep.get("backup_dir")
    settings = DeploySettings(
        backup=bool(dep.get("backup", True)),
        verify=bool(dep.get("verify", True)),
        auto_rollback=bool(dep.get("auto_rollback", True)),
        lock_timeout=float(dep.get("lock_timeout", 30)),
        backup_dir=(project / backup_dir) if backup_dir else None,
        checks=tuple(checks),
        allow_risky=_flag(path, dep, "allow_risky"),
        allow_drift=_flag(path, dep, "allow_drift"),
    )
    mdir = migrations or project / data.get("migrations_dir", "migrations")
    return Config(
        path=path, project_dir=project, migrations_dir=Path(mdir), url=_sqlite_beside(url, project),
        schema=db.get("schema"), deploy=settings,
    )


_SQLITE_FILE_URL = re.compile(r"(sqlite(?:\+\w+)?:///)([^?]*)(\?.*)?", re.S)


def _sqlite_beside(url: str | None, project: Path) -> str | None:
    """A relative SQLite path in ``nexo.toml`` is relative to its folder, like ``migrations_dir``
    (SPEC §7), not to the folder ``nexo`` runs in."""
    m = _SQLITE_FILE_URL.fullmatch(url or "")
    if m is None:
        return url
    prefix, file, query = m.group(1), m.group(2), m.group(3) or ""
    if not file or file == ":memory:" or file.startswith("file:") or Path(file).is_absolute():
        return url
    return f"{prefix}{project / file}{query}"


def resolve_url(cli_url: str | None, config: Config) -> str:
    """``--db``, then ``NEXO_DATABASE_URL``, then ``nexo.toml``, then SQLite in the project."""
    url = cli_url or os.environ.get(ENV_URL) or config.url
    if not url:
        url = f"sqlite:///{config.project_dir / 'nexo.db'}"
    return with_keyring_password(url)


def with_keyring_password(url: str) -> str:
    """Fill in a missing password from the OS keyring (service ``nexo-studio``, key user@host).

    Only tried for server URLs with a user and no password; silently skipped when no keyring
    backend is available.
    """
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:
        return url
    from .dialects import rules_for

    if rules_for(u.get_backend_name()).is_local_file() or not u.username or u.password or not u.host:
        return url
    if os.environ.get("NEXO_NO_KEYRING"):
        return url
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            secret = keyring.get_password(KEYRING_SERVICE, keyring_key(u))
        except KeyringError:
            return url
    except Exception:
        return url
    if not secret:
        return url
    return u.set(password=secret).render_as_string(hide_password=False)


def keyring_key(u) -> str:
    return f"{u.get_backend_name()}://{u.username}@{u.host}:{u.port or ''}/{u.database or ''}"


def user_data_dir() -> Path:
    from platformdirs import user_data_path

    return Path(os.environ.get("NEXO_DATA_DIR") or user_data_path("nexo-studio", "Nexo"))


def default_backup_dir(url) -> Path:
    """A per-database folder in the user's data directory (never inside the migrations)."""
    import re

    name = f"{url.get_backend_name()}-{url.host or 'local'}-{Path(url.database or 'memory').name}"
    return user_data_dir() / "backups" / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _flag(path: Path | None, table: dict, key: str) -> bool:
    """A true/false setting: a string such as "false" is an error, never silently true."""
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(path, f"[deploy] {key} must be true or false, not {value!r}")
    return value
