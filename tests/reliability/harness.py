"""Shared machinery for the reliability suite: CLI processes that can be killed at a chosen
moment, the CLI in-process, a look at the real schema, and the server's view of sessions.

``ForkedCli`` runs ``nexo_studio.cli.main.main(argv)`` -- what the ``nexo`` entry point runs --
in a child forked from the test process at ``go()``: a real process with its own connections,
locks and file descriptors, killed with a real SIGKILL, but without a second of interpreter
start-up per run (a 2-core machine runs hundreds of them).
``run_entry_point`` runs the real ``python -m nexo_studio.cli.main`` for the samples that must
go through it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from nexo_studio.cli.main import main

PY = sys.executable
REPO = Path(__file__).resolve().parents[2]

def cli_env(extra: dict | None = None) -> dict:
    env = {**os.environ, "NEXO_NO_KEYRING": "1", "PYTHONPATH": str(REPO)}
    env.pop("NEXO_DATABASE_URL", None)
    env.update(extra or {})
    return env


class _Output:
    """stdout/stderr of a child, collected as they arrive, and waiting for text on stderr."""

    _out: bytearray
    _err: bytearray
    _cond: threading.Condition
    proc: "_Child | None"

    @property
    def stdout(self) -> str:
        with self._cond:
            return self._out.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        with self._cond:
            return self._err.decode("utf-8", "replace")

    def wait_stderr(self, pattern: str | re.Pattern, timeout: float) -> re.Match | None:
        """Wait until ``pattern`` appears on stderr (or the process ends, or the time is up)."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._err.decode("utf-8", "replace"))
                if m or self.proc is None or self.proc.poll() is not None:
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.05))

    def json(self) -> dict:
        return json.loads(self.stdout)


class ForkedCli(_Output):
    """``main(args)`` in a child forked at ``go()`` (the test process has imported everything);
    stdout/stderr are pipes read as the child writes them."""

    def __init__(self, args: list[str], env: dict | None = None, cwd: Path | None = None,
                 in_child: "Callable[[], None] | None" = None) -> None:
        self.args = args
        self.env = env or {}
        #: run in the child just before ``main`` (e.g. steps.install: a driver-level step counter)
        self.in_child = in_child
        self._out = bytearray()
        self._err = bytearray()
        self._cond = threading.Condition()
        self._readers: list[threading.Thread] = []
        self.proc: _Child | None = None
        self.started_at = None

    def ready(self, timeout: float = 60) -> None:
        """Nothing to wait for: the test process has imported everything already."""

    def go(self) -> None:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self.started_at = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 70
            try:
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                for fd in (out_r, out_w, err_r, err_w):
                    os.close(fd)
                sys.stdin = open(os.devnull)
                sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
                sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
                os.environ.pop("NEXO_DATABASE_URL", None)
                os.environ.update(cli_env(self.env))
                if self.in_child is not None:
                    self.in_child()
                code = main(list(self.args))
            except BaseException:  # pragma: no cover - reported on the child's stderr
                import traceback

                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code if isinstance(code, int) else 70)
        os.close(out_w)
        os.close(err_w)
        self.proc = _Child(pid)
        self._readers = [
            threading.Thread(target=self._pump, args=(io.FileIO(out_r, "r"), self._out), daemon=True),
            threading.Thread(target=self._pump, args=(io.FileIO(err_r, "r"), self._err), daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _pump(self, stream, buf: bytearray) -> None:
        try:
            while True:
                chunk = stream.read(65536)
                with self._cond:
                    if not chunk:
                        self._cond.notify_all()
                        return
                    buf.extend(chunk)
                    self._cond.notify_all()
        finally:
            stream.close()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()

    def wait(self, timeout: float = 120) -> int:
        if self.proc is None:
            return 0
        rc = self.proc.wait(timeout)
        for t in self._readers:
            t.join(5)
        return rc


class _Child:
    """A forked child: poll/wait/kill like Popen; the exit status as Popen reports it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.005)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)


def run_cli(*args: str) -> tuple[int, str, str]:
    """``main(args)`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def run_entry_point(*args: str, env: dict | None = None, cwd: Path | None = None,
                    timeout: float = 120) -> subprocess.CompletedProcess:
    """The real entry point: ``python -m nexo_studio.cli.main ARGS``."""
    return subprocess.run([PY, "-m", "nexo_studio.cli.main", *args], env=cli_env(env), cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def status_json(url: str, migrations: Path) -> dict:
    code, out, err = run_cli("--db", url, "--migrations", str(migrations), "status", "--json")
    assert code == 0, out + err
    return json.loads(out)


def statuses(url: str, migrations: Path) -> dict[str, str]:
    return {m["id"]: m["status"] for m in status_json(url, migrations)["migrations"]}


# --- the database's point of view ---------------------------------------------------------------


def engine_for(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def tables(url: str) -> set[str]:
    """Every table in the default schema (the tool's own included)."""
    engine = engine_for(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def user_tables(url: str) -> set[str]:
    return {t for t in tables(url) if not t.startswith("__")}


def q(url: str, name: str) -> str:
    """A quoted identifier for the URL's dialect."""
    return f"`{name}`" if url.startswith(("mysql", "mariadb")) else f'"{name}"'


def execute(url: str, *sql: str, params: dict | None = None) -> list:
    """Run statements in one transaction; the rows of the last one that returns rows."""
    engine = engine_for(url)
    rows: list = []
    try:
        with engine.begin() as conn:
            for s in sql:
                result = conn.execute(sa.text(s), params or {})
                if result.returns_rows:
                    rows = [tuple(r) for r in result]
    finally:
        engine.dispose()
    return rows


def other_sessions(url: str) -> int:
    """Sessions connected to this database other than ours (0 on SQLite)."""
    if url.startswith("sqlite"):
        return 0
    if url.startswith("postgresql"):
        sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
               "AND pid <> pg_backend_pid()")
    else:
        sql = ("SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
               "AND ID <> CONNECTION_ID()")
    return int(execute(url, sql)[0][0])


def settle(url: str, timeout: float = 30) -> None:
    """Wait until the server has noticed that killed clients are gone (their sessions ended,
    so their locks are released and no statement of theirs is still running)."""
    deadline = time.monotonic() + timeout
    while other_sessions(url):
        if time.monotonic() > deadline:
            raise AssertionError(f"sessions of a killed process still open on {url}")
        time.sleep(0.05)


def slow_sql(dialect: str, seconds: float) -> str:
    """A statement that takes about ``seconds`` on the dialect."""
    if dialect == "postgresql":
        return f"SELECT pg_sleep({seconds})"
    if dialect == "mysql":
        return f"SELECT SLEEP({seconds})"
    n = int(seconds * 2_000_000)  # CPU-bound on SQLite (no sleep function)
    return (f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) "
            "SELECT count(*) FROM c")
