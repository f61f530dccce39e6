"""Migration statuses, history actions and history statuses are defined once (core/kinds.py),
as StrEnums equal to the strings stored and serialised; the engine compares against them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from nexo_studio.core.kinds import HistoryAction, HistoryStatus, MigrationStatus

CORE = Path(__file__).resolve().parents[2] / "nexo_studio" / "core"
ELSEWHERE = ("lint", "schema", "adopt")  # other engineers' packages
#: other vocabularies that share words: an operation's or a deployment's outcome, finding codes, a CSV notes cell
OTHER = ("result.status", "d.outcome", ".code ==", "last[-1]")
WORDS = "|".join({*MigrationStatus, *HistoryAction, *HistoryStatus})
#: a comparison with, or a status/action argument given as, a bare string
BARE = re.compile(rf"""(?:[=!]=\s*|\b(?:status|action)\s*=\s*|\.status\s+(?:not\s+)?in\s+\([^)]*)"({WORDS})"(?!\s*:)""")


def test_members_are_the_stored_strings():
    assert MigrationStatus.APPLIED == "applied" and HistoryAction.DEPLOY_END == "deploy_end"
    assert HistoryStatus.CANCELLED == "cancelled" and f"{MigrationStatus.ROLLED_BACK}" == "rolled_back"
    assert json.dumps({"s": MigrationStatus.DIRTY, HistoryAction.APPLY: 1}) == '{"s": "dirty", "apply": 1}'
    assert MigrationStatus("failed") is MigrationStatus.FAILED


def test_the_engine_uses_them_not_bare_strings():
    found = []
    for path in CORE.rglob("*.py"):
        rel = path.relative_to(CORE)
        if rel.parts[0] in ELSEWHERE or path.name == "kinds.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BARE.search(line.split("  #")[0]) and not any(o in line for o in OTHER):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, "bare status/action strings:\n" + "\n".join(found)
