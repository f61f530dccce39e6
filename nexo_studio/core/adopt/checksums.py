"""The other tools' own checksums, computed exactly as they compute them.

- Flyway (``LoadableResource.calculateChecksum``): CRC32 (java.util.zip) fed the UTF-8 bytes of
  each line as ``BufferedReader.readLine()`` returns it (``\\n``, ``\\r`` and ``\\r\\n`` stripped),
  with a leading BOM removed from the first line; stored as a signed 32-bit int.
- Sqitch: ``script_hash`` is the SHA-1 of the deploy script's bytes.
- golang-migrate, dbmate, Alembic record no checksum: SHA-256 of the file, for information.
"""

from __future__ import annotations

import hashlib
import re
import zlib

_LINE_END = re.compile(r"\r\n|\r|\n")
_WS = re.compile(r"\s+")


def flyway_crc32(data: bytes) -> int:
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":  # readLine() yields no empty line after a final line end
        lines.pop()
    crc = 0
    for line in lines:
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def liquibase_md5sum(*sqls: str) -> str:
    """Liquibase's MD5SUM (checksum version 9, Liquibase 4.24 and later) of a changeset whose
    changes are sql/sqlFile changes with these texts: each change's checksum is
    ``9:`` + md5 of its SQL without any whitespace; the changeset's is ``9:`` + md5 of the changes'
    checksums each followed by ``:``. Checked against the values Liquibase 4.28 itself records
    (tests/adopt/test_liquibase.py)."""
    inner = "".join(f"9:{hashlib.md5(_WS.sub('', sql).encode('utf-8')).hexdigest()}:" for sql in sqls)
    return "9:" + hashlib.md5(inner.encode("utf-8")).hexdigest()
