"""What every command shares: the loaded config, project and target; prompts; output helpers."""

from __future__ import annotations

import argparse
import json
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

    @property
    def project(self):
        return self.session.project

    @property
    def target(self):
        return self.session.target

    def lock_timeout(self) -> float:
        value = getattr(self.args, "lock_timeout", None)
        return self.session.lock_timeout if value is None else value

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
    from .render import ProgressPrinter

    return run(gen, None if quiet else ProgressPrinter(verbose=verbose))


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def emit_json(doc: dict) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
