"""Sqitch: ``sqitch.plan`` (changes in plan order, their ``requires``), ``deploy/``, ``revert/``
and ``verify/`` scripts. Sqitch's own ``BEGIN``/``COMMIT`` (``ROLLBACK`` in verify) lines are
stripped: nexo owns the transaction. Reworked changes and cross-project requires are not supported."""

from __future__ import annotations

import re
from pathlib import Path

from ..checksums import sha1_hex
from ..model import ForeignMigration, ForeignProject, Unsupported, slug
from . import read_text

_CHANGE = re.compile(r"^(?P<name>[^\s\[@#%][^\s\[]*)\s+(?:\[(?P<deps>[^\]]*)\]\s+)?"
                     r"(?P<when>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)\s+(?P<rest>.*)$")
_TX = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION)\s*;\s*$", re.IGNORECASE | re.MULTILINE)


def strip_transaction(text: str) -> str:
    return _TX.sub("", text).strip("\n")


def _script(root: Path, kind: str, name: str) -> Path:
    return root / kind / f"{name}.sql"


def read(source: Path) -> ForeignProject:
    from ....errors import InvalidInput

    root = source if source.is_dir() else source.parent
    plan = root / "sqitch.plan"
    if not plan.exists():
        raise InvalidInput(f"{root}: no sqitch.plan")
    project = ForeignProject("sqitch")
    seen: set[str] = set()
    for number, line in enumerate(read_text(plan).splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("%", "#", "@")):
            continue
        m = _CHANGE.match(line)
        if m is None:
            raise InvalidInput(f"{plan}:{number}: not a Sqitch plan line: {line!r}")
        name = m["name"]
        if name in seen:
            project.unsupported.append(Unsupported(f"sqitch.plan:{number} {name}", "reworked change: "
                                       "its earlier versions live in tagged scripts nexo does not carry over"))
            continue
        seen.add(name)
        requires: list[str] = []
        bad: list[str] = []
        for dep in (m["deps"] or "").split():
            if dep.startswith("!"):
                continue  # a conflict: nothing to order
            (bad if ":" in dep else requires).append(dep.split("@")[0])
        if bad:
            project.unsupported.append(Unsupported(f"sqitch.plan:{number} {name}",
                                       f"requires another project's change ({', '.join(bad)})"))
        deploy = _script(root, "deploy", name)
        if not deploy.exists():
            raise InvalidInput(f"{deploy}: missing deploy script of change {name} (sqitch.plan:{number})")
        revert, verify = _script(root, "revert", name), _script(root, "verify", name)
        note = m["rest"].split("#", 1)[1].strip() if "#" in m["rest"] else name
        project.migrations.append(ForeignMigration(
            tool="sqitch", foreign_id=name, name=slug(name), up=strip_transaction(read_text(deploy)),
            down=strip_transaction(read_text(revert)) if revert.exists() else None,
            verify=strip_transaction(read_text(verify)) if verify.exists() else None,
            description=note, checksum=sha1_hex(deploy.read_bytes()),
            timestamp=re.sub(r"\D", "", m["when"]), requires=tuple(requires), source=f"deploy/{name}.sql"))
    return project
