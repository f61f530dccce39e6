"""Output helpers: a text sink that hashes what it writes, and atomic replacement of the target file."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class HashingWriter:
    """Text writer that encodes to UTF-8, writes through a buffer and hashes the bytes written.

    ``out`` may be ``None`` to only hash (used to compute a digest without writing a file).
    ``hashing`` can be switched off for parts that are not in the body (e.g. a footer).
    """

    def __init__(self, out: IO[bytes] | None, buffer_size: int = 1 << 16) -> None:
        self._out = out
        self._parts: list[bytes] = []
        self._size = 0
        self._limit = buffer_size
        self.sha256 = hashlib.sha256()
        self.hashing = True

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        if self.hashing:
            self.sha256.update(data)
        if self._out is not None:
            self._parts.append(data)
            self._size += len(data)
            if self._size >= self._limit:
                self.flush()
        return len(text)

    def flush(self) -> None:
        if self._out is not None and self._parts:
            self._out.write(b"".join(self._parts))
            self._parts.clear()
            self._size = 0

    def hexdigest(self) -> str:
        return self.sha256.hexdigest()


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it only if the block succeeds."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """Write ``path`` through a binary file object; the file appears only when complete."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
