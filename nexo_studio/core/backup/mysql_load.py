"""MySQL / MariaDB: a dump fed to the client so that its views load in any order.

mariadb-dump (and mysqldump) writes each view twice: first a placeholder (``CREATE VIEW v AS
SELECT NULL AS a, ...``) where the view sorts among the tables, then, at the end, the real
definitions in name order ("Final view structure for view"). A view over another view is
created while that one may still be a placeholder; that works, except ``WITH CHECK OPTION``:
the placeholder is not updatable, so ``CREATE VIEW ... WITH CASCADED CHECK OPTION`` over it
fails (ERROR 1368) -- for the backup and for the safety dump alike.

So the dump goes to the client through a pipe and each final view definition is sent without
its check option (the line ``/*!50002 WITH ... CHECK OPTION */;`` becomes ``;``); after the
last one (before the dump's closing ``SET TIME_ZONE=@OLD_TIME_ZONE``) the blocks of those views
are sent again unchanged (``DROP VIEW IF EXISTS`` + ``CREATE`` with the check option). By then
every view is real, so the check option finds updatable views under it. Everything else goes
through byte for byte.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from nexo_studio.errors import BackupError

_FINAL_VIEW = b"-- Final view structure for view "
_CHECK_OPTION = re.compile(rb"^/\*!50002 WITH (?:CASCADED |LOCAL )?CHECK OPTION \*/;\r?\n?$")
_CLOSING = (b"/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE", b"-- Dump completed")


def order_safe(lines: Iterable[bytes]) -> Iterator[bytes]:
    """The dump's lines, check options of final view definitions deferred (see the module doc)."""
    block: list[bytes] | None = None  # the current final view block, as in the dump
    checked = False
    later: list[bytes] = []
    for line in lines:
        if block is not None and (line.startswith(b"-- ") or line.startswith(_CLOSING)):
            if checked:
                later += _tidy(block)
            block, checked = None, False
        if line.startswith(_FINAL_VIEW):
            block = []
        elif later and line.startswith(_CLOSING):
            yield from later
            later = []
        if block is not None:
            block.append(line)
            if _CHECK_OPTION.match(line):
                checked = True
                yield b";\n"
                continue
        yield line
    if block is not None and checked:
        later += _tidy(block)
    yield from later


def _tidy(block: list[bytes]) -> list[bytes]:
    """A block to send again: its comment header whole, without the next one's ``--`` lines."""
    end = len(block)
    while end > 1 and block[end - 1].strip() in (b"--", b""):
        end -= 1
    return [b"\n", b"--\n", *block[:end], b"\n"]


@contextmanager
def piped_dump(path: Path) -> Iterator[tuple[IO[bytes], Callable[[], None]]]:
    """(stdin for the client, ``started()`` to call once it runs): a pipe that a thread fills
    with ``order_safe`` lines of the dump. Raises BackupError after the client when the
    dump could not be read whole (the client then saw an early end of input)."""
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "rb")
    failure: list[BaseException] = []

    def feed() -> None:
        try:
            with open(path, "rb") as dump, os.fdopen(write_fd, "wb", buffering=1 << 20) as pipe:
                for chunk in order_safe(dump):
                    pipe.write(chunk)
        except BrokenPipeError:
            pass  # the client stopped (it failed, or was stopped): run_tool reports that
        except OSError as exc:
            failure.append(exc)

    thread = threading.Thread(target=feed, name="nexo-dump-feed", daemon=True)

    def started() -> None:
        reader.close()  # the client holds its own copy
        thread.start()

    try:
        yield reader, started
    finally:
        if thread.ident is not None:
            thread.join()
        else:
            reader.close()
            os.close(write_fd)
    if failure:
        raise BackupError(f"cannot read the dump: {getattr(failure[0], 'strerror', None) or failure[0]}", path)
