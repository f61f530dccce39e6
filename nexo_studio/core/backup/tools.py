"""Shared plumbing for the providers: client-tool lookup and runs, secret scrubbing, atomic output.

Nothing here knows a dialect. Secrets (passwords) are passed in so that every message built from
a tool's stderr or a driver error is scrubbed in one place.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import quote, quote_plus

from nexo_studio.errors import BackupError, Cancelled, ToolMissing

#: A cancel check: returns True once the user asked to stop.
CancelCheck = Callable[[], bool]

_POLL_SECONDS = 0.1
_DISK_FULL = re.compile(r"errno:? 28\b|No space left on device|ENOSPC", re.IGNORECASE)
_STDERR_LIMIT = 4000


def find_tool(names: Sequence[str], env_var: str, package: str) -> str:
    """Absolute path of the first of ``names`` on PATH, or the override in ``$env_var``.

    Raises ToolMissing(tool, package) when nothing usable is found; an override that does not
    resolve is reported as missing too (it is never silently replaced by the PATH lookup).
    """
    override = os.environ.get(env_var)
    if override:
        found = shutil.which(override)
        if not found:
            raise ToolMissing(override, package)
        return found
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing(names[0], package)


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (also URL-encoded) replaced by ``***``."""
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, "***")
    return text


def run_tool(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
    secrets: Iterable[str | None] = (),
    path: Path | None = None,
    cancel: CancelCheck | None = None,
    what: str = "",
    on_start: Callable[[int], None] | None = None,
) -> None:
    """Run a client tool to completion; a non-zero exit becomes BackupError with its stderr.

    ``cancel`` is polled while the tool runs; when it returns True the tool is terminated and
    Cancelled is raised. The error text names the tool (not its arguments) and has every secret
    scrubbed. Never prompts: stdin is /dev/null unless given. ``on_start(pid)`` is called once
    the tool runs (a restore journals it: the tool outlives a killed caller).
    """
    secrets = list(secrets)
    tool = Path(argv[0]).name
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                list(argv),
                env=env,
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=stdout if stdout is not None else subprocess.DEVNULL,
                stderr=err,
            )
        except OSError as exc:
            raise BackupError(f"cannot run {tool}: {exc.strerror or exc}", path) from exc
        try:
            if on_start is not None:
                on_start(proc.pid)
            while True:
                try:
                    rc = proc.wait(timeout=_POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    if cancel is not None and cancel():
                        _stop(proc)
                        raise Cancelled(what or tool) from None
        except BaseException:
            _stop(proc)
            raise
        if rc != 0:
            err.seek(0)
            text = err.read().decode("utf-8", errors="replace").strip()
            if len(text) > _STDERR_LIMIT:
                text = "…" + text[-_STDERR_LIMIT:]
            how = f"exit {rc}" if rc > 0 else f"killed by {_signal_name(-rc)}"
            detail = scrub(text, secrets) or "no error output"
            if _DISK_FULL.search(text):  # mariadb-dump says "Got errno 28 on write"
                detail += " (the disk is full)"
            raise BackupError(f"{tool} failed ({how}): {detail}", path)


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    hint = " (file size limit reached)" if name == "SIGXFSZ" else ""
    return f"{name}{hint}"


def capture_tool(argv: Sequence[str], **kwargs) -> str:
    """run_tool, returning what the tool wrote on stdout (decoded as UTF-8)."""
    with tempfile.TemporaryFile() as out:
        run_tool(argv, stdout=out, **kwargs)
        out.seek(0)
        return out.read().decode("utf-8", errors="replace")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def describe_os_error(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "disk full while writing the backup"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded while writing the backup"
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


#: the modes of what the tool creates for backups (files: data; folders: their names and list)
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_text(path: Path) -> IO[str]:
    """``open(path, "w")`` for a new file only its owner can read (one left over is replaced)."""
    path.unlink(missing_ok=True)
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE), "w", encoding="utf-8")


def partial_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


@contextmanager
def atomic_output(out: Path | str, companions: Sequence[str] = ()) -> Iterator[Path]:
    """Yield ``OUT.partial`` to write; on success fsync it and rename it to ``OUT``.

    On any failure (tool error, cancel, disk full) the partial file — and ``OUT.partial`` +
    each of ``companions`` (e.g. SQLite's ``-journal``) — is removed and ``OUT`` is left as it
    was, so a failed backup never leaves a file that looks good.
    """
    out = Path(out)
    partial = partial_path(out)
    leftovers = [partial, *(partial.with_name(partial.name + c) for c in companions)]
    try:
        out.parent.mkdir(PRIVATE_FOLDER, parents=True, exist_ok=True)
        for leftover in leftovers[1:]:  # a killed run's (SQLite's -journal would replay into it)
            leftover.unlink(missing_ok=True)
        # emptied, not removed: an automatic backup reserved this name (operations._reserve);
        # a backup holds every row: for its owner only (0600, whatever the umask), and the tools
        # write into the file that exists and keep its mode
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        try:
            os.fchmod(fd, PRIVATE_FILE)
        finally:
            os.close(fd)
        yield partial
        if not partial.is_file():
            raise BackupError("the backup tool wrote no output", out)
        fd = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, out)
        fsync_dir(out.parent)
    except OSError as exc:
        _remove_quietly(*leftovers)
        raise BackupError(describe_os_error(exc), out) from exc
    except BaseException:
        _remove_quietly(*leftovers)
        raise


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
