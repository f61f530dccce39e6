"""Human labels for history actions: plain strings, no Qt, so pure code (the timeline's data)
can use them off the GUI thread. Colours stay in :mod:`.palette`."""

#: human labels for actions
ACTION_LABELS: dict[str, str] = {
    "apply": "Apply",
    "rollback": "Rollback",
    "verify": "Verify",
    "backup": "Backup",
    "restore": "Restore",
    "deploy_start": "Deploy start",
    "deploy_end": "Deploy end",
    "repair": "Repair",
    "baseline": "Baseline",
    "fleet_start": "Fleet start",
    "fleet_end": "Fleet end",
}
