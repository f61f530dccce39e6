"""The drift verdict (SPEC §10: the live schema against the last snapshot) in the human-readable
reports (HTML and PDF share these blocks) and as the CSV's ``schema_drift`` text. The JSON report
writes ``report.drift`` as it is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .layout import Banner, Block, Cell, Column, Heading, Paragraph, Table

_TONES = {"added": "warn", "removed": "bad", "changed": "warn"}


def _snapshot_words(drift: dict[str, Any]) -> str:
    snap = drift.get("snapshot") or {}
    taken = (snap.get("taken_at") or "").replace("T", " ")[:19]
    parts = [f"snapshot #{snap.get('id')}" if snap.get("id") is not None else "the last snapshot"]
    if taken:
        parts.append(f"taken {taken} UTC")
    if snap.get("history_seq") is not None:
        parts.append(f"history seq {snap['history_seq']}")
    if snap.get("sha256"):
        parts.append(f"sha256 {snap['sha256'][:16]}\u2026")
    return ", ".join(parts)


def drift_text(drift: dict[str, Any] | None) -> str:
    """One line: ``none`` / ``DRIFT: 2 change(s): …`` / ``no snapshot`` / ``stale: …`` / ``unknown: why``."""
    if drift is None:
        return ""
    status = drift.get("status")
    changes = drift.get("changes") or []
    listed = "; ".join(_change_line(c) for c in changes)
    if status == "none":
        return f"none (matches {_snapshot_words(drift)})"
    if status == "drift":
        return f"DRIFT: {len(changes)} change(s) since {_snapshot_words(drift)}: {listed}"
    if status == "stale":
        return f"stale: the last snapshot predates an unfinished operation; {len(changes)} difference(s): {listed}"
    if status == "no_snapshot":
        return "no snapshot (drift cannot be checked; `nexo snapshot` records one)"
    return f"unknown: {drift.get('reason') or 'the live schema could not be read'}"


def _change_line(c: dict[str, Any]) -> str:
    text = {"added": f"+ {c.get('after')}", "removed": f"- {c.get('before')}",
            "changed": f"~ {c.get('before')} -> {c.get('after')}"}.get(c.get("kind", ""), "")
    note = f" ({c['note']})" if c.get("note") else ""
    return f"{c.get('kind')} {c.get('object_type')} {c.get('name')}: {text}{note}"


def _row(c: dict[str, Any]) -> list:
    return [Cell(c.get("kind", ""), tone=_TONES.get(c.get("kind", ""), "")), c.get("object_type", ""),
            Cell(c.get("name", "") + (f"\n({c['note']})" if c.get("note") else ""), mono=True, pre=True),
            Cell(c.get("before") or "", mono=True, pre=True), Cell(c.get("after") or "", mono=True, pre=True)]


def drift_blocks(drift: dict[str, Any] | None) -> Iterator[Block]:
    """A "Schema drift" section: a banner with the verdict and, on drift, one row per change."""
    if drift is None:
        return
    yield Heading("Schema drift")
    status = drift.get("status")
    changes = drift.get("changes") or []
    if status == "none":
        yield Banner(True, "No schema drift", f"The live schema matches {_snapshot_words(drift)}.")
        return
    if status == "drift":
        yield Banner(False, f"Schema DRIFT: {len(changes)} change(s) made outside Nexo",
                     f"The live schema differs from {_snapshot_words(drift)}. Deploy refuses until they are "
                     "accepted (`nexo snapshot`) or allowed (`--allow-drift`).")
    elif status == "stale":
        yield Paragraph(f"Snapshot out of date: {drift_text(drift)}", tone="warn")
    elif status == "no_snapshot":
        yield Paragraph("No schema snapshot yet: drift cannot be checked (`nexo snapshot` records one).", tone="warn")
        return
    else:
        yield Paragraph(f"Schema drift not checked: {drift.get('reason') or 'the live schema could not be read'}.",
                        tone="warn")
        return
    yield Table("drift", (Column("Change", 6), Column("Object", 8), Column("Name", 18, mono=True),
                          Column("Before (snapshot)", 34, mono=True), Column("After (live)", 34, mono=True)),
                lambda: (_row(c) for c in changes), empty="no changes")
