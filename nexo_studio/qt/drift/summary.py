"""What the Drift view and the status bar say about a drift verdict, in words (no Qt here)."""

from __future__ import annotations

import html
from typing import Any

#: the tree's groups, in order
GROUPS = (("added", "Added"), ("removed", "Removed"), ("changed", "Changed"))


def _when(snapshot: Any) -> str:
    taken = getattr(snapshot, "taken_at", None)
    seq = getattr(snapshot, "history_seq", None)
    text = f"taken {taken:%Y-%m-%d %H:%M:%S} UTC" if taken is not None else "recorded"
    return text + (f", history seq {seq}" if seq is not None else "")


def count_text(n: int) -> str:
    return f"{n} change{'s' if n != 1 else ''}"


def indicator_text(verdict: Any, connected: bool = True) -> str:
    """The status bar's words: ``Schema: no drift`` / ``Schema: 3 changes`` / ``Schema: no snapshot``."""
    status = getattr(verdict, "status", None)
    if not connected:
        return "Schema: ?"
    if verdict is None:  # connected and nothing reflected: an SQLite file not created yet
        return "Schema: no snapshot"
    if status == "none":
        return "Schema: no drift"
    if status == "drift":
        return f"Schema: {count_text(len(verdict.changes))}"
    if status == "stale":
        return "Schema: snapshot out of date"
    if status == "no_snapshot":
        return "Schema: no snapshot"
    return "Schema: not checked"


def headline(verdict: Any, connected: bool = True) -> tuple[str, str]:
    """(title, explanation) for the top of the Drift view; plain text is escaped for Qt rich text."""
    status = getattr(verdict, "status", None)
    if not connected:
        return "Not connected", "the drift is read when the database answers."
    if verdict is None or status == "no_snapshot":
        return ("No snapshot yet", "nothing to compare with: no schema snapshot has been recorded for this "
                "database. Deploy records one; so does “Accept as the new schema…” (like <code>nexo snapshot</code>).")
    snap = verdict.snapshot
    if status == "none":
        return "No drift", f"the live schema matches the last snapshot ({html.escape(_when(snap))})."
    if status == "unknown":
        return "Drift not checked", f"the live schema could not be compared: {html.escape(verdict.reason or '')}"
    changed = count_text(len(verdict.changes))
    if status == "stale":
        seqs = ", ".join(map(str, verdict.since))
        return (f"Snapshot out of date: {changed}",
                f"migrations were applied or rolled back after the last snapshot by an operation that did not finish "
                f"(history seq {html.escape(seqs)}); these differences are not known to be drift. The next deploy "
                "records a new snapshot.")
    return (f"Schema drift: {changed}",
            f"made outside Nexo since the last snapshot ({html.escape(_when(snap))}). Deploy refuses them until "
            "they are accepted here or allowed in the deploy dialog.")


def describe(change: Any) -> str:
    """The caption above the side-by-side text, rich text."""
    what = {"added": "added", "removed": "removed", "changed": "changed"}.get(change.kind, change.kind)
    note = f" — <i>{html.escape(change.note)}</i>" if change.note else ""
    return f"<b>{html.escape(change.object_type)} {html.escape(change.name)}</b> {what}{note}"


def change_lines(changes: Any) -> list[str]:
    """One line a change, as ``nexo drift`` prints them."""
    return [str(c) for c in changes or ()]
