"""Engines and URLs: one place that knows how to connect, per dialect, and how to hide passwords."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from ..errors import ConfigError, ConnectionFailed
from .model import canonical_dialect

#: execution options for migration SQL: sent verbatim, `%` / `?` / `:name` are never parameters
VERBATIM = {"no_parameters": True}


def parse_url(url: str | URL) -> URL:
    try:
        return make_url(url)
    except Exception as exc:  # ArgumentError for a malformed URL
        raise ConfigError(None, f"not a database URL: {redact(str(url))}") from exc


#: query parameters that carry a credential (compared without case); a parameter whose name
#: contains one of SECRET_WORDS counts too (``sslpassword``, ``auth_token``, ``client_secret``)
SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "pass", "sslpassword", "token", "secret",
                           "apikey", "api_key", "access_key", "secret_key", "credentials"})
SECRET_WORDS = ("password", "passwd", "pwd", "token", "secret", "credential")
_QUERY_SECRET = re.compile(r"([?&;][^=&\s#?;]*(?:" + "|".join(sorted({*SECRET_PARAMS, *SECRET_WORDS}))
                           + r")[^=&\s#?;]*=)[^&\s#;]*", re.IGNORECASE)


def is_secret_param(name: str) -> bool:
    """Whether a URL query parameter carries a credential (``?password=...`` is honoured by PyMySQL)."""
    low = name.lower()
    return low in SECRET_PARAMS or any(w in low for w in SECRET_WORDS)


def redact(text: str | URL | None) -> str:
    """A URL (or any text containing URLs) with every password replaced by ``***``: the one in
    the user-info part and every credential-bearing query parameter."""
    if text is None:
        return ""
    if isinstance(text, URL):
        return display_url(text)
    text = re.sub(r"(://[^:/@\s]*:)[^@\s]*(@)", r"\1***\2", text)
    return _QUERY_SECRET.sub(r"\1***", text)


def display_url(url: URL) -> str:
    """The URL as shown and stored anywhere: password and credential query parameters hidden."""
    return _QUERY_SECRET.sub(r"\1***", url.render_as_string(hide_password=True))


def url_secrets(url: URL) -> list[str]:
    """Every credential the URL carries (its password, secret query parameters' values)."""
    out = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if is_secret_param(key):
            out += [v for v in ((value,) if isinstance(value, str) else value) if v]
    return out


def dialect_of(url: URL) -> str:
    """File-format dialect name: sqlite, postgresql, mysql (MariaDB too) or mssql."""
    return canonical_dialect(url.get_backend_name())


def create_engine(url: str | URL, **kwargs: Any) -> sa.Engine:
    """An Engine with the per-dialect settings the engine relies on.

    SQLite uses SQLAlchemy's documented pysqlite recipe so that DDL runs inside real
    transactions (a failed migration's CREATE TABLE rolls back).
    """
    from .dialects import rules_for

    url = parse_url(url)
    rules = rules_for(url.get_backend_name())
    url = rules.engine_url(url, kwargs)
    try:
        engine = sa.create_engine(url, **kwargs)
    except (ImportError, sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigError(None, f"cannot use {display_url(url)}: {exc}") from exc
    rules.prepare_engine(engine)
    return engine


def connection_failed(url: URL, exc: BaseException) -> ConnectionFailed:
    """Map a driver error at connect time to ConnectionFailed naming host and port only."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else type(exc).__name__
    for secret in url_secrets(url):
        reason = reason.replace(secret, "***")
    from .dialects import rules_for

    host = url.host or (url.database if rules_for(url.get_backend_name()).is_local_file() else None)
    port = url.port
    if port is None and url.host:
        port = rules_for(url.get_backend_name()).default_port
    return ConnectionFailed(host, port, redact(reason))


def connect(engine: sa.Engine) -> sa.Connection:
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        raise connection_failed(engine.url, exc) from None
    except OSError as exc:
        raise connection_failed(engine.url, exc) from None
    except TypeError as exc:  # PyMySQL: a URL query parameter it does not know (`?no_such_option=1`)
        if engine.dialect.driver != "pymysql":
            raise  # anywhere else a TypeError is a bug, not an unreachable server
        raise connection_failed(engine.url, exc) from None
