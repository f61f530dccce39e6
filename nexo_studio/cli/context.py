"""What every command shares: the loaded config, project and target; prompts; output helpers."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Any

from ..errors import ConfirmationDeclined, ConfirmationRequired


class Context:
    """A command's arguments and the session they open (``app.Session``: project + nexo.toml +
    database, with the same rules as the GUI's)."""

    def __init__(self, args: argparse.Namespace) -> None:
        from ..app import Session, SessionSpec

        self.args = args
        self.session = Session.open(SessionSpec(getattr(args, "migrations", None), getattr(args, "config", None),
                                                getattr(args, "db", None)))
        self.config = self.session.config
        #: what the command built that a process run keeps until it exits (``cli.main._UNTIL_EXIT``)
        self.kept: list[Any] = []

    @property
    def project(self):
        return self.session.project

    @property
    def target(self):
        return self.session.target

    def lock_timeout(self) -> float:
        value = getattr(self.args, "lock_timeout", None)
        return self.session.lock_timeout if value is None else value

    def keep(self, value: Any) -> None:
        """Leave ``value`` alive as long as this context: a process run then leaves it to the OS
        instead of freeing it object by object (status at 10,000 migrations: ~5 ms)."""
        self.kept.append(value)

    def close(self) -> None:
        self.session.close()


def err(*parts: Any) -> None:
    print(*parts, file=sys.stderr)


def confirm(args: argparse.Namespace, question: str, action: str) -> None:
    if getattr(args, "yes", False):
        return
    if not sys.stdin.isatty():
        raise ConfirmationRequired(action)
    try:
        if getattr(args, "json", False):  # stdout holds only the JSON document
            print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
            answer = input().strip().lower()
        else:
            answer = input(f"{question} [y/N] ").strip().lower()
    except EOFError:  # Ctrl-D at the prompt
        answer = ""
    if answer not in ("y", "yes"):
        raise ConfirmationDeclined(action)


def run_op(gen, verbose: bool = False, quiet: bool = False):
    """Run an engine operation, its progress on stderr (``quiet``: none)."""
    from ..core.events import run
    from .progress import ProgressPrinter

    return run(gen, None if quiet else ProgressPrinter(verbose=verbose))


def iso(dt: datetime | None) -> str | None:
    """UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (a naive value is UTC). Formatted with ``%``, nearly
    twice as fast as ``strftime`` (`status --json` writes one per applied migration); strftime
    stays for years before 1000, which its ``%Y`` does not pad to four digits."""
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc)
    if dt.year < 1000:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second,
                                                  dt.microsecond)


def seconds(dt: datetime) -> str:
    """``dt.strftime("%Y-%m-%d %H:%M:%S")`` (its own fields, as they are), with ``%`` as ``iso``."""
    if dt.year < 1000:
        return dt.strftime("%Y-%m-%d %H:%M:%S")
    return "%04d-%02d-%02d %02d:%02d:%02d" % (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)


def emit_json(doc: dict) -> None:
    from .jsontext import dumps

    sys.stdout.write(dumps(doc) + "\n")
