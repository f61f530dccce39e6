"""The audit verdict: the history's hash chain and what the state tables contradict (SPEC §3).

One definition for ``nexo audit verify``, the exported reports and the GUI, so they always agree
on whether the history was tampered with and which ``seq`` numbers are affected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .chain import ChainVerdict

if TYPE_CHECKING:
    from .store import Tampering


@dataclass(frozen=True)
class AuditVerdict(ChainVerdict):
    """The chain verdict, and what the state tables say that the history contradicts (a table
    dropped, rows deleted from the history's end, a __Migrations row deleted or edited)."""

    problems: tuple[str, ...] = ()
    #: parallel to ``problems``: the history seq each one is about (an event __Migrations
    #: contradicts), or None for a problem of the history as a whole (a table lost, rows
    #: deleted from its end)
    problem_seqs: tuple[int | None, ...] = ()
    #: the first seq deleted from the history's end (rows after the last one left)
    lost_from_seq: int | None = None

    def __str__(self) -> str:
        chain = ChainVerdict(self.chain_ok, self.rows, self.bad_seq if not self.chain_ok else None, self.reason,
                             breaks=self.breaks, accepted=self.accepted)
        text = ChainVerdict.__str__(chain)
        if not self.problems:
            return text
        return text + "\nstate tables tampered with:\n" + "\n".join(f"  {p}" for p in self.problems)

    @property
    def chain_ok(self) -> bool:
        return not self.breaks and not self.reason

    @property
    def seqs(self) -> tuple[int, ...]:
        named = {*super().seqs, *(s for s in self.problem_seqs if s is not None)}
        if self.lost_from_seq is not None:
            named.add(self.lost_from_seq)
        return tuple(sorted(named))


def audit_verdict(chain: ChainVerdict, tampering: "Tampering | None") -> ChainVerdict:
    """Combine the chain verdict with StateStore.tampering(): not ok when either finds something."""
    if not tampering:
        return chain
    bad_seq = chain.bad_seq if not chain.ok else tampering.first_bad_seq
    # the same problems, in the same order, as Tampering.messages()
    named = [(None, t) for t in tampering.tables]
    named += [(seq, f"{mid}: {why}") for mid, (seq, why) in sorted(tampering.rows.items())]
    return AuditVerdict(False, chain.rows, bad_seq, chain.reason, tuple(t for _s, t in named),
                        tuple(s for s, _t in named), tampering.tail_seq, breaks=chain.breaks, accepted=chain.accepted)
