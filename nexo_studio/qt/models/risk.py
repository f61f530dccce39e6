"""Risk lint in the window (SPEC §11): the lint findings of the pending ``up`` sections, read on
the worker after each refresh, as Findings-panel rows and as each migration's highest level."""

from __future__ import annotations

from ...core.validate import Finding, Level

LEVEL_RANK = {"": 0, "info": 1, "warning": 2, "error": 3}


def pending_lint(project, snapshot) -> list:
    """Error and warning findings of the pending/failed migrations' ``up``, in apply order
    (pure CPU, cached between runs: the worker's ``decorate`` calls it)."""
    from ...core.lint.hooks import up_findings

    todo = {s.id for s in snapshot.states if s.status in ("pending", "failed") and s.migration is not None}
    if not todo:
        return []
    try:
        order = [i for i in project.order() if i in todo]
    except Exception:  # noqa: BLE001 - a cycle: validate reports it; lint what is there
        order = sorted(todo)
    return up_findings([project.migrations[i] for i in order], snapshot.dialect)


def effective_level(f) -> Level:
    """An error the migration allows (``-- lint: allow``) weighs as a warning."""
    return "warning" if f.level == "error" and f.allowed else f.level


def risk_levels(findings) -> dict[str, str]:
    """Migration id -> its highest (effective) lint level."""
    out: dict[str, str] = {}
    for f in findings:
        level = effective_level(f)
        if LEVEL_RANK[level] > LEVEL_RANK[out.get(f.migration_id, "")]:
            out[f.migration_id] = level
    return out


def risk_badges(findings) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Migration id -> (its highest effective level, the rule codes found): the graph's badges."""
    rules: dict[str, list[str]] = {}
    for f in findings:
        if effective_level(f) in ("error", "warning") and f.code not in rules.setdefault(f.migration_id, []):
            rules[f.migration_id].append(f.code)
    levels = risk_levels(findings)
    return {mid: (levels[mid], tuple(codes)) for mid, codes in rules.items() if mid in levels and codes}


def as_findings(findings) -> list[Finding]:
    """Lint findings as Findings-panel rows (double-click opens the file at the line)."""
    out = []
    for f in findings:
        allowed = f" (allowed: {f.allowed_reason})" if f.allowed else ""
        out.append(Finding(effective_level(f), f"lint:{f.code}", (f.migration_id,), f"Risk: {f.message}{allowed}",
                           f.path, f.line))
    return out
