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
    #: history seqs the problems name: events __Migrations contradicts, the first row deleted from the end
    problem_seqs: tuple[int, ...] = ()

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
        return tuple(sorted({*ChainVerdict.seqs.fget(self), *self.problem_seqs}))


def audit_verdict(chain: ChainVerdict, tampering: "Tampering | None") -> ChainVerdict:
    """Combine the chain verdict with StateStore.tampering(): not ok when either finds something."""
    if not tampering:
        return chain
    bad_seq = chain.bad_seq if not chain.ok else tampering.first_bad_seq
    seqs = {seq for seq, _why in tampering.rows.values() if seq is not None}
    if tampering.tail_seq is not None:
        seqs.add(tampering.tail_seq)
    return AuditVerdict(False, chain.rows, bad_seq, chain.reason, tuple(tampering.messages()), tuple(sorted(seqs)),
                        breaks=chain.breaks, accepted=chain.accepted)
