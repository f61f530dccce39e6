"""What every command shares: the loaded config, project and target; prompts; output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from typing import Any

from ..errors import ConfirmationDeclined, ConfirmationRequired


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        from ..core.config import load_config

        self.args = args
        self.config = load_config(getattr(args, "config", None), migrations=getattr(args, "migrations", None))
        self._project = None
        self._target = None

    @property
    def project(self):
        if self._project is None:
            from ..core.project import Project

            self._project = Project.load(self.config.migrations_dir)
        return self._project

    @property
    def target(self):
        if self._target is None:
            from ..core.config import resolve_url
            from ..core.target import Target

            self._target = Target(resolve_url(getattr(self.args, "db", None), self.config), self.config.schema)
        return self._target

    def lock_timeout(self) -> float:
        value = getattr(self.args, "lock_timeout", None)
        return self.config.deploy.lock_timeout if value is None else value

    def close(self) -> None:
        if self._target is not None:
            self._target.dispose()


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
