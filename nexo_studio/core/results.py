"""What an operation reports: its steps and its result (serialised as the CLI's ``--json``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NexoError
from .events import MigrationFinished, StageFinished

if TYPE_CHECKING:
    from .drift import DriftVerdict


@dataclass
class StepResult:
    name: str
    status: str  # ok, failed, skipped, cancelled
    duration_ms: int = 0
    detail: str = ""


@dataclass
class OperationResult:
    """What a deploy or rollback did; serialised as the CLI's ``--json``."""

    action: str  # deploy, rollback
    ok: bool = True
    status: str = "ok"  # up_to_date, deployed, rolled_back, failed, cancelled, dry_run
    deployment_id: str | None = None
    plan: tuple[str, ...] = ()
    applied: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)
    failed: str | None = None
    backup: Path | None = None
    steps: list[StepResult] = field(default_factory=list)
    error: NexoError | None = None
    message: str = ""
    sql: list[tuple[str, list[tuple[int, str]]]] = field(default_factory=list)
    #: every migration this operation ran (apply, verify, rollback), in order, with timings
    migrations: list[MigrationFinished] = field(default_factory=list)
    #: risk lint findings of the plan's ``up`` sections (deploy and its dry run; SPEC §11)
    lint: list = field(default_factory=list)
    #: the health check's drift verdict (core.drift.DriftVerdict; deploy only, SPEC §10)
    drift: DriftVerdict | None = None

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.name == name), None)


def stage(result: OperationResult, name: str, status: str, t0: float, detail: str = "") -> StageFinished:
    ms = int((time.perf_counter() - t0) * 1000)
    result.steps.append(StepResult(name, status, ms, detail))
    return StageFinished(name, status, ms, detail)
