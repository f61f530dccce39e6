"""Connection profiles and recent projects, saved per user; passwords only in the OS keyring.

Profiles live in ``<user data dir>/profiles.json`` (platformdirs, or ``NEXO_DATA_DIR``) and
never contain a password: the URL is stored with the password removed. Passwords go to
``keyring`` (service ``nexo-studio``, key from :func:`nexo_studio.core.config.keyring_key`, the
same lookup the CLI does). With no keyring backend (no D-Bus session, ``NoKeyringError``) the
password is kept in memory for this session only, and the caller is told so.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ..core.config import KEYRING_SERVICE, keyring_key, user_data_dir

#: dialect key -> (label, SQLAlchemy driver name, default port)
DIALECTS: dict[str, tuple[str, str, int | None]] = {
    "sqlite": ("SQLite (file)", "sqlite", None),
    "postgresql": ("PostgreSQL", "postgresql+psycopg", 5432),
    "mysql": ("MySQL", "mysql+pymysql", 3306),
    "mariadb": ("MariaDB", "mariadb+pymysql", 3306),
    "mssql": ("SQL Server (ODBC)", "mssql+pyodbc", 1433),
}
DEFAULT_ODBC_DRIVER = "ODBC Driver 18 for SQL Server"
#: dialect key -> the administrator's user name a fresh server has
DEFAULT_USERS: dict[str, str] = {"postgresql": "postgres", "mysql": "root", "mariadb": "root", "mssql": "sa"}
#: folder names that say nothing about the project: the label adds the parent folder
_GENERIC_DIRS = {"migrations", "migration", "db", "database", "sql", "schema", "nexo"}


def project_label(migrations_dir: str | Path, profile: str | None = None) -> str:
    """What a window title or a recent entry calls a project: the profile name, or the
    folder with its parent when the folder's own name is generic (``shop/migrations``)."""
    if profile:
        return profile
    d = Path(migrations_dir)
    if d.name.lower() in _GENERIC_DIRS and d.parent.name:
        return f"{d.parent.name}/{d.name}"
    return d.name or str(d)
MAX_RECENT = 10


@dataclass
class ConnectionFields:
    """The per-dialect form; :meth:`url` builds the SQLAlchemy URL."""

    dialect: str = "sqlite"
    file: str = ""
    host: str = "localhost"
    port: int | None = None
    database: str = ""
    user: str = ""
    password: str = ""
    driver: str = DEFAULT_ODBC_DRIVER  # mssql: ODBC driver name

    def url(self, with_password: bool = True) -> URL:
        if self.dialect == "sqlite":
            return URL.create("sqlite", database=self.file or None)
        label, driver, port = DIALECTS[self.dialect]
        query = {}
        if self.dialect == "mssql":
            query = {"driver": self.driver or DEFAULT_ODBC_DRIVER}
        return URL.create(driver, username=self.user or None,
                          password=(self.password or None) if with_password else None,
                          host=self.host or None, port=self.port or port if self.host else None,
                          database=self.database or None, query=query)

    @classmethod
    def from_url(cls, url: str | URL) -> "ConnectionFields":
        u = make_url(url) if isinstance(url, str) else url
        backend = u.get_backend_name()
        if backend == "sqlite":
            return cls("sqlite", file=u.database or "")
        dialect = backend if backend in DIALECTS else "postgresql"
        return cls(dialect, host=u.host or "", port=u.port, database=u.database or "", user=u.username or "",
                   password=u.password or "", driver=str(u.query.get("driver") or DEFAULT_ODBC_DRIVER))


def url_without_password(url: str | URL) -> str:
    """The URL as text with no password in it (``URL.set(password=None)`` would keep it), nor a
    credential-bearing query parameter (``?password=``, ``sslpassword``, ``token``…)."""
    from ..core.db import is_secret_param

    u = make_url(url) if isinstance(url, str) else url
    if u.password is not None or any(is_secret_param(k) for k in u.query):
        u = URL.create(u.drivername, username=u.username, host=u.host, port=u.port, database=u.database,
                       query={k: v for k, v in u.query.items() if not is_secret_param(k)})
    return u.render_as_string(hide_password=False)


@dataclass
class Profile:
    name: str
    migrations_dir: str
    url: str  # never with a password
    #: the window is coloured and changes are asked twice
    production: bool = False

    def __post_init__(self) -> None:
        self.url = url_without_password(self.url)


@dataclass
class ProfileStore:
    path: Path
    profiles: list[Profile] = field(default_factory=list)
    recent: list[dict] = field(default_factory=list)  # {"migrations_dir", "url"} (no passwords)

    @classmethod
    def default_path(cls) -> Path:
        return user_data_dir() / "profiles.json"

    @classmethod
    def load(cls, path: Path | None = None) -> "ProfileStore":
        path = path or cls.default_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        profiles = []
        for p in data.get("profiles", []):
            try:
                profiles.append(Profile(str(p["name"]), str(p["migrations_dir"]), str(p["url"]),
                                        bool(p.get("production", False))))
            except (KeyError, TypeError, ValueError):
                continue
        recent = [r for r in data.get("recent", []) if isinstance(r, dict) and "migrations_dir" in r]
        return cls(path, profiles, recent)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"profiles": [asdict(p) for p in self.profiles],
                "recent": [{"migrations_dir": r["migrations_dir"], "url": url_without_password(r.get("url") or "sqlite://")}
                           for r in self.recent]}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)

    def put(self, profile: Profile) -> None:
        self.profiles = [p for p in self.profiles if p.name != profile.name] + [profile]
        self.profiles.sort(key=lambda p: p.name.lower())

    def remove(self, name: str) -> None:
        self.profiles = [p for p in self.profiles if p.name != name]

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)

    def add_recent(self, migrations_dir: str | Path, url: str) -> None:
        """Call only once the connection opened: recents never hold a failed one."""
        entry = {"migrations_dir": str(migrations_dir), "url": url_without_password(url)}
        self.recent = [entry] + [r for r in self.recent if r != entry]
        del self.recent[MAX_RECENT:]


def recent_label(entry: dict) -> str:
    """``shop/migrations — postgresql://app@db/shop``: which project, on which database."""
    return f"{project_label(entry['migrations_dir'])} — {entry.get('url', '')}"


def remember_opened(migrations_dir: Path | None, url: str | None) -> None:
    """After a load that reached the database: put the pair first in the recent list."""
    if migrations_dir is None or not url:
        return
    store = ProfileStore.load()
    store.add_recent(migrations_dir, url)
    try:
        store.save()
    except OSError:  # a read-only profile folder must not break opening a project
        pass


# --------------------------------------------------------------------------------------------
# passwords


class Passwords:
    """Keyring first; an in-memory fallback for this session when there is no backend."""

    _session: dict[str, str] = {}

    @staticmethod
    def key(url: str | URL) -> str:
        return keyring_key(make_url(url) if isinstance(url, str) else url)

    @classmethod
    def store(cls, url: str | URL, password: str) -> tuple[bool, str]:
        """Save a password; returns (saved in the keyring?, a message for the user)."""
        k = cls.key(url)
        try:
            import keyring
            from keyring.errors import KeyringError, NoKeyringError

            try:
                keyring.set_password(KEYRING_SERVICE, k, password)
                cls._session.pop(k, None)
                return True, "Password saved in the system keyring."
            except NoKeyringError:
                reason = "no system keyring is available (no keyring service or D-Bus session)"
            except KeyringError as exc:
                reason = f"the system keyring refused it ({exc})"
        except ImportError:
            reason = "the keyring module is not installed"
        cls._session[k] = password
        return False, (f"The password was not saved: {reason}. It is kept in memory for this session only "
                       "and never written to the settings file.")

    @classmethod
    def lookup(cls, url: str | URL) -> str | None:
        k = cls.key(url)
        if k in cls._session:
            return cls._session[k]
        try:
            import keyring
            from keyring.errors import KeyringError

            try:
                return keyring.get_password(KEYRING_SERVICE, k)
            except KeyringError:
                return None
        except ImportError:
            return None

    @classmethod
    def forget(cls, url: str | URL) -> None:
        k = cls.key(url)
        cls._session.pop(k, None)
        try:
            import keyring
            from keyring.errors import KeyringError, PasswordDeleteError

            try:
                keyring.delete_password(KEYRING_SERVICE, k)
            except (KeyringError, PasswordDeleteError):
                pass
        except ImportError:
            pass


def with_password(url: str) -> str:
    """The URL with its password filled in from the keyring / session when it has none."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" or u.password or not u.username:
        return url
    secret = Passwords.lookup(u)
    return u.set(password=secret).render_as_string(hide_password=False) if secret else url
