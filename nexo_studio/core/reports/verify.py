"""``nexo audit verify REPORT.json``: re-check an exported JSON report on its own.

What is checked, reading the file as a stream (memory does not grow with the events):

1. Every event's ``hash`` is recomputed from its columns (SPEC §3): an edited event is found
   and named by its ``seq`` -- unless a later accept-history event in the report accepted it
   (naming its seq and its hash as found), as ``nexo audit verify`` on the database does.
2. Links: where events are consecutive (``seq`` n and n+1) the later one's ``prev_hash`` must be
   the earlier one's ``hash``; an event with ``seq`` 1 must start from the genesis hash.
   A *filtered* report holds only some rows, so links can only be checked inside runs of
   consecutive ``seq``; the verdict lists those runs (``checked``). An *unfiltered* report must
   hold the complete history -- seq 1 .. ``header.history.head_seq`` without gaps, ending at
   ``head_hash`` -- so a deleted or inserted event is found too.
3. ``body_sha256`` is recomputed (see :mod:`.json_report` for the definition): a change anywhere
   else in the report (header, summary, verdict) is reported, without a ``seq``.
4. The report's own ``verdict`` (the database chain at export time): a report that recorded a
   broken chain does not verify, and names the ``seq`` it recorded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ...errors import InvalidInput
from ..state.chain import GENESIS, ChainVerdict, accepted_by, row_hash
from .json_report import SCHEMA, dumps
from .model import HISTORY_COLUMNS


@dataclass(frozen=True)
class ReportVerdict(ChainVerdict):
    """A :class:`ChainVerdict` over a report's events; ``rows`` is the number of events read."""

    checked: tuple[tuple[int, int], ...] = ()  # runs of consecutive seq whose links were checked
    complete: bool = False  # the report claims (and holds) the complete history
    body_ok: bool | None = None

    def ranges_text(self, limit: int = 8) -> str:
        parts = [f"{a}-{b}" if a != b else str(a) for a, b in self.checked[:limit]]
        more = f", ... ({len(self.checked)} runs)" if len(self.checked) > limit else ""
        return ", ".join(parts) + more if parts else "none"

    def __str__(self) -> str:
        if not self.ok:
            where = f" at seq {self.bad_seq}" if self.bad_seq is not None else ""
            return f"report does not verify{where}: {self.reason}"
        if self.complete:
            scope = (f"complete history, seq 1-{self.checked[0][1]}, chained from genesis"
                     if self.checked else "complete history (empty)")
        else:
            scope = (f"filtered report: every event's hash checked; links checked within seq "
                     f"{self.ranges_text()} (not across gaps)")
        return f"report intact: {self.rows} event(s), {scope}; body_sha256 matches"


class _Reader:
    """Just enough of a streaming JSON reader for one top-level object with a large array."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(max(1 << 16, len(self.buf) - self.pos))
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        while True:
            n = len(self.buf)
            while self.pos < n and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < n:
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, ch: str) -> None:
        got = self.peek()
        if got != ch:
            raise ValueError(f"expected {ch!r}, found {got or 'end of file'!r}")
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self._fill():
                    continue
                raise
            if end >= len(self.buf) and self._fill():  # a number may go on in the next chunk
                continue
            self.pos = end
            return value


def _not_a_report(path: Path, why: str) -> InvalidInput:
    return InvalidInput(f"{path}: not a Nexo JSON report ({why})")


class _ChainCheck:
    """Checks events as they stream by. A row that does not fit the chain is held as a *break*
    (seq, why, its hash as found) rather than failing at once: a later intact accept-history
    row in the report may accept it (as the database's own check does, chain.verify_chain).
    Malformed events fail at once (``bad``)."""

    def __init__(self) -> None:
        self.count = 0
        self.prev_seq: int | None = None
        self.prev_hash: str | None = None
        self.runs: list[list[int]] = []
        self.bad: tuple[int | None, str] | None = None
        self.breaks: dict[int, tuple[str, str]] = {}  # seq -> (why, row hash as found)
        self.gaps: list[tuple[int, int, str]] = []  # (seq after a gap, seq before it; 0 = start, row hash)
        self.accepted: set[tuple[int, str]] = set()  # (seq, row hash) accepted by a row of the report
        self.first_seq: int | None = None

    @property
    def first_break(self) -> tuple[int, str] | None:
        """The first break no row of the report accepts."""
        for seq in sorted(self.breaks):
            why, found = self.breaks[seq]
            if (seq, found) not in self.accepted:
                return seq, why
        return None

    @property
    def first_gap(self) -> tuple[int, int] | None:
        """(seq after a gap, seq before it) for the first gap no row of the report accepts."""
        for seq, before, found in self.gaps:
            if (seq, found) not in self.accepted:
                return seq, before
        return None

    def fail(self, seq: int | None, reason: str) -> None:
        if self.bad is None:
            self.bad = (seq, reason)

    def add(self, ev: Any) -> None:
        self.count += 1
        if self.bad is not None:
            return
        if not isinstance(ev, dict):
            self.fail(None, f"event #{self.count} is not an object")
            return
        seq = ev.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            self.fail(None, f"event #{self.count} has no integer seq")
            return
        missing = [c for c in HISTORY_COLUMNS if c not in ev]
        if missing:
            self.fail(seq, f"event lacks column(s) {', '.join(missing)}")
            return
        row = {c: ev[c] for c in HISTORY_COLUMNS}
        found = row_hash(row)
        if self.first_seq is None:
            self.first_seq = seq
            if seq != 1:
                self.gaps.append((seq, 0, found))
        prev = self.prev_seq
        if prev is not None and seq <= prev:
            self.fail(seq, f"seq follows {prev}: sequence out of order")
            return
        linked = prev is not None and seq == prev + 1
        if prev is not None and not linked:
            self.gaps.append((seq, prev, found))
        why = ""
        if linked and row["prev_hash"] != self.prev_hash:
            why = "prev_hash does not match the previous row"
        elif seq == 1 and row["prev_hash"] != GENESIS:
            why = "the first row does not start from the genesis hash"
        elif found != row["hash"]:
            why = "row content does not match its hash (edited)"
        if why:
            self.breaks[seq] = (why, found)
        else:
            self.accepted.update((s, h) for s, h in accepted_by(row).items() if s < seq)
        if linked:
            self.runs[-1][1] = seq
        else:
            self.runs.append([seq, seq])
        self.prev_seq, self.prev_hash = seq, row["hash"]


class _Array:
    """Stands in for an array that was streamed (hashed and checked, not kept)."""

    def __init__(self, length: int) -> None:
        self.length = length


def _walk(rd: _Reader, body: Any, path: tuple[str, ...], on_event: Any) -> Any:
    """Read one JSON value, feeding its canonical form to ``body``.

    Objects are kept; arrays are streamed element by element (each element is parsed whole,
    hashed and dropped), so memory stays flat however many events, deployments or failures a
    report holds. The top-level ``body_sha256`` member is kept but not hashed.
    """
    ch = rd.peek()
    if ch == "{":
        rd.pos += 1
        body.update(b"{")
        out: dict[str, Any] = {}
        first = True
        while True:
            if rd.peek() == "}":
                rd.pos += 1
                break
            key = rd.value()
            if not isinstance(key, str):
                raise ValueError("object key expected")
            rd.expect(":")
            if not path and key == "body_sha256":
                out[key] = rd.value()
            else:
                body.update(("" if first else ",").encode() + f"{dumps(key)}:".encode("utf-8"))
                first = False
                out[key] = _walk(rd, body, (*path, key), on_event)
            sep = rd.peek()
            if sep == ",":
                rd.pos += 1
            elif sep != "}":
                raise ValueError(f"expected ',' or '}}' in {'.'.join(path) or 'the report'}, "
                                 f"found {sep or 'end of file'!r}")
        body.update(b"}")
        return out
    if ch == "[":
        rd.pos += 1
        body.update(b"[")
        n = 0
        if rd.peek() == "]":
            rd.pos += 1
        else:
            while True:
                item = rd.value()
                body.update((("," if n else "") + dumps(item)).encode("utf-8"))
                n += 1
                if path == ("events",):
                    on_event(item)
                sep = rd.peek()
                rd.pos += 1
                if sep == "]":
                    break
                if sep != ",":
                    raise ValueError(f"expected ',' or ']' in {'.'.join(path)}, found {sep or 'end of file'!r}")
        body.update(b"]")
        return _Array(n)
    value = rd.value()
    body.update(dumps(value).encode("utf-8"))
    return value


def verify_report(path: Path | str) -> ReportVerdict:
    """Verify an exported JSON report (see the module docstring). Not a report -> InvalidInput."""
    path = Path(path)
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    body = hashlib.sha256()
    chain = _ChainCheck()
    try:
        with fh:
            rd = _Reader(fh)
            if rd.peek() == "\ufeff":
                rd.pos += 1
            if rd.peek() != "{":
                raise ValueError("a report is a JSON object")
            members = _walk(rd, body, (), chain.add)
            if rd.peek() != "":
                raise ValueError("data after the report")
    except UnicodeDecodeError:
        raise _not_a_report(path, "not UTF-8 text") from None
    except ValueError as exc:  # JSONDecodeError included
        raise _not_a_report(path, f"unreadable JSON: {exc}") from None
    if members.get("schema") != SCHEMA:
        found = members.get("schema")
        raise _not_a_report(path, f"schema is {found!r}, expected {SCHEMA!r}" if found else "no schema member")
    if not isinstance(members.get("events"), _Array):
        raise _not_a_report(path, "no events array")
    return _verdict(members, chain, body.hexdigest())


def _verdict(members: dict[str, Any], chain: _ChainCheck, body_hex: str) -> ReportVerdict:
    header = members.get("header")
    if not isinstance(header, dict):
        header = {}
    history = header.get("history")
    if not isinstance(history, dict):
        history = {}
    complete = header.get("filtered") is False
    runs = tuple((a, b) for a, b in chain.runs)
    problems: list[tuple[int | None, str]] = []
    if chain.bad is not None:
        problems.append(chain.bad)
    elif chain.first_break is not None:
        problems.append(chain.first_break)
    if complete and chain.bad is None and chain.first_break is None:
        head_seq = history.get("head_seq")
        gap = chain.first_gap
        if gap is not None:
            gap_seq, before = gap
            problems.append((gap_seq, f"seq follows {before}: row(s) missing before it "
                                  "(the report claims the complete history)"))
        elif isinstance(head_seq, int) and (chain.prev_seq or 0) != head_seq:
            last = chain.prev_seq or 0
            if last < head_seq:
                problems.append((last + 1, f"row(s) missing at the end: the events stop at seq {last}, "
                                           f"the header says the history ran to seq {head_seq}"))
            else:
                problems.append((head_seq + 1, f"rows after the header's head seq {head_seq}"))
        elif history.get("head_hash") not in (None, chain.prev_hash or GENESIS):
            problems.append((chain.prev_seq, "the last event's hash is not the header's head_hash"))
    recorded = members.get("verdict")
    if isinstance(recorded, dict) and recorded.get("ok") is False:
        bad = recorded.get("bad_seq")
        problems.append((bad if isinstance(bad, int) else None,
                         f"the database's history chain was already broken when the report was made: "
                         f"{recorded.get('reason') or recorded.get('text') or 'no reason given'}"))
    claimed = members.get("body_sha256")
    body_ok = isinstance(claimed, str) and claimed.lower() == body_hex
    if not problems and not body_ok:
        why = ("no body_sha256 member" if claimed is None else
               "body_sha256 does not match: the report was changed after export (outside the events)")
        problems.append((None, why))
    if problems:
        problems.sort(key=lambda p: (p[0] is None, p[0] if p[0] is not None else 0))
        seq, reason = problems[0]
        if not body_ok and "body_sha256" not in reason:
            reason += "; body_sha256 does not match either"
        return ReportVerdict(False, chain.count, seq, reason, runs, complete, body_ok)
    return ReportVerdict(True, chain.count, None, "", runs, complete, True)
