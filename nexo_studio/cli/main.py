"""`nexo`: the command line over the engine (SPEC §5).

The CLI in parts: ``parser`` (arguments), ``context`` (what commands share), ``commands``
(one function per command), ``json_shapes`` (the `--json` documents), ``render`` (tables and
progress). Errors are mapped to exit codes once, in ``main()``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator

from ..errors import EXIT_FAILED, NexoError, UsageError
from .commands import COMMANDS
from .commands.query import _findings_out
from .context import Context, emit_json, err
from .parser import build_parser

__all__ = ["COMMANDS", "build_parser", "entry", "main"]

#: commands that change nothing (SPEC §2): they build their data once, print it and end
READ_ONLY_COMMANDS = {"status", "validate", "plan", "history", "graph", "lint"}

#: what a process run (``main(process=True)``) keeps until the process exits: a list that holds
#: itself, so that neither the interpreter's clearing of module globals at exit nor its last
#: collection (which leaves out frozen objects, see ``entry``) frees it, item by item, just
#: before the OS takes the memory back
_UNTIL_EXIT: list = []
_UNTIL_EXIT.append(_UNTIL_EXIT)


@contextlib.contextmanager
def _collector_paused(pause: bool, process: bool = False) -> Iterator[None]:
    """Pause the cycle collector while a read-only command runs, as Mercurial does while it
    builds large structures (``util.nogc``). Everything such a command builds stays alive
    until it ends, so each collection scans it all and frees next to nothing: one young
    collection of ~200,000 objects was 65 ms of `status` at 10,000 migrations.

    ``process``: the command is the process's whole work (``entry``). Its objects then live
    until the process exits, and are frozen (left out of every later collection, as at exit)
    before the collector resumes: else the first allocation after it resumes would collect
    them all once more (`status` at 10,000 migrations: ~45 ms for ~1,000 objects freed)."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if process:
            gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None, *, process: bool = False) -> int:
    """Run one command; its exit code. ``process``: called as the process's entry point
    (``entry``: see ``_collector_paused``; the session is kept to the end, ``_UNTIL_EXIT``); an
    embedding caller (tests) leaves it False."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:  # bad arguments: argparse's message, or one JSON document (exit 2)
        if "--json" in (sys.argv[1:] if argv is None else argv):
            from .json_shapes import error_doc  # (the --json documents: loaded when one is written)

            emit_json({"ok": False, "error": error_doc(exc)})
        else:
            sys.stderr.write(exc.usage)
            err(str(exc))
        return exc.exit_code
    except SystemExit as exc:  # --help, --version: 0
        return int(exc.code or 0)
    wants_json = bool(getattr(args, "json", False))
    ctx = None
    try:
        ctx = Context(args)
        with _collector_paused(args.command in READ_ONLY_COMMANDS, process):
            return COMMANDS[args.command](ctx)
    except NexoError as exc:
        from ..core.db import redact

        if wants_json:
            from .json_shapes import error_doc

            emit_json({"ok": False, "error": error_doc(exc)})
        else:
            findings = getattr(exc, "findings", None)  # ValidationFailed, RiskyMigration
            if findings:
                _findings_out([f for f in findings if f.level == "error"], sys.stderr)
            err(f"nexo: {redact(str(exc))}")
        return exc.exit_code
    except KeyboardInterrupt:
        err("nexo: interrupted")
        return EXIT_FAILED
    except Exception as exc:  # a database error outside any step: report it, never a traceback
        import sqlalchemy

        if not isinstance(exc, sqlalchemy.exc.SQLAlchemyError):
            raise
        from ..core.db import redact

        text = redact(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
        if os.environ.get("NEXO_DEBUG"):
            import traceback

            traceback.print_exc()
        if wants_json:
            emit_json({"ok": False, "error": {"type": type(exc).__name__, "message": text}})
        else:
            err(f"nexo: database error: {text}")
        return EXIT_FAILED
    finally:
        if ctx is not None:
            ctx.close()
            if process:  # its project is not freed (10,000 migrations: ~20 ms) but left to the OS
                _UNTIL_EXIT.append(ctx)


def entry() -> None:  # pragma: no cover
    # A run of `nexo` is one short process whose objects nearly all live until it exits:
    # SQLAlchemy's modules, the migrations, the state rows (~200,000 tracked objects for
    # `status` at 10,000 migrations). With the default thresholds (700, 10, 10) the cycle
    # collector ran 417 times there, 0.27 s of 1.28 s, and freed under 1,000 objects.
    # Read-only commands pause it (main()); for the others collect less often, as mypy
    # does; cycles are still freed. Set only here, in the process entry point: an embedding
    # process (tests, the GUI) keeps its own settings.
    gc.set_threshold(200_000, 30, 30)
    try:
        code = main(process=True)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`nexo history | head`): not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    # The interpreter's shutdown runs one more full collection over everything still alive,
    # 30-60 ms, for memory the OS takes back anyway. Frozen objects are left out of it;
    # teardown itself (atexit handlers, closing files, flushing) runs as always.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
