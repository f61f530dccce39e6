"""The engine's plain data types that the front ends show, named here so that ``qt/`` and
``cli/`` never reach into the state tables' modules (``core.state``): a history row, a break in
its hash chain, the chain's verdict, and who is operating (user, host)."""

from ..core.state.chain import ChainBreak, ChainVerdict
from ..core.state.store import HistoryRow, operator_and_host

__all__ = ["ChainBreak", "ChainVerdict", "HistoryRow", "operator_and_host"]
